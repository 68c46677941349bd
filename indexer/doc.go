// Package indexer is sluice's Logstash: for each route of its config, a
// consumer group reads topics, runs each event through the route's
// pipeline (package pipelines) and bulk-indexes the documents into
// Elasticsearch in _bulk requests (bulk.go).
//
// Nothing is lost and nothing is doubled: a document's _id is the record's
// _id header (the agent's name for a line) or else its topic, partition
// and offset, so indexing a record again overwrites its document; offsets
// are committed only up to the end of the finished records of each
// partition (indexed, dropped by the pipeline, or sent with the reason to
// the dead-letter topic when Elasticsearch rejects them); 429s, 5xx and an
// unreachable Elasticsearch are retried with backoff while nothing is
// committed. flow.go describes how polling, the pipeline and bulk requests
// overlap; offsets.go how commits follow the finished records.
//
// # Outputs: indices, data streams, the pipeline's _index; OpenSearch
//
// A route names its target with one of two keys:
//
//	key          what it writes                           bulk action  template
//	index        an index pattern (%{+yyyy.MM.dd},        index        <template>-<prefix>
//	             %{[field]}), as Logstash's index
//	data_stream  {type, dataset, namespace}: the data     create       none (the node's
//	             stream <type>-<dataset>-<namespace>;                  logs-*-*, or yours)
//	             defaults logs, generic, default
//
// A data_stream route's events get data_stream.type, .dataset and
// .namespace (other data_stream.* fields kept) and an @timestamp (the
// record's time when they have none), as Elastic Agent's; Elasticsearch's
// built-in logs-*-* template (x-pack) or one the user installs must make
// the name a data stream: the indexer installs no template for such
// routes, and refuses a configuration whose index template for another
// route would cover the stream's name (ours outrank the built-in one).
// Data streams take only create, so redelivery is answered 409
// version_conflict_engine_exception: for a create that is "the document
// is there already", counted in sluice_indexer_events_total{result=
// "duplicate"}, neither an error nor a dead letter. The _id makes this
// exact within a backing index; a rollover between a record's first write
// and its redelivery would let the copy in, as for Elastic Agent.
//
// A pipeline may choose the index and id (pipelines' _index and _id, e.g.
// date_index_name's date-math names such as <logs-{2024-01-02||/d{yyyy-MM-dd|UTC}}>,
// which the node resolves): they are taken out of the document and win
// over the route's index and the record's id; the action stays the
// route's (create for data_stream routes). One that is not a non-empty
// string sends the event to the dead-letter topic. Templates are installed
// for the routes' index prefixes only, not for names a pipeline makes.
//
// elasticsearch.hosts may be OpenSearch (1.x, 2.x) as well: requests go
// through go-elasticsearch's esapi over elastictransport, not through its
// root client, which is what checks the X-Elastic-Product header that
// OpenSearch does not send; composable index templates, _bulk with index
// and create, and data streams are common to both. Tested against
// OpenSearch 2.19.6 (outputs_test.go). A Logstash user's separate
// opensearch output and Filebeat's refusal of OpenSearch have no
// counterpart here: the same elasticsearch section serves both.
//
// # Elasticsearch 7.17, 8.x and 9.x
//
// Requests go through go-elasticsearch's esapi over elastictransport,
// which sends plain application/json (and never the "compatible-with"
// media types: only the client of go-elasticsearch's root package does,
// when asked to). Every release line takes plain JSON as its own API,
// whereas compatible-with is narrow: 8.x takes 7 and 8, 9.x only 8 and 9,
// and each refuses the others with a 400. The index template is composable
// (_index_template, since 7.8; the legacy _template is deprecated).
// TestIndexerAgainstElasticsearch runs against 7.17.29, 8.17.2 and 9.0.8.
//
// # One record must not stop the pipeline
//
// A record goes to the dead-letter topic (deadletter.go), as a JSON
// DeadLetter with its topic, partition, offset, reason and original value,
// when Elasticsearch rejects its document, its pipeline fails, its
// processing panics (recovered per event in flow.prepareOne: the reason is
// "panic: …", the stack is logged, sluice_indexer_pipeline_panics_total
// counts it) or it goes over pipeline_timeout, the time budget of one
// event in its pipeline (default 1s; sluice_indexer_pipeline_over_budget_total;
// see pipelines' Limits for where the budget is checked). The budget is
// wall-clock time, 50,000 times what the nginx example takes for a line:
// only a process paused mid-event (SIGSTOP, a suspended VM) sends an
// ordinary event over it.
//
// A single regexp search cannot be interrupted, so two processors have
// caps as well, set for every route's pipeline by grok_max_bytes (default
// 65536: a longer field fails grok, a failure its on_failure or
// ignore_failure handles) and user_agent_max_bytes (default 1024: only
// that head of a user agent is parsed; user_agent.original keeps the
// whole). Both are whole numbers of at least 1; a processor's own
// max_bytes option overrides them for that processor.
//
// geoip processors read MaxMind DB files (GeoLite2-City.mmdb,
// GeoLite2-ASN.mmdb, …) that the operator puts in
// geoip_database_directory (relative to the config file; default
// ingest-geoip beside each pipeline definition). Each file is read and
// checked once at start, shared by every route, and never downloaded or
// reloaded: a new file takes effect at the next start; a missing or
// corrupt one stops the start with an error naming it.
//
// A dead letter is never larger than dead_letter_max_bytes (default
// 1,000,000, under franz-go's and Kafka's 1 MB batch limits). A larger one
// is cut: the value to the head that fits, the key and reason to an
// eighth of the limit each, the detail left out if over a quarter; it
// says truncated: true and the original_size of the value, and topic,
// partition and offset still say where the whole record is. The broker
// may take less (its message.max.bytes): its MESSAGE_TOO_LARGE is final
// for that letter as it is, so the letter is cut to half its size and sent
// again, down to 1 KiB. Cut letters are counted in
// sluice_indexer_dead_letter_truncated_total.
//
// Retriable errors (no leader, the broker unreachable) are retried by the
// producer for dead_letter_timeout (default 1m). A letter that is still
// not delivered then, still too large at 1 KiB, or refused for good (an
// authorization error) is given up on: an error log names its topic,
// partition and offset, sluice_indexer_dead_letter_dropped_total{why=
// too_large|timeout|refused} counts it, and its record counts as finished,
// so the offsets after it are committed. We chose dropping over holding
// the offset back and stopping, as Logstash's dead-letter queue drops
// events when it is full (and counts them): the record has already
// failed, it stays at its offset in its own topic until retention (the
// log line says where), and holding its partition back would stop every
// good record behind it, which is what this section exists to prevent.
// Only an indexer that is stopping leaves its dead letters undelivered
// and their records uncommitted, to be read again.
package indexer
