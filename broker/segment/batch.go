package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Byte offsets of the fields of a magic v2 record batch header. The batch
// length counts every byte after the batchLength field, so a whole batch is
// lengthPrefix+batchLength bytes.
const (
	offBaseOffset      = 0
	offBatchLength     = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21 // CRC-32C covers [offAttributes, end of batch)
	offLastOffsetDelta = 23
	offBaseTimestamp   = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offRecordCount     = 57

	// HeaderSize is the size of a v2 batch header, the smallest batch there is.
	HeaderSize = 61

	lengthPrefix = 12 // baseOffset + batchLength, not counted by batchLength

	compressionMask = 0x07
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header is the decoded fixed part of a v2 record batch.
type Header struct {
	BaseOffset      int64
	Size            int32 // whole batch in bytes: 12 + batchLength
	LeaderEpoch     int32
	Magic           int8
	CRC             uint32
	Attributes      int16
	LastOffsetDelta int32
	BaseTimestamp   int64
	MaxTimestamp    int64
	ProducerID      int64
	ProducerEpoch   int16
	BaseSequence    int32
	RecordCount     int32
}

// LastOffset is the offset of the batch's last record.
func (h *Header) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// NextOffset is the offset that follows the batch.
func (h *Header) NextOffset() int64 { return h.LastOffset() + 1 }

// parseHeader decodes b[:HeaderSize]; the caller guarantees the length.
func parseHeader(b []byte) Header {
	_ = b[HeaderSize-1]
	be := binary.BigEndian
	return Header{
		BaseOffset:      int64(be.Uint64(b[offBaseOffset:])),
		Size:            int32(be.Uint32(b[offBatchLength:])) + lengthPrefix,
		LeaderEpoch:     int32(be.Uint32(b[offLeaderEpoch:])),
		Magic:           int8(b[offMagic]),
		CRC:             be.Uint32(b[offCRC:]),
		Attributes:      int16(be.Uint16(b[offAttributes:])),
		LastOffsetDelta: int32(be.Uint32(b[offLastOffsetDelta:])),
		BaseTimestamp:   int64(be.Uint64(b[offBaseTimestamp:])),
		MaxTimestamp:    int64(be.Uint64(b[offMaxTimestamp:])),
		ProducerID:      int64(be.Uint64(b[offProducerID:])),
		ProducerEpoch:   int16(be.Uint16(b[offProducerEpoch:])),
		BaseSequence:    int32(be.Uint32(b[offBaseSequence:])),
		RecordCount:     int32(be.Uint32(b[offRecordCount:])),
	}
}

// BatchError says why a batch was rejected. It unwraps to the Kafka error
// (a *kerr.Error) the broker should answer with, so
// errors.Is(err, kerr.CorruptMessage) and errors.As(err, new(*kerr.Error))
// both work.
type BatchError struct {
	Err    *kerr.Error
	Reason string
}

func (e *BatchError) Error() string { return "segment: " + e.Err.Message + ": " + e.Reason }
func (e *BatchError) Unwrap() error { return e.Err }

func batchErr(code *kerr.Error, format string, args ...any) error {
	return &BatchError{Err: code, Reason: fmt.Sprintf(format, args...)}
}

// OffsetOutOfRangeError is returned by Read for an offset outside
// [LogStartOffset, LogEndOffset]. It unwraps to kerr.OffsetOutOfRange.
type OffsetOutOfRangeError struct {
	Offset, LogStartOffset, LogEndOffset int64
}

func (e *OffsetOutOfRangeError) Error() string {
	return fmt.Sprintf("segment: offset %d out of range [%d, %d]", e.Offset, e.LogStartOffset, e.LogEndOffset)
}
func (e *OffsetOutOfRangeError) Unwrap() error { return kerr.OffsetOutOfRange }

// ErrClosed is returned by every method of a closed Log.
var ErrClosed = errors.New("segment: log is closed")

// ValidateBatch checks that b is exactly one magic v2 record batch as a
// producer sends it: consistent length, magic 2, correct CRC-32C,
// recordCount ≥ 1, lastOffsetDelta = recordCount-1, a known compression
// codec and, for uncompressed batches, records whose framing and offset
// deltas agree with the header. It does not look at baseOffset or
// partitionLeaderEpoch, which the broker assigns. Errors are *BatchError.
func ValidateBatch(b []byte) (Header, error) {
	h, err := checkFraming(b)
	if err != nil {
		return h, err
	}
	if h.RecordCount < 1 {
		return h, batchErr(kerr.InvalidRecord, "record count %d", h.RecordCount)
	}
	if h.LastOffsetDelta != h.RecordCount-1 {
		return h, batchErr(kerr.InvalidRecord, "lastOffsetDelta %d with %d records", h.LastOffsetDelta, h.RecordCount)
	}
	switch h.Attributes & compressionMask {
	case 0:
		if err := checkRecords(b[HeaderSize:], h.RecordCount); err != nil {
			return h, err
		}
	case 1, 2, 3, 4: // gzip, snappy, lz4, zstd: records are opaque here
	default:
		return h, batchErr(kerr.InvalidRecord, "unknown compression codec %d", h.Attributes&compressionMask)
	}
	return h, nil
}

// CheckedBatch is a producer batch that ValidateBatch accepted, with its
// header. Log.AppendChecked takes only this type, so a caller that must
// read the header before appending (a partition checks idempotent
// producers' sequences) validates the batch once and cannot append one it
// did not validate. The bytes must not change between CheckBatch and
// AppendChecked.
type CheckedBatch struct {
	b []byte
	h Header
}

// CheckBatch validates a producer batch (see ValidateBatch).
func CheckBatch(b []byte) (CheckedBatch, error) {
	h, err := ValidateBatch(b)
	if err != nil {
		return CheckedBatch{}, err
	}
	return CheckedBatch{b: b, h: h}, nil
}

// Header is the batch's header as the producer sent it.
func (c CheckedBatch) Header() Header { return c.h }

// CheckStored checks a batch read from a log (see validateStored): a
// compacted log's batches may hold fewer records than their offsets span.
func CheckStored(b []byte) (Header, error) { return validateStored(b) }

// validateStored is the check for batches already in a log or copied from a
// leader: framing and CRC must hold, and the offset range must make sense,
// but compaction may have left fewer records than the offset range spans.
func validateStored(b []byte) (Header, error) {
	h, err := checkFraming(b)
	if err != nil {
		return h, err
	}
	if h.LastOffsetDelta < 0 || h.RecordCount < 0 || int64(h.RecordCount) > int64(h.LastOffsetDelta)+1 {
		return h, batchErr(kerr.CorruptMessage, "lastOffsetDelta %d with %d records", h.LastOffsetDelta, h.RecordCount)
	}
	if h.BaseOffset < 0 || h.LastOffset() < h.BaseOffset {
		return h, batchErr(kerr.CorruptMessage, "offset range %d+%d", h.BaseOffset, h.LastOffsetDelta)
	}
	return h, nil
}

// checkFraming checks the length, magic and CRC-32C of a single batch.
func checkFraming(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, batchErr(kerr.CorruptMessage, "batch of %d bytes is shorter than a header (%d)", len(b), HeaderSize)
	}
	h := parseHeader(b)
	bl := int64(int32(binary.BigEndian.Uint32(b[offBatchLength:])))
	if bl+lengthPrefix != int64(len(b)) {
		return h, batchErr(kerr.CorruptMessage, "batchLength %d does not match %d bytes", bl, len(b))
	}
	switch h.Magic {
	case 2:
	case 0, 1:
		return h, batchErr(kerr.UnsupportedForMessageFormat, "magic %d", h.Magic)
	default:
		return h, batchErr(kerr.CorruptMessage, "magic %d", h.Magic)
	}
	if sum := crc32.Checksum(b[offAttributes:], castagnoli); sum != h.CRC {
		return h, batchErr(kerr.CorruptMessage, "crc32c %08x, header says %08x", sum, h.CRC)
	}
	return h, nil
}

// checkRecords walks the records of an uncompressed batch without copying:
// each is a zigzag-varint length followed by that many bytes, starting with
// attributes (int8), timestampDelta (varlong) and offsetDelta (varint),
// which must equal the record's index.
func checkRecords(b []byte, count int32) error {
	for i := int32(0); i < count; i++ {
		l, n := binary.Varint(b)
		if n <= 0 || l < 3 || l > int64(len(b)-n) {
			return batchErr(kerr.InvalidRecord, "record %d: bad length", i)
		}
		rec := b[n : n+int(l)]
		b = b[n+int(l):]
		rec = rec[1:] // attributes
		if _, n = binary.Varint(rec); n <= 0 {
			return batchErr(kerr.InvalidRecord, "record %d: bad timestampDelta", i)
		}
		d, m := binary.Varint(rec[n:])
		if m <= 0 || d != int64(i) {
			return batchErr(kerr.InvalidRecord, "record %d: offsetDelta %d", i, d)
		}
	}
	if len(b) != 0 {
		return batchErr(kerr.InvalidRecord, "%d bytes after the last record", len(b))
	}
	return nil
}

// SplitBatches cuts a run of whole batches, as a Fetch response carries
// them, at their length prefixes. A partial batch at the end (a leader may
// cut a response short) is left out; nothing is validated here.
func SplitBatches(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= lengthPrefix {
		n := int64(int32(binary.BigEndian.Uint32(b[offBatchLength:]))) + lengthPrefix
		if n < HeaderSize || n > int64(len(b)) {
			break
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}
