package segment

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

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
