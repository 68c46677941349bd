package broker

// BuildBatch is buildBatch for the external tests.
func BuildBatch(value string) []byte {
	return buildBatch([]kv{{nil, []byte(value)}}, 0)
}
