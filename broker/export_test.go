package broker

import "github.com/sluicelogs/sluice/broker/segment"

// BuildBatch is a one-record batch for the external tests.
func BuildBatch(value string) []byte {
	return segment.BuildBatch([]segment.Record{{Value: []byte(value)}}, 0)
}
