package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

const (
	// maxSegmentBytes bounds a segment because index positions are uint32
	// and Kafka caps log.segment.bytes at Integer.MAX_VALUE.
	maxSegmentBytes = math.MaxInt32
	minSegmentBytes = 1024

	DefaultSegmentBytes       = 1 << 30
	DefaultIndexIntervalBytes = 4096
	DefaultRetentionMs        = 7 * 24 * 60 * 60 * 1000 // log.retention.hours=168
	DefaultMaxBatchBytes      = 1048588                 // message.max.bytes

	DefaultDeleteRetentionMs      = 86400000 // delete.retention.ms
	DefaultMinCleanableDirtyRatio = 0.5      // min.cleanable.dirty.ratio
)

// Options configure a Log. The zero value of every field means its default.
type Options struct {
	// SegmentBytes is log.segment.bytes: the active segment rolls before
	// an append would take it past this size. Default 1 GiB, at most
	// 2^31-1, at least 1 KiB.
	SegmentBytes int64
	// IndexIntervalBytes is index.interval.bytes: a batch gets a sparse
	// index entry when it starts at least this many bytes after the
	// previous entry. Default 4096.
	IndexIntervalBytes int
	// RetentionBytes is log.retention.bytes per partition; -1 (the
	// default, also for 0) keeps any size.
	RetentionBytes int64
	// RetentionMs is log.retention.ms; -1 keeps forever; 0 means the
	// default of 168 hours.
	RetentionMs int64
	// MaxBatchBytes is message.max.bytes, the largest batch Append takes.
	// Default 1048588.
	MaxBatchBytes int
	// FlushMessages is log.flush.interval.messages: fsync the active
	// segment once this many records were appended since the last fsync.
	// 0 (the default) leaves flushing to the OS and to Flush, as Kafka's
	// default of Long.MAX_VALUE does; 1 syncs every append.
	FlushMessages int64
	// FlushInterval is log.flush.interval.ms: FlushIfDue fsyncs the active
	// segment when it holds records appended since the last fsync and
	// that fsync is at least this old. 0 (the default) never does.
	FlushInterval time.Duration
	// OnSync, when set, is called after every fsync of the log's data
	// (a flush by FlushMessages, FlushIfDue or Flush, and a roll) with
	// how long it took: the broker's flush metric. It runs with the
	// log's writer lock held and must not call the log.
	OnSync func(time.Duration)
	// WriteFault, when set, is consulted before every write to a
	// segment's files: it returns how many bytes of p to write and an
	// error to fail the write with after them, as a full or failing
	// disk would (a torn write, then ENOSPC or EIO). nil error: the
	// write proceeds. Tests inject storage faults with it.
	WriteFault func(file string, p []byte) (int, error)

	// Compact is cleanup.policy containing compact: appends refuse
	// records without a key and Clean keeps the latest record of each
	// key. Retention still applies unless the caller disables it.
	Compact bool
	// DeleteRetentionMs is delete.retention.ms: how long a tombstone
	// stays after the pass that first cleaned it. 0 means the default
	// of 86400000; -1 means tombstones go at their first clean.
	DeleteRetentionMs int64
	// MinCleanableDirtyRatio is min.cleanable.dirty.ratio (default 0.5
	// for 0): the share of dirty bytes that makes the log worth cleaning.
	MinCleanableDirtyRatio float64
	// MinCompactionLagMs is min.compaction.lag.ms: segments with records
	// younger than this are not cleaned. Default 0.
	MinCompactionLagMs int64
	// MaxCompactionLagMs is max.compaction.lag.ms: a dirty segment whose
	// first batch is older than this is cleaned whatever the dirty
	// ratio. 0 means never (Kafka's default of Long.MAX_VALUE).
	MaxCompactionLagMs int64
	// CleanFault, when set, is called at each step of a cleaning pass
	// (see Clean); a non-nil error stops the pass there as a kill -9
	// would, without cleaning up. Tests inject crashes with it.
	CleanFault func(step string) error
}

func (o Options) withDefaults() Options {
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.IndexIntervalBytes == 0 {
		o.IndexIntervalBytes = DefaultIndexIntervalBytes
	}
	if o.RetentionBytes == 0 {
		o.RetentionBytes = -1
	}
	if o.RetentionMs == 0 {
		o.RetentionMs = DefaultRetentionMs
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.DeleteRetentionMs == 0 {
		o.DeleteRetentionMs = DefaultDeleteRetentionMs
	} else if o.DeleteRetentionMs < 0 {
		o.DeleteRetentionMs = 0
	}
	if o.MinCleanableDirtyRatio == 0 {
		o.MinCleanableDirtyRatio = DefaultMinCleanableDirtyRatio
	}
	return o
}

// Validate reports the first option out of range (after defaults).
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case o.SegmentBytes < minSegmentBytes || o.SegmentBytes > maxSegmentBytes:
		return fmt.Errorf("segment: SegmentBytes %d not in [%d, %d]", o.SegmentBytes, minSegmentBytes, maxSegmentBytes)
	case o.IndexIntervalBytes < 0:
		return fmt.Errorf("segment: IndexIntervalBytes %d < 0", o.IndexIntervalBytes)
	case o.RetentionBytes < -1:
		return fmt.Errorf("segment: RetentionBytes %d < -1", o.RetentionBytes)
	case o.RetentionMs < -1:
		return fmt.Errorf("segment: RetentionMs %d < -1", o.RetentionMs)
	case o.MaxBatchBytes < HeaderSize:
		return fmt.Errorf("segment: MaxBatchBytes %d < %d", o.MaxBatchBytes, HeaderSize)
	case o.FlushMessages < 0:
		return fmt.Errorf("segment: FlushMessages %d < 0", o.FlushMessages)
	case o.MinCleanableDirtyRatio < 0 || o.MinCleanableDirtyRatio > 1:
		return fmt.Errorf("segment: MinCleanableDirtyRatio %g not in [0, 1]", o.MinCleanableDirtyRatio)
	case o.MinCompactionLagMs < 0 || o.MaxCompactionLagMs < 0:
		return fmt.Errorf("segment: compaction lags %d, %d < 0", o.MinCompactionLagMs, o.MaxCompactionLagMs)
	case o.FlushInterval < 0:
		return fmt.Errorf("segment: FlushInterval %s < 0", o.FlushInterval)
	}
	return nil
}

// Log is one partition's log: a directory of segments. See the package
// documentation for the layout, invariants and locking rule.
type Log struct {
	dir  string
	opts Options
	log  *slog.Logger

	// wmu serializes every mutation (Append, AppendReplica, TruncateTo,
	// EnforceRetention, Flush, Close). The writer does its file I/O
	// holding only wmu and publishes the result under mu.
	// cmu is held by a cleaning pass and by everything else that removes
	// or rewrites sealed segments (retention, truncation, restart,
	// Close); appends do not take it. Lock order: cmu, wmu, mu.
	cmu     sync.Mutex
	cleaner cleanerState // cmu

	// segmentBytes and flushInterval are opts.SegmentBytes and
	// opts.FlushInterval as Reconfigure last set them: read without a
	// lock by the appends' size check, the roll, the cleaner and
	// FlushIfDue, so that an altered segment.bytes or flush.ms applies
	// from the next append or check.
	segmentBytes  atomic.Int64
	flushInterval atomic.Int64 // a time.Duration

	wmu       sync.Mutex
	unflushed int64     // records appended since the last fsync; wmu
	lastSync  time.Time // when the active segment was last fsynced (or the log opened); wmu

	// mu guards what readers see.
	mu       sync.RWMutex
	segs     []*segment // ascending base offsets; the last is active
	logStart int64
	leo      int64
	hw       int64
	closed   bool
}

// Open opens the partition log in dir (creating the directory and a first
// segment at offset 0 if needed) and recovers it: the active segment is
// scanned batch by batch and cut at the first invalid or torn batch, its
// indexes rebuilt; older segments keep their indexes when these are sane.
// The high watermark starts at LogStartOffset: the owner raises it.
func Open(dir string, opts Options, logger *slog.Logger) (*Log, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &Log{dir: dir, opts: opts, log: logger.With("component", "segment", "dir", dir), lastSync: time.Now()}
	l.segmentBytes.Store(opts.SegmentBytes)
	l.flushInterval.Store(int64(opts.FlushInterval))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := l.finishCleaning(); err != nil {
		return nil, fmt.Errorf("segment: %s: finish cleaning: %w", dir, err)
	}
	bases, err := l.scanDir()
	if err != nil {
		return nil, err
	}
	if err := l.recover(bases); err != nil {
		for _, s := range l.segs {
			s.closeFiles()
		}
		return nil, err
	}
	last := l.segs[len(l.segs)-1]
	l.logStart, l.leo, l.hw = l.segs[0].base, last.next, l.segs[0].base
	if err := l.loadLogStart(); err != nil {
		l.Close()
		return nil, err
	}
	l.log.Info("log opened", "segments", len(l.segs), "logStartOffset", l.logStart, "logEndOffset", l.leo)
	return l, nil
}

// scanDir lists the base offsets of the .log files and removes index files
// that lost their .log.
func (l *Log) scanDir() ([]int64, error) {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	logs := map[int64]bool{}
	var bases []int64
	type orphan struct {
		base int64
		name string
	}
	var idx []orphan
	for _, e := range ents {
		name := e.Name()
		ext := filepath.Ext(name)
		stem := strings.TrimSuffix(name, ext)
		base, perr := strconv.ParseInt(stem, 10, 64)
		if e.IsDir() || len(stem) != 20 || perr != nil || base < 0 {
			continue
		}
		switch ext {
		case logSuffix:
			logs[base] = true
			bases = append(bases, base)
		case indexSuffix, timeIndexSuffix:
			idx = append(idx, orphan{base, name})
		}
	}
	for _, o := range idx {
		if !logs[o.base] {
			l.log.Warn("removing index without its log file", "file", o.name)
			if err := os.Remove(filepath.Join(l.dir, o.name)); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(bases)
	return bases, nil
}

func (l *Log) recover(bases []int64) error {
	if len(bases) == 0 {
		s, err := openSegmentFiles(l.dir, 0, true)
		if err != nil {
			return err
		}
		l.segs = []*segment{s}
		return syncDir(l.dir)
	}
	for i, base := range bases {
		s, err := openSegmentFiles(l.dir, base, false)
		if err != nil {
			return err
		}
		l.segs = append(l.segs, s)
		active := i == len(bases)-1
		if !active {
			lerr := s.loadIndexes(l.opts.IndexIntervalBytes)
			if lerr == nil {
				continue
			}
			l.log.Warn("rebuilding indexes of a sealed segment", "segment", base, "reason", lerr)
		}
		cut, reason, err := s.recoverData(base, l.opts.IndexIntervalBytes)
		if err != nil {
			return fmt.Errorf("segment: recover %s: %w", segmentPath(l.dir, base, logSuffix), err)
		}
		if cut > 0 {
			l.log.Warn("truncated invalid tail of segment", "segment", base, "bytes", cut, "validBytes", s.size, "nextOffset", s.next, "reason", reason)
			if !active {
				// A log never has holes: what follows a cut is dropped.
				for _, b := range bases[i+1:] {
					l.log.Error("deleting segment after a corrupt one", "segment", b)
					gone := &segment{base: b, dir: l.dir}
					if err := gone.removeFiles(); err != nil {
						return err
					}
				}
				return nil
			}
		}
	}
	for i := 1; i < len(l.segs); i++ {
		if prev, s := l.segs[i-1], l.segs[i]; prev.next > s.base {
			return fmt.Errorf("segment: %s: segment %d ends at offset %d, past the next segment's base %d", l.dir, prev.base, prev.next, s.base)
		} else if prev.next < s.base {
			l.log.Warn("offset gap between segments", "segment", prev.base, "nextOffset", prev.next, "nextSegment", s.base)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

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

func (l *Log) isClosed() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.closed
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

// syncActive fsyncs the active segment and its indexes: what
// FlushMessages, FlushIfDue and Flush do. wmu held.
func (l *Log) syncActive() error {
	s := l.segs[len(l.segs)-1]
	if err := l.syncSegment(s); err != nil {
		return fmt.Errorf("segment %d: fsync: %w (%w)", s.base, err, kerr.KafkaStorageError)
	}
	return nil
}

// syncSegment fsyncs s and, when it is the active segment's data, counts
// it as a flush. wmu held.
func (l *Log) syncSegment(s *segment) error {
	start := time.Now()
	if err := s.sync(); err != nil {
		return err
	}
	l.unflushed, l.lastSync = 0, time.Now()
	if l.opts.OnSync != nil {
		l.opts.OnSync(l.lastSync.Sub(start))
	}
	return nil
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
	if err := syncDir(l.dir); err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("segment: roll: %w (%w)", err, kerr.KafkaStorageError)
	}
	l.mu.Lock()
	l.segs = append(l.segs, s)
	l.mu.Unlock()
	l.log.Debug("rolled segment", "segment", s.base, "previous", old.base, "previousBytes", old.size)
	return s, nil
}

// LogStartOffset is the first offset still in the log.
func (l *Log) LogStartOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.logStart
}

// LogEndOffset is the offset the next appended record gets.
func (l *Log) LogEndOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.leo
}

// HighWatermark is the offset below which records are committed.
func (l *Log) HighWatermark() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.hw
}

// SetHighWatermark raises the high watermark to min(hw, LogEndOffset).
// Lower values are ignored: it only moves forward (TruncateTo is the one
// thing that lowers it).
func (l *Log) SetHighWatermark(hw int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	hw = min(hw, l.leo)
	if hw > l.hw {
		l.hw = hw
	}
}

// Flush fsyncs the active segment and its indexes. Sealed segments were
// synced when they rolled.
func (l *Log) Flush() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.isClosed() {
		return ErrClosed
	}
	return l.syncActive()
}

// FlushIfDue fsyncs the active segment when FlushInterval is set, records
// were appended since the last fsync, and that fsync is at least
// FlushInterval before now (log.flush.interval.ms); it reports whether it
// did. The broker calls it for every partition from one ticker.
func (l *Log) FlushIfDue(now time.Time) (bool, error) {
	every := time.Duration(l.flushInterval.Load())
	if every <= 0 {
		return false, nil
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.isClosed() {
		return false, ErrClosed
	}
	if l.unflushed == 0 || now.Sub(l.lastSync) < every {
		return false, nil
	}
	return true, l.syncActive()
}

// Close flushes the active segment and closes the log. Files that an
// unreleased ReadResult still uses stay open until it is released.
func (l *Log) Close() error {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	segs := l.segs
	l.segs = nil
	l.mu.Unlock()
	err := segs[len(segs)-1].sync()
	for _, s := range segs {
		s.release()
	}
	return err
}

// EnforceRetention deletes whole segments from the oldest on while the
// oldest is past RetentionMs (by its largest batch timestamp, or the file's
// modification time when it has none) or while the log without it would
// still hold at least RetentionBytes. It never deletes the active segment
// nor a segment with offsets at or above the high watermark.
func (l *Log) EnforceRetention(now time.Time) (deleted int, err error) {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, ErrClosed
	}
	var total int64
	for _, s := range l.segs {
		total += s.size
	}
	nowMs := now.UnixMilli()
	n := 0
	for ; n < len(l.segs)-1; n++ {
		s := l.segs[n]
		if s.next > l.hw {
			break
		}
		byBytes := l.opts.RetentionBytes >= 0 && total-s.size >= l.opts.RetentionBytes
		byTime := false
		if l.opts.RetentionMs >= 0 {
			ts := s.maxTs
			if ts < 0 {
				if st, err := s.log.Stat(); err == nil {
					ts = st.ModTime().UnixMilli()
				}
			}
			byTime = nowMs-ts > l.opts.RetentionMs
		}
		if !byBytes && !byTime {
			break
		}
		total -= s.size
	}
	gone := slices.Clone(l.segs[:n])
	l.segs = slices.Clone(l.segs[n:])
	if n > 0 {
		l.logStart = max(l.logStart, l.segs[0].base)
	}
	logStart := l.logStart
	l.mu.Unlock()

	var errs []error
	for _, s := range gone {
		errs = append(errs, s.removeFiles())
		s.release()
		l.log.Info("deleted segment by retention", "segment", s.base, "bytes", s.size, "logStartOffset", logStart)
	}
	return len(gone), errors.Join(errs...)
}

// TruncateTo removes every batch whose last offset is ≥ offset, so that
// LogEndOffset becomes the end of the last batch kept: offset itself when
// it is a batch boundary, else the base offset of the batch holding it.
// Later segments are deleted and the indexes of the new active segment
// rebuilt. The high watermark is lowered to the new end if above it. An
// offset at or below LogStartOffset empties the log and restarts it at
// offset. Readers with an unreleased ReadResult past the cut may see short
// or changed bytes; callers only truncate above what consumers can read.
func (l *Log) TruncateTo(offset int64) error {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if offset < 0 {
		return fmt.Errorf("segment: truncate to negative offset %d", offset)
	}
	if offset >= l.leo {
		return nil
	}
	var drop []*segment
	if offset <= l.logStart {
		if err := l.restartLocked(offset); err != nil {
			return err
		}
	} else {
		i := l.findSegment(offset)
		s := l.segs[i]
		pos, _, found, err := s.locate(offset, s.view())
		if err != nil {
			return err
		}
		if found {
			if err := s.log.Truncate(pos); err != nil {
				return fmt.Errorf("segment %d: truncate: %w (%w)", s.base, err, kerr.KafkaStorageError)
			}
			// The kept prefix was validated once; rescanning it rebuilds
			// indexes, end offset and max timestamp in one code path.
			cut, reason, err := s.recoverData(s.base, l.opts.IndexIntervalBytes)
			if err != nil {
				return err
			}
			if cut > 0 {
				l.log.Error("segment changed under truncation", "segment", s.base, "bytes", cut, "reason", reason)
			}
		}
		drop = slices.Clone(l.segs[i+1:])
		l.segs = slices.Clone(l.segs[:i+1])
	}
	l.leo = l.segs[len(l.segs)-1].next
	l.hw = min(l.hw, l.leo)
	var errs []error
	for _, s := range drop {
		errs = append(errs, s.removeFiles())
		s.release()
	}
	l.log.Info("truncated log", "offset", offset, "logEndOffset", l.leo, "segmentsDeleted", len(drop))
	return errors.Join(errs...)
}

// Restart empties the log and starts it again at offset, which may be past
// its end: a follower whose leader has deleted everything it would fetch
// next starts over at the leader's log start.
func (l *Log) Restart(offset int64) error {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if offset < 0 {
		return fmt.Errorf("segment: restart at negative offset %d", offset)
	}
	if err := l.restartLocked(offset); err != nil {
		return err
	}
	l.leo, l.hw = offset, offset
	l.log.Info("restarted log", "offset", offset)
	return nil
}

// restartLocked replaces every segment by an empty one at offset; wmu and
// mu held. The caller sets leo and hw.
func (l *Log) restartLocked(offset int64) error {
	// Remove every file first: the new segment may reuse a name.
	if err := removeLogStart(l.dir); err != nil {
		return fmt.Errorf("segment: restart log at %d: %w (%w)", offset, err, kerr.KafkaStorageError)
	}
	for _, s := range l.segs {
		if err := s.removeFiles(); err != nil {
			return err
		}
	}
	s, err := openSegmentFiles(l.dir, offset, true)
	if err == nil {
		err = syncDir(l.dir)
	}
	if err != nil {
		return fmt.Errorf("segment: restart log at %d: %w (%w)", offset, err, kerr.KafkaStorageError)
	}
	for _, old := range l.segs {
		old.release()
	}
	l.segs = []*segment{s}
	l.logStart = offset
	return nil
}

// findSegment returns the index of the last segment whose base is ≤
// offset (0 if none). mu held. O(log segments).
func (l *Log) findSegment(offset int64) int {
	lo, hi := 0, len(l.segs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.segs[m].base <= offset {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return max(lo-1, 0)
}

// OffsetForTimestamp returns the base offset of the first batch whose
// maxTimestamp is ≥ ts (ListOffsets by timestamp), or -1 when there is
// none. The special timestamps -1 (latest) and -2 (earliest) are the
// caller's to map to LogEndOffset/HighWatermark and LogStartOffset.
func (l *Log) OffsetForTimestamp(ts int64) (int64, error) {
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return -1, ErrClosed
	}
	var s *segment
	var v view
	var tidx []timeEntry
	for _, c := range l.segs {
		if c.maxTs >= ts && c.size > 0 {
			s, v, tidx = c, c.view(), c.timeIdx
			s.refs.Add(1)
			break
		}
	}
	l.mu.RUnlock()
	if s == nil {
		return -1, nil
	}
	defer s.release()
	// The last time entry with ts' < ts: every batch up to its offset is
	// older than ts, so the scan starts there.
	lo, hi := 0, len(tidx)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if tidx[m].ts < ts {
			lo = m + 1
		} else {
			hi = m
		}
	}
	var pos int64
	if lo > 0 {
		pos = int64(floorEntry(v.offIdx, tidx[lo-1].rel).pos)
	}
	for pos < v.size {
		h, err := s.readHeader(pos, v.size)
		if err != nil {
			return -1, err
		}
		if h.MaxTimestamp >= ts {
			return h.BaseOffset, nil
		}
		pos += int64(h.Size)
	}
	return -1, nil
}
