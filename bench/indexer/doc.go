// Package indexer is `sluice-bench indexer` (Main): it measures the indexer against its ceiling (issue 7): events
// per second through the nginx pipeline into Elasticsearch, against a bare
// esutil.BulkIndexer sending the same pipeline-made documents from memory.
//
// Run starts an Elasticsearch node (deploy/elasticsearch/run.sh) and a sluice
// standalone coordinator plus broker (testkit/testpeer.StartBrokers) as processes,
// produces N nginx access-log lines as JSON records into a 3-partition topic
// (untimed), and warms Elasticsearch up by running a sluice indexer process
// over a small separate topic (untimed; it also installs the indexer's index
// template, which the ceiling's index is given too, so both phases index
// into the same mapping, shards and replicas). Then:
//
//   - Phase A, the ceiling: the N records, run through the nginx pipeline
//     beforehand (untimed), are indexed by one esutil.BulkIndexer with the
//     indexer's default workers and flush bytes, with the same index names
//     (daily) and document ids the indexer gives them; timed until Close
//     returned with every item acknowledged, plus a refresh.
//   - Phase B: `sluice indexer -c` as a process consumes the topic; timed
//     from the moment its consumer group holds the partitions (so the
//     group's join is not counted) until the committed offsets cover all N
//     records (the indexer commits only what Elasticsearch acknowledged),
//     plus a refresh; then _count must be N. Its CPU seconds over that time
//     come from /proc/<pid>/stat.
//
// Nothing here asserts timings: the numbers are for people to read.
package indexer
