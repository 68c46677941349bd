package broker

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/segment"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// kv is one record's key and value.
type kv struct{ key, value []byte }

// buildBatch encodes records as one uncompressed v2 record batch (the
// broker's own writes: __consumer_offsets). A nil value is a tombstone.
func buildBatch(records []kv, timestamp int64) []byte {
	b := make([]byte, 61, 61+64*len(records))
	for i, r := range records {
		var body []byte
		body = append(body, 0)                       // attributes
		body = binary.AppendVarint(body, 0)          // timestamp delta
		body = binary.AppendVarint(body, int64(i))   // offset delta
		body = appendVarintBytes(body, r.key)        // key
		body = appendVarintBytes(body, r.value)      // value
		body = binary.AppendVarint(body, 0)          // no headers
		b = binary.AppendVarint(b, int64(len(body))) // record length
		b = append(b, body...)
	}
	binary.BigEndian.PutUint64(b[0:], 0)                 // base offset: assigned on append
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12)) // batch length
	binary.BigEndian.PutUint32(b[12:], 0)                // partition leader epoch
	b[16] = 2                                            // magic
	binary.BigEndian.PutUint16(b[21:], 0)                // attributes
	binary.BigEndian.PutUint32(b[23:], uint32(len(records)-1))
	binary.BigEndian.PutUint64(b[27:], uint64(timestamp)) // base timestamp
	binary.BigEndian.PutUint64(b[35:], uint64(timestamp)) // max timestamp
	binary.BigEndian.PutUint64(b[43:], ^uint64(0))        // producer id -1
	binary.BigEndian.PutUint16(b[51:], ^uint16(0))        // producer epoch -1
	binary.BigEndian.PutUint32(b[53:], ^uint32(0))        // base sequence -1
	binary.BigEndian.PutUint32(b[57:], uint32(len(records)))
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], castagnoli))
	return b
}

func appendVarintBytes(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

// eachRecord calls f for every record of the uncompressed batches in data
// (whole batches, as a partition read returns them).
func eachRecord(data []byte, f func(offset int64, r *kmsg.Record) error) error {
	for len(data) >= 61 {
		size := int(int32(binary.BigEndian.Uint32(data[8:]))) + 12
		if size < 61 || size > len(data) {
			return fmt.Errorf("broker: batch of %d bytes in %d", size, len(data))
		}
		h, err := segment.ValidateBatch(data[:size])
		if err != nil {
			return err
		}
		if h.Attributes&0x07 != 0 {
			return fmt.Errorf("broker: compressed batch at offset %d in an internal topic", h.BaseOffset)
		}
		recs := data[61:size]
		for i := int32(0); i < h.RecordCount; i++ {
			l, n := binary.Varint(recs)
			if n <= 0 || l < 0 || int(l) > len(recs)-n {
				return fmt.Errorf("broker: bad record %d at offset %d", i, h.BaseOffset)
			}
			var r kmsg.Record
			if err := r.ReadFrom(recs[:n+int(l)]); err != nil {
				return fmt.Errorf("broker: record %d at offset %d: %w", i, h.BaseOffset, err)
			}
			if err := f(h.BaseOffset+int64(r.OffsetDelta), &r); err != nil {
				return err
			}
			recs = recs[n+int(l):]
		}
		data = data[size:]
	}
	return nil
}
