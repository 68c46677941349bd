package journalfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Entry is one journal entry: its address and, after Fields, its fields.
type Entry struct {
	Offset    uint64 // of the entry object in its file
	Seqnum    uint64
	Realtime  uint64 // µs since the epoch
	Monotonic uint64 // µs since boot
	BootID    [16]byte
	XorHash   uint64
	SeqnumID  [16]byte // the file's

	// Fields are FIELD=value, in the entry's order; they point into the
	// file's mapping or the reader's buffer, valid until the next Fields
	// or Next of the same file.
	Fields    [][]byte
	Truncated bool // a field larger than MaxFieldBytes was left out
}

// Entry object layout.
const (
	eSeqnum    = 16
	eRealtime  = 24
	eMonotonic = 32
	eBootID    = 40
	eXorHash   = 56
	eItems     = 64
	arrNext    = 16
	arrItems   = 24
	objHeader  = 16
)

// Next moves to the file's next entry and fills e's address (not its
// Fields). It returns false at the end of what the file holds now; a
// later call sees entries appended since.
func (f *File) Next(e *Entry) (ok bool, err error) {
	defer catchFault(&err)
	if f.n >= le64(f.m, hNEntries) {
		return false, nil
	}
	if err := f.nextArray(); err != nil {
		return false, err
	}
	item := f.arrItem(f.arr, f.arrIdx)
	if _, err := f.object(item, objEntry, eItems); err != nil {
		return false, err
	}
	m := f.m
	*e = Entry{
		Offset:    item,
		Seqnum:    le64(m, item+eSeqnum),
		Realtime:  le64(m, item+eRealtime),
		Monotonic: le64(m, item+eMonotonic),
		XorHash:   le64(m, item+eXorHash),
		SeqnumID:  f.h.SeqnumID,
		Fields:    e.Fields[:0],
	}
	copy(e.BootID[:], m[item+eBootID:])
	f.arrIdx++
	f.n++
	return true, nil
}

// nextArray moves the walk to the next entry array when the current one
// is read to its end (or none was read yet).
func (f *File) nextArray() error {
	if f.arr != 0 && f.arrIdx < f.arrCap {
		return nil
	}
	next := le64(f.m, hEntryArray)
	if f.arr != 0 {
		next = le64(f.m, f.arr+arrNext)
		if next <= f.arr { // also 0; forward only, so no loops
			return f.corrupt("entry array at %d: next array at %d", f.arr, next)
		}
	}
	size, err := f.object(next, objEntryArray, arrItems)
	if err != nil {
		return err
	}
	f.arr, f.arrIdx, f.arrCap = next, 0, (size-arrItems)/f.itemSize(false)
	if f.arrCap == 0 {
		return f.corrupt("empty entry array at %d", next)
	}
	return nil
}

// SkipBelow moves the walk past the entries whose seqnum is below seq
// (seqnums grow along a file), skipping whole entry arrays whose last
// entry is below it and bisecting the array that holds seq, so that
// resuming at a cursor does not read every entry before it.
func (f *File) SkipBelow(seq uint64) (err error) {
	defer catchFault(&err)
	for {
		total := le64(f.m, hNEntries)
		if f.n >= total {
			return nil
		}
		if err := f.nextArray(); err != nil {
			return err
		}
		k := min(f.arrCap-f.arrIdx, total-f.n) // the entries of this array still to read
		below := func(i uint64) (bool, error) {
			item := f.arrItem(f.arr, f.arrIdx+i)
			if _, err := f.object(item, objEntry, eItems); err != nil {
				return false, err
			}
			return le64(f.m, item+eSeqnum) < seq, nil
		}
		last, err := below(k - 1)
		if err != nil {
			return err
		}
		if last {
			f.arrIdx, f.n = f.arrIdx+k, f.n+k
			continue
		}
		lo, hi := uint64(0), k-1 // the first not below is in [lo, hi]
		for lo < hi {
			mid := lo + (hi-lo)/2
			b, err := below(mid)
			if err != nil {
				return err
			}
			if b {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		f.arrIdx, f.n = f.arrIdx+lo, f.n+lo
		return nil
	}
}

// Fields reads the fields of e, the entry Next returned last.
func (f *File) Fields(e *Entry) (err error) {
	defer catchFault(&err)
	f.unmapRetired()
	size, err := f.object(e.Offset, objEntry, eItems)
	if err != nil {
		return err
	}
	f.buf, f.spans = f.buf[:0], f.spans[:0]
	e.Truncated = false
	isz := f.itemSize(true)
	n := (size - eItems) / isz
	for i := range n {
		at := e.Offset + eItems + i*isz
		var d uint64
		if f.compact {
			d = uint64(le32(f.m, at))
		} else {
			d = le64(f.m, at)
		}
		if err := f.data(d, e); err != nil {
			return err
		}
	}
	e.Fields = e.Fields[:0]
	for _, s := range f.spans {
		src := f.m
		if s.inBuf {
			src = f.buf
		}
		e.Fields = append(e.Fields, src[s.start:s.end:s.end])
	}
	return nil
}

// data appends the payload of the data object at off to f.spans.
func (f *File) data(off uint64, e *Entry) error {
	start := uint64(64)
	if f.compact {
		start = 72
	}
	size, err := f.object(off, objData, start)
	if err != nil {
		return err
	}
	p := f.m[off+start : off+size]
	switch flags := f.m[off+1]; {
	case flags == 0:
		f.spans = append(f.spans, span{start: int(off + start), end: int(off + size)})
		return nil
	case flags == objZSTD && f.h.Incompatible&FlagZSTD != 0:
		return f.zstd(p, e, off)
	case flags == objLZ4 && f.h.Incompatible&FlagLZ4 != 0:
		return f.lz4(p, e, off)
	default:
		return f.corrupt("data object at %d: compression flags %#x (file flags %#x)", off, flags, f.h.Incompatible)
	}
}

func (f *File) zstd(p []byte, e *Entry, off uint64) error {
	if f.zd == nil {
		zd, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(f.maxField)))
		if err != nil {
			return fmt.Errorf("zstd: %w", err)
		}
		f.zd = zd
	}
	start := len(f.buf)
	out, err := f.zd.DecodeAll(p, f.buf)
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) || err == nil && len(out)-start > f.maxField:
		e.Truncated = true
		return nil
	case err != nil:
		return f.corrupt("data object at %d: zstd: %v", off, err)
	}
	f.buf = out
	f.spans = append(f.spans, span{start: start, end: len(out), inBuf: true})
	return nil
}

func (f *File) lz4(p []byte, e *Entry, off uint64) error {
	if len(p) < 8 {
		return f.corrupt("data object at %d: lz4 without its size", off)
	}
	n := binary.LittleEndian.Uint64(p)
	if n > uint64(len(p))*255 { // more than LZ4 can expand to
		return f.corrupt("data object at %d: lz4 of %d bytes says %d", off, len(p), n)
	}
	if n > uint64(f.maxField) {
		e.Truncated = true
		return nil
	}
	start := len(f.buf)
	f.buf = slices.Grow(f.buf, int(n))[:start+int(n)]
	got, err := lz4.UncompressBlock(p[8:], f.buf[start:])
	if err != nil || uint64(got) != n {
		f.buf = f.buf[:start]
		return f.corrupt("data object at %d: lz4: %d of %d bytes: %v", off, got, n, err)
	}
	f.spans = append(f.spans, span{start: start, end: len(f.buf), inBuf: true})
	return nil
}

// object checks that an object of type typ, at least min bytes, is at off
// within the file, and returns its size.
func (f *File) object(off uint64, typ byte, min uint64) (uint64, error) {
	if off < f.h.HeaderSize || off%8 != 0 {
		return 0, f.corrupt("object offset %d", off)
	}
	if off > uint64(len(f.m))-objHeader || le64(f.m, off+8) > uint64(len(f.m))-off {
		if err := f.remap(); err != nil {
			return 0, err
		}
		if off > uint64(len(f.m))-objHeader {
			return 0, f.corrupt("object at %d beyond the file's %d bytes", off, len(f.m))
		}
	}
	size := le64(f.m, off+8)
	if f.m[off] != typ || size < min || size > uint64(len(f.m))-off {
		return 0, f.corrupt("object at %d: type %d size %d, want type %d of %d bytes or more", off, f.m[off], size, typ, min)
	}
	return size, nil
}

// itemSize is the size of an entry item (inEntry) or entry array item.
func (f *File) itemSize(inEntry bool) uint64 {
	switch {
	case f.compact:
		return 4
	case inEntry:
		return 16 // offset and hash
	}
	return 8
}

func (f *File) arrItem(arr, i uint64) uint64 {
	at := arr + arrItems + i*f.itemSize(false)
	if f.compact {
		return uint64(le32(f.m, at))
	}
	return le64(f.m, at)
}

func (f *File) corrupt(format string, args ...any) error {
	return fmt.Errorf("%w %s: %s", ErrFormat, f.path, fmt.Sprintf(format, args...))
}

// catchFault turns a fault reading the mapping (the file truncated under
// the reader: SIGBUS) into an error. debug.SetPanicOnFault is set for the
// calling goroutine while the reader runs (the caller sets it: see
// ReadGuard).
func catchFault(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if re, ok := r.(runtime.Error); ok {
		if _, fault := re.(interface{ Addr() uintptr }); fault {
			*err = fmt.Errorf("%w: reading the mapping: %v", ErrFormat, re)
			return
		}
	}
	panic(r)
}

// ReadGuard makes a fault in the mapping of a file truncated under the
// reader an error of Next or Fields instead of a crash, for the calling
// goroutine until the returned function is called. Call it in the
// goroutine that reads.
func ReadGuard() (restore func()) {
	old := debug.SetPanicOnFault(true)
	return func() { debug.SetPanicOnFault(old) }
}
