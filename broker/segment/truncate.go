package segment

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sluicelogs/sluice/internal/atomicfile"
	"github.com/twmb/franz-go/pkg/kerr"
)

// TruncateTo removes every batch whose last offset is ≥ offset, so that
// LogEndOffset becomes the end of the last batch kept: offset itself when
// it is a batch boundary, else the base offset of the batch holding it.
// Later segments are deleted and the indexes of the new active segment
// rebuilt. The high watermark is lowered to the new end if above it. An
// offset at or below LogStartOffset empties the log and restarts it at
// offset. Readers with an unreleased ReadResult past the cut may see short
// or changed bytes; callers only truncate above what consumers can read.
func (l *Log) TruncateTo(offset int64) error {
	if err := l.lockRewrite(); err != nil {
		return err
	}
	defer l.unlockRewrite()
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
	if err := l.lockRewrite(); err != nil {
		return err
	}
	defer l.unlockRewrite()
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

// lockRewrite takes cmu, wmu and mu, in the lock order, for TruncateTo
// and Restart, which rewrite the log holding all three; when the log is
// closed it returns ErrClosed holding none.
func (l *Log) lockRewrite() error {
	l.cmu.Lock()
	l.wmu.Lock()
	l.mu.Lock()
	if l.closed {
		l.unlockRewrite()
		return ErrClosed
	}
	return nil
}

// unlockRewrite releases what lockRewrite took.
func (l *Log) unlockRewrite() {
	l.mu.Unlock()
	l.wmu.Unlock()
	l.cmu.Unlock()
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
		err = atomicfile.SyncDir(l.dir)
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
