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
package indexer
