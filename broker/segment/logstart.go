package segment

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicelogs/sluice/internal/atomicfile"
	"github.com/twmb/franz-go/pkg/kerr"
)

// LogStartCheckpoint is the file, in the log's directory, that keeps a
// log start offset moved past the first segment's base (DeleteRecords):
// "0\n<offset>\n", written atomically (temp file, fsync, rename) before
// the new start shows. Kafka keeps the same for every partition of a log
// directory in <log.dir>/log-start-offset-checkpoint; one file per
// partition needs no periodic writer and goes with the partition's
// directory when it is deleted.
const LogStartCheckpoint = "log-start-offset-checkpoint"

// ErrPastHighWatermark is AdvanceLogStart's refusal of an offset past the
// high watermark; it unwraps to OFFSET_OUT_OF_RANGE.
var ErrPastHighWatermark = fmt.Errorf("log start offset past the high watermark: %w", kerr.OffsetOutOfRange)

// AdvanceLogStart moves the log start offset up to offset (DeleteRecords
// on a leader, or a follower taking its leader's start) and deletes every
// sealed segment wholly below it. An offset at or below the current start
// changes nothing; one past the high watermark is ErrPastHighWatermark. It
// returns the log start offset after the call. The new start is in the
// checkpoint before readers see it, so it survives a restart.
func (l *Log) AdvanceLogStart(offset int64) (int64, error) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.RLock()
	closed, start, hw := l.closed, l.logStart, l.hw
	l.mu.RUnlock()
	switch {
	case closed:
		return -1, ErrClosed
	case offset > hw:
		return start, ErrPastHighWatermark
	case offset <= start:
		return start, nil
	}
	if err := writeLogStart(l.dir, offset); err != nil {
		return start, fmt.Errorf("segment: %w (%w)", err, kerr.KafkaStorageError)
	}
	l.mu.Lock()
	l.logStart = offset
	gone := l.dropBelowStartLocked()
	l.mu.Unlock()
	l.log.Info("log start offset moved", "logStartOffset", offset, "segmentsDeleted", len(gone))
	return offset, l.removeSegments(gone)
}

// dropBelowStartLocked takes out of the log every sealed segment that
// ends at or below the log start and returns them. mu held.
func (l *Log) dropBelowStartLocked() []*segment {
	n := 0
	for n < len(l.segs)-1 && l.segs[n].next <= l.logStart {
		n++
	}
	gone := slices.Clone(l.segs[:n])
	l.segs = slices.Clone(l.segs[n:])
	return gone
}

// removeSegments deletes the files of segments no longer in the log.
func (l *Log) removeSegments(gone []*segment) error {
	var errs []error
	for _, s := range gone {
		errs = append(errs, s.removeFiles())
		s.release()
	}
	return errors.Join(errs...)
}

// loadLogStart applies the checkpoint when Open finds one: the log start
// (and the high watermark, which starts there) moves up to it, as far as
// the log's end, and the segments wholly below it go. A checkpoint that
// does not parse is logged and ignored: the log then starts at its first
// segment, as without one.
func (l *Log) loadLogStart() error {
	path := filepath.Join(l.dir, LogStartCheckpoint)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("segment: read %s: %w", path, err)
	}
	version, value, ok := strings.Cut(strings.TrimSpace(string(data)), "\n")
	offset, perr := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if !ok || version != "0" || perr != nil || offset < 0 {
		l.log.Warn("ignoring an unreadable log start checkpoint", "file", path)
		return nil
	}
	if offset <= l.logStart {
		return nil
	}
	l.logStart = min(offset, l.leo)
	l.hw = l.logStart
	return l.removeSegments(l.dropBelowStartLocked())
}

// removeLogStart deletes the checkpoint: the log restarts at an offset
// of its own (restartLocked), which the checkpoint must not override.
func removeLogStart(dir string) error {
	err := os.Remove(filepath.Join(dir, LogStartCheckpoint))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// writeLogStart writes the checkpoint atomically.
func writeLogStart(dir string, offset int64) error {
	return atomicfile.Write(filepath.Join(dir, LogStartCheckpoint), func(f *os.File) error {
		_, err := fmt.Fprintf(f, "0\n%d\n", offset)
		return err
	})
}
