package segment

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

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

func (l *Log) isClosed() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.closed
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
