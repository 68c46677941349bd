package pipelines

// IndexField and IDField are the metadata fields of an event that a
// pipeline may set (set, date_index_name), as an ingest node's _index and
// _id: they are top-level keys of the event, and the indexer takes them
// out of the document and writes the document to that index with that
// id (see the indexer's doc).
const (
	IndexField = "_index"
	IDField    = "_id"
)
