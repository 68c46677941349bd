package segment

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/internal/atomicfile"
)

// Steps of a cleaning pass at which Options.CleanFault is consulted, in
// order. The rename to .swap is the commit point: a crash before it leaves
// the old segments in charge (Open deletes the .cleaned file), a crash
// after it leaves Open to finish the swap.
const (
	StepWrite   = "write"   // the first cleaned batch is in <base>.log.cleaned
	StepSync    = "sync"    // .cleaned written, not yet fsynced
	StepSwap    = "swap"    // .cleaned renamed to .log.swap
	StepDelete  = "delete"  // the first old segment after the group's first removed
	StepInstall = "install" // .swap renamed over <base>.log, indexes not yet written
)

const (
	cleanedSuffix = ".log.cleaned"
	swapSuffix    = ".log.swap"
)

// cleanerState is what the cleaner keeps between passes; cmu held.
type cleanerState struct {
	// firstDirty: segments below it were cleaned by an earlier pass. It
	// is not persisted, so after Open the whole log is dirty again.
	firstDirty int64
	// horizon is the earliest delete horizon of a tombstone the last
	// pass kept (0: none): a pass is due when it has passed.
	horizon int64
	// failed stops further passes after a pass died past its commit
	// point: the files are left for Open to finish.
	failed error
}

// CleanStats says what a cleaning pass did.
type CleanStats struct {
	Ran            bool  // the log was due and a pass ran
	Segments       int   // sealed segments read
	BytesRead      int64 // their bytes
	BytesWritten   int64 // bytes of the cleaned segments
	RecordsRemoved int64
}

// Clean runs one compaction pass when the log is compacted and due, with
// Kafka's semantics. The cleanable part is the sealed segments from the
// start up to the first one that holds offsets at or above the high
// watermark or records younger than MinCompactionLagMs; the active
// segment is never cleaned. A pass is due when the dirty part (cleanable
// segments not cleaned since Open) is at least MinCleanableDirtyRatio of
// the cleanable bytes, when its first batch is older than
// MaxCompactionLagMs, or when a kept tombstone's delete horizon passed.
//
// A pass keeps, of the cleanable part, the last record of each key; keyless
// records go. Batches keep their offsets, producer fields and leader epoch
// (offsets get gaps); a batch left empty goes unless it is its producer's
// last batch in the log, which stays as an empty batch so the producer's
// sequence survives. A tombstone (null value) is kept, and its batch gets
// the delete horizon now+DeleteRetentionMs (KIP-534: attribute bit 6, the
// base timestamp holds it), until a pass after that horizon. Consecutive
// segments are merged into one, named by the first, while the cleaned
// bytes plus the next segment's size fit SegmentBytes.
//
// Each group is written to <base>.log.cleaned, fsynced, renamed to
// <base>.log.swap (the commit point), the group's old files removed, and
// the .swap renamed over <base>.log; Open finishes or discards what a
// crash left. Appends and reads go on during a pass.
func (l *Log) Clean(ctx context.Context, now time.Time) (CleanStats, error) {
	var st CleanStats
	if !l.opts.Compact {
		return st, nil
	}
	l.cmu.Lock()
	defer l.cmu.Unlock()
	if l.cleaner.failed != nil {
		return st, l.cleaner.failed
	}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return st, ErrClosed
	}
	segs, hw := slices.Clone(l.segs), l.hw
	active := segs[len(segs)-1].view()
	l.mu.RUnlock()

	nowMs := now.UnixMilli()
	k := 0 // segs[:k] is cleanable; sealed segments only change under cmu
	for ; k < len(segs)-1; k++ {
		s := segs[k]
		if s.next > hw || (l.opts.MinCompactionLagMs > 0 && s.maxTs > nowMs-l.opts.MinCompactionLagMs) {
			break
		}
	}
	if k == 0 || !l.cleanDue(segs[:k], nowMs) {
		return st, nil
	}
	st.Ran = true
	p := &cleanPass{l: l, nowMs: nowMs, latest: map[string]int64{}, lastOfProducer: map[int64]int64{}}
	for i, s := range segs {
		size := active.size // the writer changes s.size of the active one
		if i < len(segs)-1 {
			size = s.size
		}
		if err := p.scan(s, size, i < k); err != nil {
			return st, err
		}
	}
	for i := 0; i < k; {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		n, err := p.cleanGroup(segs[i:k], &st)
		if err != nil {
			return st, err
		}
		i += n
	}
	l.cleaner.firstDirty = segs[k].base
	l.cleaner.horizon = p.horizon
	l.log.Info("cleaned log", "segments", st.Segments, "bytesRead", st.BytesRead, "bytesWritten", st.BytesWritten, "recordsRemoved", st.RecordsRemoved, "firstDirty", l.cleaner.firstDirty)
	return st, nil
}

// cleanDue says whether the cleanable segments are worth a pass. cmu held.
func (l *Log) cleanDue(cleanable []*segment, nowMs int64) bool {
	if h := l.cleaner.horizon; h > 0 && nowMs >= h {
		return true
	}
	var clean, dirty int64
	var firstDirty *segment
	for _, s := range cleanable {
		if s.base < l.cleaner.firstDirty {
			clean += s.size
			continue
		}
		if firstDirty == nil && s.size > 0 {
			firstDirty = s
		}
		dirty += s.size
	}
	if dirty == 0 {
		return false
	}
	if float64(dirty)/float64(clean+dirty) >= l.opts.MinCleanableDirtyRatio {
		return true
	}
	if lag := l.opts.MaxCompactionLagMs; lag > 0 && firstDirty != nil {
		if h, err := firstDirty.readHeader(0, firstDirty.size); err == nil && nowMs-h.BaseTimestamp > lag {
			return true
		}
	}
	return false
}

// cleanPass is one pass's state: the offset of the last record of every
// key in the cleanable part, and every producer's last batch in the log.
type cleanPass struct {
	l              *Log
	nowMs          int64
	latest         map[string]int64
	lastOfProducer map[int64]int64 // producer id → last offset of its last batch
	horizon        int64           // earliest delete horizon kept, 0 none
}

// scan reads s's first size bytes: the producers of every batch and, when
// cleanable, the last offset of every key.
func (p *cleanPass) scan(s *segment, size int64, cleanable bool) error {
	return s.eachBatch(size, !cleanable, func(b []byte, h *Header) error {
		if h.ProducerID >= 0 {
			p.lastOfProducer[h.ProducerID] = h.LastOffset()
		}
		if !cleanable || h.Attributes&attrControl != 0 {
			return nil
		}
		recs, err := batchRecords(b, h)
		if err != nil {
			return fmt.Errorf("segment %d: batch at offset %d: %w", s.base, h.BaseOffset, err)
		}
		for i := range recs {
			if recs[i].hasKey {
				p.latest[string(recs[i].key)] = h.BaseOffset + int64(recs[i].offDelta)
			}
		}
		return nil
	})
}

// filter returns what of batch b a cleaned segment keeps: b itself, a
// rebuilt batch, or nil.
func (p *cleanPass) filter(b []byte, h *Header) (out []byte, removed int64, err error) {
	if h.Attributes&attrControl != 0 {
		return b, 0, nil
	}
	recs, err := batchRecords(b, h)
	if err != nil {
		return nil, 0, err
	}
	hasHorizon := h.Attributes&attrDeleteHorizon != 0
	kept := recs[:0:0]
	tombstones := false
	for _, r := range recs {
		if !r.hasKey || p.latest[string(r.key)] != h.BaseOffset+int64(r.offDelta) {
			continue
		}
		if !r.hasValue {
			if hasHorizon && p.nowMs >= h.BaseTimestamp {
				continue
			}
			tombstones = true
		}
		kept = append(kept, r)
	}
	removed = int64(len(recs) - len(kept))
	horizon := int64(-1)
	if tombstones {
		horizon = h.BaseTimestamp
		if !hasHorizon {
			horizon = p.nowMs + p.l.opts.DeleteRetentionMs
		}
		if p.horizon == 0 || horizon < p.horizon {
			p.horizon = horizon
		}
		if hasHorizon {
			horizon = -1 // already set
		}
	}
	switch {
	case removed == 0 && horizon < 0:
		return b, 0, nil
	case len(kept) == 0 && !(h.ProducerID >= 0 && p.lastOfProducer[h.ProducerID] == h.LastOffset()):
		return nil, removed, nil
	}
	out, err = rebuildBatch(h, kept, horizon)
	return out, removed, err
}

// cleanGroup rewrites the first of segs, and as many of the next as fit,
// as one segment and reports how many it took; see Clean.
func (p *cleanPass) cleanGroup(segs []*segment, st *CleanStats) (int, error) {
	l := p.l
	base := segs[0].base
	group := segs[:1]
	cleaned, swap := segmentPath(l.dir, base, cleanedSuffix), segmentPath(l.dir, base, swapSuffix)
	f, err := os.OpenFile(cleaned, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, fmt.Errorf("segment: clean: %w", err)
	}
	abort := func(err error) (int, error) {
		f.Close()
		os.Remove(cleaned)
		return 0, fmt.Errorf("segment %d: clean: %w", base, err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var written, read, removed int64
	changed, first := false, true
	segBytes := l.segmentBytes.Load()
	for i, s := range segs {
		if i > 0 {
			if written+s.size > segBytes || s.next-base > math.MaxUint32 {
				break
			}
			group, changed = segs[:i+1], true
		}
		read += s.size
		err := s.eachBatch(s.size, false, func(b []byte, h *Header) error {
			out, n, err := p.filter(b, h)
			if err != nil {
				return fmt.Errorf("batch at offset %d: %w", h.BaseOffset, err)
			}
			removed += n
			if len(out) != len(b) || n > 0 || (len(out) > 0 && &out[0] != &b[0]) {
				changed = true
			}
			if out == nil {
				return nil
			}
			if _, err := w.Write(out); err != nil {
				return err
			}
			written += int64(len(out))
			if first {
				first = false
				if err := w.Flush(); err != nil {
					return err
				}
				return p.fault(StepWrite)
			}
			return nil
		})
		if errors.Is(err, errCrash) {
			return 0, err
		}
		if err != nil {
			return abort(err)
		}
	}
	st.Segments += len(group)
	st.BytesRead += read
	if !changed {
		f.Close()
		return 1, os.Remove(cleaned)
	}
	if err := w.Flush(); err != nil {
		return abort(err)
	}
	if err := p.fault(StepSync); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return abort(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(cleaned)
		return 0, fmt.Errorf("segment %d: clean: %w", base, err)
	}
	if err := os.Rename(cleaned, swap); err != nil {
		os.Remove(cleaned)
		return 0, fmt.Errorf("segment %d: clean: %w", base, err)
	}
	// Committed: from here on a failure leaves the files to Open.
	if err := p.commit(group, swap); err != nil {
		if !errors.Is(err, errCrash) {
			err = fmt.Errorf("segment %d: clean: %w", base, err)
		}
		l.cleaner.failed = err
		return 0, err
	}
	st.BytesWritten += written
	st.RecordsRemoved += removed
	return len(group), nil
}

// commit replaces the group's segments by the .swap file; cmu held.
func (p *cleanPass) commit(group []*segment, swap string) error {
	l := p.l
	base := group[0].base
	if err := atomicfile.SyncDir(l.dir); err != nil {
		return err
	}
	if err := p.fault(StepSwap); err != nil {
		return err
	}
	for i, s := range group[1:] {
		if err := s.removeFiles(); err != nil {
			return err
		}
		if i == 0 {
			if err := p.fault(StepDelete); err != nil {
				return err
			}
		}
	}
	for _, suf := range []string{indexSuffix, timeIndexSuffix} {
		if err := os.Remove(segmentPath(l.dir, base, suf)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(swap, segmentPath(l.dir, base, logSuffix)); err != nil {
		return err
	}
	if err := atomicfile.SyncDir(l.dir); err != nil {
		return err
	}
	if err := p.fault(StepInstall); err != nil {
		return err
	}
	s, err := openSegmentFiles(l.dir, base, false)
	if err != nil {
		return err
	}
	if cut, reason, err := s.recoverData(base, l.opts.IndexIntervalBytes); err != nil || cut > 0 {
		s.closeFiles()
		return errors.Join(err, reason, fmt.Errorf("cleaned segment %d invalid", base))
	}
	// The writer reads l.segs holding wmu alone.
	l.wmu.Lock()
	l.mu.Lock()
	i := slices.Index(l.segs, group[0])
	l.segs = slices.Concat(l.segs[:i], []*segment{s}, l.segs[i+len(group):])
	l.mu.Unlock()
	l.wmu.Unlock()
	for _, old := range group {
		old.release()
	}
	return nil
}

// errCrash marks an error returned by Options.CleanFault.
var errCrash = errors.New("segment: injected crash")

func (p *cleanPass) fault(step string) error {
	if p.l.opts.CleanFault == nil {
		return nil
	}
	if err := p.l.opts.CleanFault(step); err != nil {
		return fmt.Errorf("%w at %s: %w", errCrash, step, err)
	}
	return nil
}

// eachBatch calls fn for every batch in s's first size bytes, in order;
// headersOnly passes the header bytes alone. b is reused between calls.
func (s *segment) eachBatch(size int64, headersOnly bool, fn func(b []byte, h *Header) error) error {
	if headersOnly {
		for pos := int64(0); pos < size; {
			h, err := s.readHeader(pos, size)
			if err != nil {
				return err
			}
			if err := fn(nil, &h); err != nil {
				return err
			}
			pos += int64(h.Size)
		}
		return nil
	}
	r := bufio.NewReaderSize(io.NewSectionReader(s.log, 0, size), 1<<20)
	var buf []byte
	for pos := int64(0); pos < size; {
		var prefix [lengthPrefix]byte
		if _, err := io.ReadFull(r, prefix[:]); err != nil {
			return fmt.Errorf("segment %d: read at %d: %w", s.base, pos, err)
		}
		total := int64(int32(binary.BigEndian.Uint32(prefix[offBatchLength:]))) + lengthPrefix
		if total < HeaderSize || total > size-pos {
			return s.storageErr(pos, "bad batch length")
		}
		if int64(cap(buf)) < total {
			buf = make([]byte, total)
		}
		b := buf[:total]
		copy(b, prefix[:])
		if _, err := io.ReadFull(r, b[lengthPrefix:]); err != nil {
			return fmt.Errorf("segment %d: read at %d: %w", s.base, pos, err)
		}
		h, err := validateStored(b)
		if err != nil {
			return fmt.Errorf("segment %d: batch at %d: %w", s.base, pos, err)
		}
		if err := fn(b, &h); err != nil {
			return err
		}
		pos += total
	}
	return nil
}

// finishCleaning completes or discards what a cleaning pass left when the
// process died: a .cleaned file was never committed and goes; a .swap file
// replaces every segment whose base lies in the offsets it spans (the
// group it was cleaned from, whatever of it is still there) and becomes
// <base>.log. Old segments past the swap's last offset may survive: their
// records were all superseded, so keeping them is correct, only less clean.
func (l *Log) finishCleaning() error {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return err
	}
	var swaps, logs []int64
	for _, e := range ents {
		name := e.Name()
		for _, suf := range []string{cleanedSuffix, swapSuffix, logSuffix} {
			stem, ok := strings.CutSuffix(name, suf)
			base, perr := strconv.ParseInt(stem, 10, 64)
			if !ok || len(stem) != 20 || perr != nil || base < 0 || e.IsDir() {
				continue
			}
			switch suf {
			case cleanedSuffix:
				l.log.Warn("removing an uncommitted cleaned segment", "file", name)
				if err := os.Remove(filepath.Join(l.dir, name)); err != nil {
					return err
				}
			case swapSuffix:
				swaps = append(swaps, base)
			default:
				logs = append(logs, base)
			}
		}
	}
	for _, base := range swaps {
		next, err := swapEnd(l.dir, base)
		if err != nil {
			return err
		}
		for _, b := range logs {
			if b >= base && b < max(next, base+1) {
				gone := &segment{base: b, dir: l.dir}
				if err := gone.removeFiles(); err != nil {
					return err
				}
			}
		}
		if err := os.Rename(segmentPath(l.dir, base, swapSuffix), segmentPath(l.dir, base, logSuffix)); err != nil {
			return err
		}
		l.log.Warn("finished an interrupted cleaning", "segment", base, "nextOffset", next)
	}
	if len(swaps) > 0 {
		return atomicfile.SyncDir(l.dir)
	}
	return nil
}

// swapEnd is the offset after the last batch of a .swap file (base when
// it is empty). The file was fsynced before it got its name, so it is
// whole: every batch is checked (CRC, increasing offsets from base), and
// one that is not makes Open fail rather than replace segments with it.
func swapEnd(dir string, base int64) (int64, error) {
	f, err := os.Open(segmentPath(dir, base, swapSuffix))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	s := &segment{base: base, log: f}
	next := base
	err = s.eachBatch(st.Size(), false, func(_ []byte, h *Header) error {
		if h.BaseOffset < next {
			return fmt.Errorf("batch at offset %d before %d", h.BaseOffset, next)
		}
		next = h.NextOffset()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return next, nil
}
