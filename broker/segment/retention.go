package segment

import (
	"errors"
	"slices"
	"time"
)

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
