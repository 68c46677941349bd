package segment

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"github.com/sluicelogs/sluice/internal/atomicfile"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Append validates a producer batch (see ValidateBatch) and appends it:
// CheckBatch, then AppendChecked.
func (l *Log) Append(batch []byte, leaderEpoch int32) (baseOffset, lastOffset int64, err error) {
	c, err := CheckBatch(batch)
	if err != nil {
		return -1, -1, err
	}
	return l.AppendChecked(c, leaderEpoch)
}

// AppendChecked assigns a validated producer batch the next offsets by
// rewriting its baseOffset and partitionLeaderEpoch fields in place (the
// CRC does not cover them), and appends it to the active segment, rolling
// first when the batch would take the segment past SegmentBytes. Rejected
// batches are *BatchError values that unwrap to the Kafka error code;
// nothing is stored then.
func (l *Log) AppendChecked(c CheckedBatch, leaderEpoch int32) (baseOffset, lastOffset int64, err error) {
	if c.b == nil {
		return -1, -1, batchErr(kerr.CorruptMessage, "batch not checked (zero CheckedBatch)")
	}
	batch, h := c.b, c.h
	if err := l.checkSize(len(batch)); err != nil {
		return -1, -1, err
	}
	if l.opts.Compact {
		if err := checkKeys(batch, &h); err != nil {
			return -1, -1, err
		}
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.isClosed() {
		return -1, -1, ErrClosed
	}
	base := l.leo
	binary.BigEndian.PutUint64(batch[offBaseOffset:], uint64(base))
	binary.BigEndian.PutUint32(batch[offLeaderEpoch:], uint32(leaderEpoch))
	h.BaseOffset, h.LeaderEpoch = base, leaderEpoch
	if err := l.appendLocked(batch, &h); err != nil {
		return -1, -1, err
	}
	return base, h.LastOffset(), nil
}

// AppendReplica appends a batch copied from the leader as it is, offsets
// and leader epoch included, and returns its header. Its base offset must
// equal LogEndOffset.
func (l *Log) AppendReplica(batch []byte) (Header, error) {
	h, err := validateStored(batch)
	if err != nil {
		return h, err
	}
	if err := l.checkSize(len(batch)); err != nil {
		return h, err
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.isClosed() {
		return h, ErrClosed
	}
	if h.BaseOffset < l.leo {
		return h, batchErr(kerr.InvalidRecord, "replica batch starts at offset %d, log ends at %d", h.BaseOffset, l.leo)
	}
	return h, l.appendLocked(batch, &h)
}

func (l *Log) checkSize(n int) error {
	if n > l.opts.MaxBatchBytes {
		return batchErr(kerr.MessageTooLarge, "batch of %d bytes exceeds the %d-byte limit", n, l.opts.MaxBatchBytes)
	}
	if segBytes := l.segmentBytes.Load(); int64(n) > segBytes {
		return batchErr(kerr.MessageTooLarge, "batch of %d bytes exceeds the %d-byte segment size", n, segBytes)
	}
	return nil
}

// appendLocked writes a validated batch whose offsets are final. wmu held.
func (l *Log) appendLocked(batch []byte, h *Header) error {
	s := l.segs[len(l.segs)-1]
	if s.size > 0 && (s.size+int64(len(batch)) > l.segmentBytes.Load() || h.LastOffset()-s.base > math.MaxUint32) {
		var err error
		if s, err = l.roll(); err != nil {
			return err
		}
	}
	pos := s.size
	if err := l.writeAt(s.log, batch, pos); err != nil {
		// Best effort: drop the partial write so the tail stays clean.
		_ = s.log.Truncate(pos)
		return fmt.Errorf("segment %d: append: %w (%w)", s.base, err, kerr.KafkaStorageError)
	}
	rel := uint32(h.BaseOffset - s.base)
	ts := max(s.maxTs, h.MaxTimestamp)
	addIdx := pos > 0 && s.needsIndexEntry(pos, l.opts.IndexIntervalBytes)
	addTime := false
	if addIdx {
		// The batch is written but not visible: a failed index write
		// cuts it again, so that a restart does not find, whole and
		// valid, a batch its producer was told failed.
		if err := l.writeAt(s.idx, s.encodeIndexEntry(indexEntry{rel: rel, pos: uint32(pos)}), int64(len(s.offIdx))*indexEntrySize); err != nil {
			_ = s.log.Truncate(pos)
			_ = s.idx.Truncate(int64(len(s.offIdx)) * indexEntrySize)
			return fmt.Errorf("segment %d: index: %w (%w)", s.base, err, kerr.KafkaStorageError)
		}
		if n := len(s.timeIdx); n == 0 || ts > s.timeIdx[n-1].ts {
			addTime = true
			if err := l.writeAt(s.tidx, s.encodeTimeEntry(timeEntry{ts: ts, rel: rel}), int64(len(s.timeIdx))*timeIndexEntrySize); err != nil {
				_ = s.log.Truncate(pos)
				_ = s.idx.Truncate(int64(len(s.offIdx)) * indexEntrySize)
				_ = s.tidx.Truncate(int64(len(s.timeIdx)) * timeIndexEntrySize)
				return fmt.Errorf("segment %d: time index: %w (%w)", s.base, err, kerr.KafkaStorageError)
			}
		}
	}

	l.mu.Lock()
	if addIdx {
		s.offIdx = append(s.offIdx, indexEntry{rel: rel, pos: uint32(pos)})
	}
	if addTime {
		s.timeIdx = append(s.timeIdx, timeEntry{ts: ts, rel: rel})
	}
	s.maxTs = ts
	s.next = h.NextOffset()
	s.lastBatchRel = rel
	s.size = pos + int64(len(batch))
	l.leo = s.next
	l.mu.Unlock()

	l.unflushed += int64(h.RecordCount)
	if l.opts.FlushMessages > 0 && l.unflushed >= l.opts.FlushMessages {
		return l.syncActive()
	}
	return nil
}

// writeAt writes p at off in f, through WriteFault when a test set one.
func (l *Log) writeAt(f *os.File, p []byte, off int64) error {
	if l.opts.WriteFault != nil {
		if n, err := l.opts.WriteFault(f.Name(), p); err != nil {
			if n > 0 {
				_, _ = f.WriteAt(p[:min(n, len(p))], off)
			}
			return &os.PathError{Op: "write", Path: f.Name(), Err: err}
		}
	}
	_, err := f.WriteAt(p, off)
	return err
}

// roll seals the active segment (final time index entry, fsync) and starts
// a new one at LogEndOffset. wmu held.
func (l *Log) roll() (*segment, error) {
	old := l.segs[len(l.segs)-1]
	if n := len(old.timeIdx); old.maxTs >= 0 && (n == 0 || old.maxTs > old.timeIdx[n-1].ts) {
		e := timeEntry{ts: old.maxTs, rel: old.lastBatchRel}
		if err := l.writeAt(old.tidx, old.encodeTimeEntry(e), int64(n)*timeIndexEntrySize); err != nil {
			return nil, fmt.Errorf("segment %d: time index on roll: %w (%w)", old.base, err, kerr.KafkaStorageError)
		}
		l.mu.Lock()
		old.timeIdx = append(old.timeIdx, e)
		l.mu.Unlock()
	}
	if err := l.syncSegment(old); err != nil {
		return nil, fmt.Errorf("segment %d: fsync on roll: %w (%w)", old.base, err, kerr.KafkaStorageError)
	}
	s, err := openSegmentFiles(l.dir, l.leo, true)
	if err != nil {
		return nil, fmt.Errorf("segment: roll: %w (%w)", err, kerr.KafkaStorageError)
	}
	if err := atomicfile.SyncDir(l.dir); err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("segment: roll: %w (%w)", err, kerr.KafkaStorageError)
	}
	l.mu.Lock()
	l.segs = append(l.segs, s)
	l.mu.Unlock()
	l.log.Debug("rolled segment", "segment", s.base, "previous", old.base, "previousBytes", old.size)
	return s, nil
}
