package segment

import (
	"encoding/binary"
	"hash/crc32"
)

// Record is one record's key and value for BuildBatch; a nil value is a
// tombstone.
type Record struct{ Key, Value []byte }

// BuildBatch encodes records as one uncompressed magic v2 batch, as a
// non-idempotent producer sends it (producer id, epoch and base sequence
// -1; base offset and leader epoch 0, which appending assigns), every
// record at timestamp: the broker's own writes (__consumer_offsets).
func BuildBatch(records []Record, timestamp int64) []byte {
	b := make([]byte, HeaderSize, HeaderSize+64*len(records))
	for i, r := range records {
		var body []byte
		body = append(body, 0)                       // attributes
		body = binary.AppendVarint(body, 0)          // timestamp delta
		body = binary.AppendVarint(body, int64(i))   // offset delta
		body = appendVarintBytes(body, r.Key)        // key
		body = appendVarintBytes(body, r.Value)      // value
		body = binary.AppendVarint(body, 0)          // no headers
		b = binary.AppendVarint(b, int64(len(body))) // record length
		b = append(b, body...)
	}
	binary.BigEndian.PutUint64(b[offBaseOffset:], 0)
	binary.BigEndian.PutUint32(b[offBatchLength:], uint32(len(b)-lengthPrefix))
	binary.BigEndian.PutUint32(b[offLeaderEpoch:], 0)
	b[offMagic] = 2
	binary.BigEndian.PutUint16(b[offAttributes:], 0)
	binary.BigEndian.PutUint32(b[offLastOffsetDelta:], uint32(len(records)-1))
	binary.BigEndian.PutUint64(b[offBaseTimestamp:], uint64(timestamp))
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(timestamp))
	binary.BigEndian.PutUint64(b[offProducerID:], ^uint64(0))
	binary.BigEndian.PutUint16(b[offProducerEpoch:], ^uint16(0))
	binary.BigEndian.PutUint32(b[offBaseSequence:], ^uint32(0))
	binary.BigEndian.PutUint32(b[offRecordCount:], uint32(len(records)))
	SetCRC(b)
	return b
}

// SetCRC recomputes the CRC-32C of a whole batch after its covered bytes
// (attributes on) changed.
func SetCRC(b []byte) {
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
}

func appendVarintBytes(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}
