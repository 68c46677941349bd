package segment

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/internal/atomicfile"
)

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
		return atomicfile.SyncDir(l.dir)
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
