package zkproto

import (
	"encoding/binary"
	"fmt"
)

// Decoder reads jute primitives from a byte slice.
//
// Errors are sticky: after the first failure every read returns the zero
// value and Err reports that first failure, so a record decoder can read all
// of its fields and check once at the end. A Decoder never panics and never
// allocates more than the unread input could hold: every length prefix is
// checked against the remaining bytes before anything is allocated.
//
// Buffers and strings are copied out of the input, so the input may be
// reused (for example by ReadPacket) once decoding is done.
//
// The zero Decoder reads from an empty input; use Reset to point it at data.
type Decoder struct {
	buf   []byte
	off   int
	err   error
	alias bool // ReadBuffer returns slices of buf instead of copies
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Reset makes d read b from its start and clears any error.
func (d *Decoder) Reset(b []byte) { *d = Decoder{buf: b} }

// Err returns the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Offset returns how many bytes have been consumed.
func (d *Decoder) Offset() int { return d.off }

// Remaining returns how many bytes are left unread.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Finish returns the first decode error, or an ErrMalformed error when
// unread bytes are left over.
func (d *Decoder) Finish() error {
	if d.err != nil {
		return d.err
	}
	if n := d.Remaining(); n > 0 {
		return fmt.Errorf("%w: %d trailing bytes at offset %d", ErrMalformed, n, d.off)
	}
	return nil
}

func (d *Decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// take returns the next n bytes, or nil after recording ErrShort.
func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > d.Remaining() {
		d.fail(fmt.Errorf("%w: %s needs %d bytes at offset %d, %d left",
			ErrShort, what, n, d.off, d.Remaining()))
		return nil
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

// ReadInt32 reads a big-endian jute int.
func (d *Decoder) ReadInt32() int32 {
	b := d.take(4, "int")
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

// ReadInt64 reads a big-endian jute long.
func (d *Decoder) ReadInt64() int64 {
	b := d.take(8, "long")
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// ReadBool reads a one-byte jute boolean. Like Java's DataInput, any
// non-zero byte is true.
func (d *Decoder) ReadBool() bool {
	b := d.take(1, "boolean")
	if b == nil {
		return false
	}
	return b[0] != 0
}

// readLen reads a length or count prefix. It returns -1 for a jute null,
// and otherwise a value n with n*unit <= Remaining(), so callers may
// allocate n elements. unit is the smallest encoded size of one element.
func (d *Decoder) readLen(unit int, what string) int {
	at := d.off
	n := int(d.ReadInt32())
	if d.err != nil {
		return -1
	}
	switch {
	case n == -1:
		return -1
	case n < 0:
		d.fail(fmt.Errorf("%w: negative %s length %d at offset %d", ErrMalformed, what, n, at))
		return -1
	case n > d.Remaining()/unit:
		d.fail(fmt.Errorf("%w: %s length %d at offset %d exceeds the %d bytes left",
			ErrShort, what, n, at, d.Remaining()))
		return -1
	}
	return n
}

// ReadBuffer reads a jute buffer: an int length then that many bytes.
// Length -1 yields nil; length 0 yields an empty, non-nil slice.
// The result is a copy.
func (d *Decoder) ReadBuffer() []byte {
	n := d.readLen(1, "buffer")
	if n < 0 {
		return nil
	}
	b := d.take(n, "buffer")
	if d.alias && b != nil {
		return b[:n:n]
	}
	out := make([]byte, n)
	copy(out, b)
	return out
}

// ReadString reads a jute ustring. Length -1 (null) yields "".
func (d *Decoder) ReadString() string {
	n := d.readLen(1, "string")
	if n <= 0 {
		return ""
	}
	return string(d.take(n, "string"))
}

// ReadStrings reads a jute vector<ustring>. Count -1 yields nil; count 0
// yields an empty, non-nil slice.
func (d *Decoder) ReadStrings() []string {
	return readVector(d, 4, "vector<ustring>", func(d *Decoder, s *string) { *s = d.ReadString() })
}

// readVector reads a jute vector whose elements take at least unit bytes
// each, decoding every element with one.
func readVector[T any](d *Decoder, unit int, what string, one func(*Decoder, *T)) []T {
	n := d.readLen(unit, what)
	if n < 0 {
		return nil
	}
	out := make([]T, n)
	for i := 0; i < n && d.err == nil; i++ {
		one(d, &out[i])
	}
	if d.err != nil {
		return nil
	}
	return out
}

// Encoder appends jute primitives to a byte slice. Writes never fail and
// only allocate when the slice has to grow, so one Encoder (or its buffer)
// can be reused across packets.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an Encoder appending to dst.
func NewEncoder(dst []byte) *Encoder { return &Encoder{buf: dst} }

// Reset makes e append to dst.
func (e *Encoder) Reset(dst []byte) { e.buf = dst }

// Bytes returns everything written so far (including what dst held).
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns len(e.Bytes()).
func (e *Encoder) Len() int { return len(e.buf) }

// WriteInt32 appends a big-endian jute int.
func (e *Encoder) WriteInt32(v int32) { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }

// WriteInt64 appends a big-endian jute long.
func (e *Encoder) WriteInt64(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

// WriteBool appends a jute boolean as one byte, 1 or 0.
func (e *Encoder) WriteBool(v bool) {
	var b byte
	if v {
		b = 1
	}
	e.buf = append(e.buf, b)
}

// WriteBuffer appends a jute buffer. A nil slice is written as length -1.
func (e *Encoder) WriteBuffer(b []byte) {
	if b == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(b)))
	e.buf = append(e.buf, b...)
}

// WriteString appends a jute ustring. Go has no null string, so "" is
// written with length 0.
func (e *Encoder) WriteString(s string) {
	e.WriteInt32(int32(len(s)))
	e.buf = append(e.buf, s...)
}

// WriteStrings appends a jute vector<ustring>. A nil slice is written as
// count -1.
func (e *Encoder) WriteStrings(v []string) {
	if v == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(v)))
	for _, s := range v {
		e.WriteString(s)
	}
}
