package group

import "unicode/utf16"

// PartitionFor returns the __consumer_offsets partition that holds group
// id's records, out of partitions: Kafka's abs(id.hashCode()) % partitions,
// where hashCode is Java's String.hashCode (31·h + c over the UTF-16 code
// units, in int32 arithmetic) and abs is Kafka's Utils.abs, which maps
// math.MinInt32 to 0. It must agree with Kafka exactly: clients and tools
// do not compute it, but a cluster's existing offsets partitions (and
// Kafka brokers reading the same log) do. The broker decodes the id from
// the wire as UTF-8 like Kafka; bytes that are not UTF-8 count as U+FFFD
// each, where Java may fold a truncated sequence into one.
func PartitionFor(id string, partitions int32) int32 {
	var h int32
	for _, r := range id {
		if r < 0x10000 {
			h = 31*h + int32(r)
			continue
		}
		hi, lo := utf16.EncodeRune(r)
		h = 31*h + int32(hi)
		h = 31*h + int32(lo)
	}
	if h < 0 {
		h = -h // math.MinInt32 stays negative
	}
	if h < 0 {
		h = 0
	}
	return h % partitions
}
