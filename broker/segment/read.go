package segment

import (
	"fmt"
	"io"
	"os"

	"github.com/twmb/franz-go/pkg/kerr"
)

// ReadResult is a run of whole batches in one segment file, ready to be
// sent as the records of a fetch response. It holds a reference on the
// segment so that retention or truncation cannot close the file under it:
// call Release once done (a zero ReadResult needs none).
type ReadResult struct {
	File     *os.File // the segment's .log file; read it with ReadAt only
	Position int64    // where the first batch starts
	Size     int64    // bytes of whole batches; 0 for an empty result
	// FirstOffset is the base offset of the first batch, which may be
	// below the offset asked for when that falls inside a batch.
	FirstOffset int64

	seg *segment
}

// Release drops the result's reference on the segment. Safe to call twice
// on the same value, not on copies.
func (r *ReadResult) Release() {
	if r.seg != nil {
		r.seg.release()
		r.seg = nil
	}
}

// WriteTo writes the batches to w. For a *net.TCPConn or *net.UnixConn on
// Linux it uses sendfile(2) with an explicit file offset, so the bytes go
// from the page cache to the socket without passing through user space and
// concurrent readers of the same file do not share a seek position (Go's
// own io.Copy sendfile path reads from the file's current offset, which
// would need a seek per read). Anything else gets io.Copy from an
// io.SectionReader.
func (r ReadResult) WriteTo(w io.Writer) (int64, error) {
	if r.Size == 0 {
		return 0, nil
	}
	if n, handled, err := sendfile(w, r.File, r.Position, r.Size); handled {
		return n, err
	}
	return io.Copy(w, io.NewSectionReader(r.File, r.Position, r.Size))
}

// Reader reads the batches, with ReadAt on the file (pread): for a writer
// that WriteTo cannot reach with sendfile (see SendfileTo), e.g. a TLS
// connection, a caller copies from it in chunks as large as its own buffer.
func (r ReadResult) Reader() *io.SectionReader {
	return io.NewSectionReader(r.File, r.Position, r.Size)
}

// Read returns the batches from the one holding offset on: whole batches
// only, at most maxBytes of them but always at least one (as Kafka does, so
// a consumer makes progress past a batch larger than its limit), none whose
// last offset is ≥ maxOffset (the high watermark for consumers,
// LogEndOffset for followers), and all from one segment. Reading at
// LogEndOffset or at/after maxOffset gives an empty result; an offset below
// LogStartOffset or past LogEndOffset an *OffsetOutOfRangeError.
// Read is O(log segments + log index entries) plus a scan of batch headers
// bounded by about two index intervals.
func (l *Log) Read(offset int64, maxBytes int, maxOffset int64) (ReadResult, error) {
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ReadResult{}, ErrClosed
	}
	if offset < l.logStart || offset > l.leo {
		err := &OffsetOutOfRangeError{Offset: offset, LogStartOffset: l.logStart, LogEndOffset: l.leo}
		l.mu.RUnlock()
		return ReadResult{}, err
	}
	maxOffset = min(maxOffset, l.leo)
	if offset >= maxOffset {
		l.mu.RUnlock()
		return ReadResult{FirstOffset: offset}, nil
	}
	i := l.findSegment(offset)
	for i < len(l.segs)-1 && (offset >= l.segs[i].next || l.segs[i].size == 0) {
		i++ // across an offset gap or an empty segment left by compaction
	}
	s := l.segs[i]
	v := s.view()
	s.refs.Add(1)
	l.mu.RUnlock()

	res := ReadResult{File: s.log, seg: s, FirstOffset: offset}
	pos, h, found, err := s.locate(max(offset, s.base), v)
	if err != nil || !found || h.LastOffset() >= maxOffset {
		res.Release()
		if err == nil && !found {
			err = fmt.Errorf("segment %d: offset %d below its end %d not found: %w", s.base, offset, v.next, kerr.KafkaStorageError)
		}
		return ReadResult{FirstOffset: offset}, err
	}
	end := pos + int64(h.Size)
	limit := min(v.size, pos+max(int64(maxBytes), int64(h.Size)))
	if maxOffset < v.next {
		mpos, _, mfound, err := s.locate(maxOffset, v)
		if err != nil {
			res.Release()
			return ReadResult{FirstOffset: offset}, err
		}
		if mfound {
			limit = min(limit, mpos)
		}
	}
	// Every index entry is a batch boundary, so jump to the last one that
	// fits and scan only from there.
	if p := floorPos(v.offIdx, limit); p > end {
		end = p
	}
	for end < limit {
		bh, err := s.readHeader(end, v.size)
		if err != nil {
			res.Release()
			return ReadResult{FirstOffset: offset}, err
		}
		if end+int64(bh.Size) > limit {
			break
		}
		end += int64(bh.Size)
	}
	res.Position, res.Size, res.FirstOffset = pos, end-pos, h.BaseOffset
	return res, nil
}

// ReadBytes is Read followed by a copy of the bytes; for tests and tools.
func (l *Log) ReadBytes(offset int64, maxBytes int, maxOffset int64) ([]byte, error) {
	r, err := l.Read(offset, maxBytes, maxOffset)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	b := make([]byte, r.Size)
	if r.Size == 0 {
		return b, nil
	}
	if _, err := r.File.ReadAt(b, r.Position); err != nil {
		return nil, err
	}
	return b, nil
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
