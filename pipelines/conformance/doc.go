// Package conformance holds the pipelines' differential conformance suite
// (its tests only): every case is a pipeline definition in sluice's YAML and
// input documents, run through a real ingest node (OpenSearch 2.19's
// POST _ingest/pipeline/_simulate, the testpeer OpenSearch node, started
// once for the whole suite) and through pipelines.Pipeline.Run; the
// documents that come out must be equal, unless the case names a row of the
// table "Differences from a real ingest node" in the pipelines package's
// documentation, in which case it pins sluice's current, different outcome
// (so that fixing the difference fails the case until the table is updated).
// Options the node lacks (set's copy_from) are checked against
// Elasticsearch's documented behaviour instead (TestElasticsearchDocumented).
//
//	go test -race -ldflags=-w ./pipelines/conformance -count=1
//
// needs the OpenSearch peer (`make peers`); the node starts once, in about
// 15 s, and the cases take a few seconds more.
package conformance
