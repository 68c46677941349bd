// Package journal decodes systemd's Journal Export Format, the stream
// `journalctl -o export` writes, for the agent's journald input.
//
// The format (systemd's "Journal Export Format"): an entry is a list of
// fields, each either
//
//	NAME=value\n                          (text: value has no newline)
//	NAME\n<size: uint64 little endian><size bytes>\n   (binary safe)
//
// and entries are separated by an empty line. Names are letters, digits
// and underscores; journalctl writes the address fields (__CURSOR,
// __REALTIME_TIMESTAMP, __MONOTONIC_TIMESTAMP) first.
//
// The stream comes from another program reading files anyone with write
// access to the journal folder may have made, so the decoder is bounded:
// an entry keeps at most MaxBytes bytes of names and values. A value that
// would exceed it is cut, the fields after it are dropped, and the entry
// is flagged Truncated; the bytes beyond are read and discarded without
// being held, so the stream stays in step and memory stays bounded
// whatever the sizes say (FuzzReader, TestReaderAllocationBound).
package journal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxBytes is the default bound of an entry: Filebeat's max_bytes.
const DefaultMaxBytes = 10 << 20

// maxName bounds a field name (systemd allows 64 bytes).
const maxName = 256

// Field is one field of an entry. Name and Value point into the reader's
// buffer: they are valid until the next call of Next.
type Field struct {
	Name, Value []byte
}

// Entry is one journal entry.
type Entry struct {
	Fields    []Field
	Truncated bool // a value was cut or fields dropped (MaxBytes)
}

// Get returns the value of the first field called name.
func (e *Entry) Get(name string) ([]byte, bool) {
	for _, f := range e.Fields {
		if string(f.Name) == name {
			return f.Value, true
		}
	}
	return nil, false
}

// Reader decodes entries from an export stream. Not safe for concurrent
// use.
type Reader struct {
	r        *bufio.Reader
	maxBytes int
	buf      []byte // names and values of the current entry
	spans    []span
	entry    Entry
}

type span struct{ name, value, end int }

// ErrSyntax is wrapped by the errors of a stream that is not in the
// export format.
var ErrSyntax = errors.New("journal export: syntax")

// NewReader reads entries from r, keeping at most maxBytes (<= 0:
// DefaultMaxBytes) of each.
func NewReader(r io.Reader, maxBytes int) *Reader {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), maxBytes: maxBytes}
}

// Next returns the next entry, valid until the next call. At the end of
// the stream it returns io.EOF (an entry cut short by the end is
// io.ErrUnexpectedEOF); a stream that is not in the export format is an
// error wrapping ErrSyntax.
func (r *Reader) Next() (*Entry, error) {
	r.buf, r.spans = r.buf[:0], r.spans[:0]
	r.entry = Entry{Fields: r.entry.Fields[:0]}
	for {
		chunk, more, err := r.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && len(r.spans) == 0 && len(chunk) == 0 && !r.entry.Truncated {
				return nil, io.EOF
			}
			return nil, unexpected(err)
		}
		if len(chunk) == 0 && !more {
			if len(r.spans) == 0 && !r.entry.Truncated {
				continue // blank lines between entries
			}
			break
		}
		eq := bytes.IndexByte(chunk, '=')
		name := chunk
		if eq >= 0 {
			name = chunk[:eq]
		} else if more {
			return nil, fmt.Errorf("%w: a line of more than %d bytes without '='", ErrSyntax, len(chunk))
		}
		if err := checkName(name); err != nil {
			return nil, err
		}
		if eq >= 0 {
			err = r.textField(chunk, eq, more)
		} else {
			err = r.binaryField(name)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, s := range r.spans {
		r.entry.Fields = append(r.entry.Fields, Field{Name: r.buf[s.name:s.value:s.value], Value: r.buf[s.value:s.end:s.end]})
	}
	return &r.entry, nil
}

func checkName(name []byte) error {
	if len(name) == 0 || len(name) > maxName {
		return fmt.Errorf("%w: a field name of %d bytes", ErrSyntax, len(name))
	}
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: byte %q in field name %.64q", ErrSyntax, c, name)
		}
	}
	return nil
}

// begin starts a field called name and returns how many bytes of its
// value the entry may keep, or -1 when the field is dropped (the entry is
// full: it is flagged truncated).
func (r *Reader) begin(name []byte) int {
	left := r.maxBytes - len(r.buf) - len(name)
	if left < 0 {
		r.entry.Truncated = true
		return -1
	}
	r.spans = append(r.spans, span{name: len(r.buf), value: len(r.buf) + len(name)})
	r.buf = append(r.buf, name...)
	return left
}

// keep appends up to *room bytes of b to the current field's value and
// flags the entry truncated if b did not fit.
func (r *Reader) keep(b []byte, room *int) {
	n := min(len(b), *room)
	r.buf = append(r.buf, b[:n]...)
	*room -= n
	if n < len(b) {
		r.entry.Truncated = true
	}
}

// end closes the current field (if it was kept).
func (r *Reader) end(room int) {
	if room >= 0 {
		r.spans[len(r.spans)-1].end = len(r.buf)
	}
}

// textField takes NAME=value: chunk is its line (up to the buffer's
// size) with the '=' at eq; more says the line goes on.
func (r *Reader) textField(chunk []byte, eq int, more bool) error {
	room := r.begin(chunk[:eq])
	if room >= 0 {
		r.keep(chunk[eq+1:], &room)
	}
	for more {
		var err error
		if chunk, more, err = r.readLine(); err != nil {
			return unexpected(err)
		}
		if room >= 0 {
			r.keep(chunk, &room)
		}
	}
	r.end(room)
	return nil
}

// binaryField takes NAME\n<size><data>\n; name was the whole line.
func (r *Reader) binaryField(name []byte) error {
	room := r.begin(name)
	var size [8]byte
	if _, err := io.ReadFull(r.r, size[:]); err != nil {
		return unexpected(err)
	}
	n := binary.LittleEndian.Uint64(size[:])
	if n > 1<<62 {
		return fmt.Errorf("%w: a binary field of %d bytes", ErrSyntax, n)
	}
	rest := int64(n)
	if room >= 0 {
		take := int(min(rest, int64(room)))
		start := len(r.buf)
		r.buf = grow(r.buf, take)
		if _, err := io.ReadFull(r.r, r.buf[start:]); err != nil {
			return unexpected(err)
		}
		rest -= int64(take)
		room -= take
		if rest > 0 {
			r.entry.Truncated = true
		}
	}
	for rest > 0 {
		d, err := r.r.Discard(int(min(rest, 1<<30)))
		rest -= int64(d)
		if err != nil {
			return unexpected(err)
		}
	}
	c, err := r.r.ReadByte()
	if err != nil {
		return unexpected(err)
	}
	if c != '\n' {
		return fmt.Errorf("%w: binary field %.64q not followed by a newline", ErrSyntax, name)
	}
	r.end(room)
	return nil
}

// grow extends b by n bytes.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// readLine returns the next line without its newline, or, for a line
// longer than the reader's buffer, its next part with more set. The slice
// is valid until the next read.
func (r *Reader) readLine() (chunk []byte, more bool, err error) {
	b, err := r.r.ReadSlice('\n')
	switch {
	case err == nil:
		return b[:len(b)-1], false, nil
	case errors.Is(err, bufio.ErrBufferFull):
		return b, true, nil
	default:
		return b, false, err
	}
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
