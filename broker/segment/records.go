package segment

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Attribute bits of a v2 batch beyond the compression codec.
const (
	attrControl       = 0x20 // a transaction marker batch
	attrDeleteHorizon = 0x40 // baseTimestamp holds the delete horizon (KIP-534)
)

// record is one record of a v2 batch, decoded as far as compaction needs:
// its offset and timestamp deltas, whether it has a key and a value, and
// the key itself. rest is the encoded record after its timestampDelta, so
// a record can be re-encoded with another timestamp base.
type record struct {
	tsDelta  int64
	offDelta int32
	key      []byte
	value    []byte
	hasKey   bool
	hasValue bool
	attrs    byte
	rest     []byte // offsetDelta, key, value, headers: as stored
}

// decodeRecords decodes count records from an uncompressed records area;
// they must fill it exactly. The records alias b.
func decodeRecords(b []byte, count int32) ([]record, error) {
	if count < 0 || int64(count) > int64(len(b)) {
		return nil, batchErr(kerr.CorruptMessage, "%d records in %d bytes", count, len(b))
	}
	recs := make([]record, 0, count)
	for i := int32(0); i < count; i++ {
		l, n := binary.Varint(b)
		if n <= 0 || l < 1 || l > int64(len(b)-n) {
			return nil, batchErr(kerr.CorruptMessage, "record %d: bad length", i)
		}
		body := b[n : n+int(l)]
		b = b[n+int(l):]
		r := record{attrs: body[0]}
		p := body[1:]
		var m int
		if r.tsDelta, m = binary.Varint(p); m <= 0 {
			return nil, batchErr(kerr.CorruptMessage, "record %d: bad timestampDelta", i)
		}
		p = p[m:]
		r.rest = p
		od, m := binary.Varint(p)
		if m <= 0 || od < 0 || od > 1<<31-1 {
			return nil, batchErr(kerr.CorruptMessage, "record %d: bad offsetDelta", i)
		}
		r.offDelta = int32(od)
		p = p[m:]
		var ok bool
		if r.key, r.hasKey, p, ok = lenBytes(p); !ok {
			return nil, batchErr(kerr.CorruptMessage, "record %d: bad key", i)
		}
		if r.value, r.hasValue, _, ok = lenBytes(p); !ok {
			return nil, batchErr(kerr.CorruptMessage, "record %d: bad value", i)
		}
		recs = append(recs, r)
	}
	if len(b) != 0 {
		return nil, batchErr(kerr.CorruptMessage, "%d bytes after the last record", len(b))
	}
	return recs, nil
}

// lenBytes reads a varint length (-1: null) and that many bytes.
func lenBytes(p []byte) (v []byte, present bool, rest []byte, ok bool) {
	l, n := binary.Varint(p)
	if n <= 0 || l < -1 || l > int64(len(p)-n) {
		return nil, false, nil, false
	}
	if l < 0 {
		return nil, false, p[n:], true
	}
	return p[n : n+int(l)], true, p[n+int(l):], true
}

// appendRecord encodes r with timestampDelta tsDelta.
func appendRecord(dst []byte, r *record, tsDelta int64) []byte {
	var tmp [binary.MaxVarintLen64]byte
	tn := binary.PutVarint(tmp[:], tsDelta)
	dst = binary.AppendVarint(dst, int64(1+tn+len(r.rest)))
	dst = append(dst, r.attrs)
	dst = append(dst, tmp[:tn]...)
	return append(dst, r.rest...)
}

// batchRecords returns the decoded records of a stored batch,
// decompressing them when the batch is compressed.
func batchRecords(b []byte, h *Header) ([]record, error) {
	area := b[HeaderSize:]
	if codec := h.Attributes & compressionMask; codec != 0 {
		if codec > 4 {
			return nil, batchErr(kerr.CorruptMessage, "unknown compression codec %d", codec)
		}
		var err error
		if area, err = kgo.DefaultDecompressor().Decompress(area, kgo.CompressionCodecType(codec)); err != nil {
			return nil, batchErr(kerr.CorruptMessage, "decompress: %v", err)
		}
	}
	return decodeRecords(area, h.RecordCount)
}

// checkKeys refuses a batch with a record without a key, as Kafka does for
// a compacted topic.
func checkKeys(b []byte, h *Header) error {
	if h.Attributes&attrControl != 0 {
		return nil
	}
	recs, err := batchRecords(b, h)
	if err != nil {
		return err
	}
	for i := range recs {
		if !recs[i].hasKey {
			return batchErr(kerr.InvalidRecord, "compacted topic cannot accept a record without a key (record %d)", i)
		}
	}
	return nil
}

// rebuildBatch encodes a batch with the header fields of h (offsets,
// producer, leader epoch and max timestamp kept, as Kafka keeps them) and
// the records kept; horizon ≥ 0 sets the delete horizon, which becomes the
// base timestamp. Records are compressed with the original codec.
func rebuildBatch(h *Header, kept []record, horizon int64) ([]byte, error) {
	baseTs, attrs := h.BaseTimestamp, h.Attributes
	if h.Attributes&attrDeleteHorizon != 0 || horizon >= 0 {
		attrs |= attrDeleteHorizon
	}
	if horizon >= 0 {
		baseTs = horizon
	}
	var area []byte
	for i := range kept {
		area = appendRecord(area, &kept[i], h.BaseTimestamp+kept[i].tsDelta-baseTs)
	}
	codec := attrs & compressionMask
	if len(kept) == 0 {
		attrs &^= compressionMask
		codec = 0
	}
	if codec != 0 {
		c, err := kgo.DefaultCompressor(codecFor(codec))
		if err != nil || c == nil {
			return nil, fmt.Errorf("segment: compressor for codec %d: %v", codec, err)
		}
		var buf bytes.Buffer
		z, used := c.Compress(&buf, area)
		if int16(used) != codec {
			return nil, fmt.Errorf("segment: codec %d compressed as %d", codec, used)
		}
		area = bytes.Clone(z)
	}
	b := make([]byte, HeaderSize, HeaderSize+len(area))
	be := binary.BigEndian
	be.PutUint64(b[offBaseOffset:], uint64(h.BaseOffset))
	be.PutUint32(b[offBatchLength:], uint32(HeaderSize-lengthPrefix+len(area)))
	be.PutUint32(b[offLeaderEpoch:], uint32(h.LeaderEpoch))
	b[offMagic] = 2
	be.PutUint16(b[offAttributes:], uint16(attrs))
	be.PutUint32(b[offLastOffsetDelta:], uint32(h.LastOffsetDelta))
	be.PutUint64(b[offBaseTimestamp:], uint64(baseTs))
	be.PutUint64(b[offMaxTimestamp:], uint64(h.MaxTimestamp))
	be.PutUint64(b[offProducerID:], uint64(h.ProducerID))
	be.PutUint16(b[offProducerEpoch:], uint16(h.ProducerEpoch))
	be.PutUint32(b[offBaseSequence:], uint32(h.BaseSequence))
	be.PutUint32(b[offRecordCount:], uint32(len(kept)))
	b = append(b, area...)
	be.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b, nil
}

func codecFor(c int16) kgo.CompressionCodec {
	switch c {
	case 1:
		return kgo.GzipCompression()
	case 2:
		return kgo.SnappyCompression()
	case 3:
		return kgo.Lz4Compression()
	default:
		return kgo.ZstdCompression()
	}
}
