package spool

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"sync/atomic"

	"github.com/sluicelogs/sluice/internal/atomicfile"
)

func writeAtomic(path string, data []byte) error { return atomicfile.WriteFile(path, data) }

// recoverSegment reads the segment at path record by record and cuts off
// what follows the last whole record (a torn write, or zeros where a
// crash left blocks unwritten). It returns the segment's size after that and the bytes cut.
func recoverSegment(path string, maxRecord int) (size, dropped int64, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return 0, 0, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("spool: %w", err)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var buf []byte
	for {
		_, n, err := readRecord(br, &buf, maxRecord)
		if err != nil && (!errors.Is(err, errBadRecord) || n == 0) {
			break // the end, a record cut short, or a length that cannot be right
		}
		// A whole record whose checksum does not match stays: the disk
		// changed it, and the reader skips it and counts it.
		size += n
	}
	if size < st.Size() {
		if err := f.Truncate(size); err != nil {
			return 0, 0, fmt.Errorf("spool: cutting a torn record off %s: %w", path, err)
		}
	}
	return size, st.Size() - size, nil
}

func crcOf(b []byte) uint32 { return crc32.Checksum(b, crcTable) }

// errBadRecord is a record whose length cannot be right or whose checksum
// does not match.
var errBadRecord = errors.New("spool: bad record")

// readRecord reads one record from r and returns its payload and the
// record's size. The payload is a slice of r's buffer (valid until r is
// read again), or of *buf (grown as needed) for a record longer than r's
// buffer. A length over maxRecord is refused before anything is allocated
// for it.
func readRecord(r *bufio.Reader, buf *[]byte, maxRecord int) ([]byte, int64, error) {
	h, err := r.Peek(headerLen)
	if err != nil {
		if len(h) > 0 && errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	n, sum := getUint32(h[0:4]), getUint32(h[4:8])
	if n == 0 || int64(n) > int64(maxRecord) {
		// No record is empty (Append refuses them): zeros are a file
		// extended by a crash before its blocks were written.
		return nil, 0, fmt.Errorf("%w: length %d (1 to %d)", errBadRecord, n, maxRecord)
	}
	_, _ = r.Discard(headerLen) // peeked: cannot fail
	var payload []byte
	if int(n) <= r.Size() {
		if payload, err = r.Peek(int(n)); err == nil {
			_, _ = r.Discard(int(n))
		}
	} else {
		if cap(*buf) < int(n) {
			*buf = make([]byte, n)
		}
		payload = (*buf)[:n]
		_, err = io.ReadFull(r, payload)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	if crcOf(payload) != sum {
		return payload, int64(headerLen) + int64(n), errBadRecord
	}
	return payload, int64(headerLen) + int64(n), nil
}

// reader is the spool's one reader: its position and open segment.
type reader struct {
	s       *Spool
	pos     int64 // the next record's position
	f       *os.File
	fBase   int64 // f's segment
	br      *bufio.Reader
	buf     []byte
	skipped atomic.Int64 // records skipped for a bad checksum, and segments cut short
}

// Record is one record read from the spool.
type Record struct {
	Payload []byte // valid until the next Next
	End     int64  // the position after it: acknowledge with Ack(End)
}

// Next returns the next record, waiting for one until done is closed
// (ErrFull's sibling: ErrStopped). Records whose checksum does not match
// are skipped (counted in Skipped).
func (s *Spool) Next(done <-chan struct{}) (Record, error) {
	rd := &s.reader
	for {
		s.mu.Lock()
		end, closed := s.end, s.closed
		ch := s.grown.watch(rd.pos >= end)
		segs := s.segments
		s.mu.Unlock()
		if closed {
			rd.closeFile()
			return Record{}, ErrClosed
		}
		if rd.pos >= end {
			select {
			case <-ch:
				continue
			case <-done:
				return Record{}, ErrStopped
			}
		}
		base := segmentOf(segs, rd.pos)
		if rd.f == nil || rd.fBase != base {
			if err := rd.open(base); err != nil {
				return Record{}, err
			}
		}
		// The end of this segment: the next one's base, or the spool's end.
		segEnd := end
		if i := sort.Search(len(segs), func(i int) bool { return segs[i] > base }); i < len(segs) {
			segEnd = segs[i]
		}
		if rd.pos >= segEnd {
			rd.pos = segEnd
			continue
		}
		payload, n, err := readRecord(rd.br, &rd.buf, s.opts.MaxRecordBytes)
		switch {
		case err == nil:
			rd.pos += n
			return Record{Payload: payload, End: rd.pos}, nil
		case errors.Is(err, errBadRecord) && n > 0:
			rd.pos += n // a checksum that does not match: skip the record
			rd.skipped.Add(1)
		default:
			// A length that cannot be right, or a segment that ends
			// early: nothing more is found in it.
			rd.skipped.Add(1)
			rd.pos = segEnd
			if segEnd == end {
				return Record{}, fmt.Errorf("spool: the last segment is unreadable at %d: %w", rd.pos, err)
			}
		}
	}
}

// ErrStopped is returned by Next when done closed while it waited.
var ErrStopped = errors.New("spool: stopped")

// Skipped returns how many bad records (or unreadable segment tails) the
// reader skipped.
func (s *Spool) Skipped() int64 { return s.reader.skipped.Load() }

// segmentOf returns the base of the segment holding pos.
func segmentOf(segs []int64, pos int64) int64 {
	i := sort.Search(len(segs), func(i int) bool { return segs[i] > pos })
	if i == 0 {
		return segs[0]
	}
	return segs[i-1]
}

func (rd *reader) open(base int64) error {
	rd.closeFile()
	f, err := os.Open(rd.s.segPath(base))
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := f.Seek(rd.pos-base, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("spool: %w", err)
	}
	rd.f, rd.fBase = f, base
	if rd.br == nil {
		rd.br = bufio.NewReaderSize(f, 64<<10)
	} else {
		rd.br.Reset(f)
	}
	return nil
}

func (rd *reader) closeFile() {
	if rd.f != nil {
		rd.f.Close()
		rd.f = nil
	}
}
