package broker

import (
	"encoding/binary"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/segment"
)

// eachRecord calls f for every record of the uncompressed batches in data
// (whole batches, as a partition read returns them).
func eachRecord(data []byte, f func(offset int64, r *kmsg.Record) error) error {
	for len(data) >= 61 {
		size := int(int32(binary.BigEndian.Uint32(data[8:]))) + 12
		if size < 61 || size > len(data) {
			return fmt.Errorf("broker: batch of %d bytes in %d", size, len(data))
		}
		h, err := segment.CheckStored(data[:size]) // compaction leaves gaps
		if err != nil {
			return err
		}
		if h.Attributes&0x07 != 0 {
			return fmt.Errorf("broker: compressed batch at offset %d in an internal topic", h.BaseOffset)
		}
		if err := batchRecords(h, data[61:size], f); err != nil {
			return err
		}
		data = data[size:]
	}
	return nil
}

// batchRecords calls f with each of the h.RecordCount records in recs,
// the (uncompressed) records of the batch h heads, and their offsets.
func batchRecords(h segment.Header, recs []byte, f func(offset int64, r *kmsg.Record) error) error {
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
	return nil
}
