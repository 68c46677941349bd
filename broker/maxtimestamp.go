package broker

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/broker/segment"
)

// maxTimestampOffset answers ListOffsets' max timestamp (-3, KIP-734) as
// a Kafka 3.9 leader does: the timestamp, offset and leader epoch of the
// first record that carries the largest timestamp in the log, found in
// the first batch whose maxTimestamp is that (its records decompressed
// when they are compressed). It answers -1, -1 when the log has no
// timestamp or that record is not below the high watermark yet.
func maxTimestampOffset(p *partition.Partition) (ts, offset int64, epoch int32, err error) {
	ts = p.MaxTimestamp()
	if ts < 0 {
		return -1, -1, -1, nil
	}
	base, err := p.OffsetForTimestamp(ts)
	if err != nil || base < 0 {
		return -1, -1, -1, err
	}
	data, err := p.ReadBytes(max(base, p.LogStartOffset()), 1, p.HighWatermark())
	if err != nil || len(data) < segment.HeaderSize {
		return -1, -1, -1, err
	}
	size := int(int32(binary.BigEndian.Uint32(data[8:]))) + 12
	if size < segment.HeaderSize || size > len(data) {
		return -1, -1, -1, nil
	}
	h, err := segment.ValidateBatch(data[:size])
	if err != nil {
		return -1, -1, -1, err
	}
	recs := data[segment.HeaderSize:size]
	if codec := kgo.CompressionCodecType(h.Attributes & 0x07); codec != kgo.CodecNone {
		if recs, err = kgo.DefaultDecompressor().Decompress(recs, codec); err != nil {
			return -1, -1, -1, err
		}
	}
	offset = -1
	err = batchRecords(h, recs, func(o int64, r *kmsg.Record) error {
		if offset < 0 && h.BaseTimestamp+r.TimestampDelta64 == ts {
			offset = o
		}
		return nil
	})
	if err != nil || offset < 0 {
		return -1, -1, -1, err
	}
	return ts, offset, h.LeaderEpoch, nil
}
