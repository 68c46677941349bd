// Package connbuf pools the buffered readers and writers of a server's
// client connections. A connection takes its reader and writer when it
// first needs them and gives them back when it ends, so a flood of short
// connections reuses a few buffers instead of allocating and zeroing new
// ones for each (the largest allocation of the broker and the
// coordinator under sluice-bench attack's floods). The pool is a
// sync.Pool: what it holds is dropped over two collections when unused.
package connbuf

import (
	"bufio"
	"io"
	"sync"
)

// Pool holds readers and writers of the sizes it was made with. Its zero
// value is not usable: make it with New or NewSizes.
type Pool struct {
	readSize, writeSize int
	readers, writers    sync.Pool
}

// New returns a pool of size-byte readers and writers.
func New(size int) *Pool { return NewSizes(size, size) }

// NewSizes returns a pool of readSize-byte readers and writeSize-byte
// writers. A small reader costs a server little per connection: a read
// at least as large as the reader's buffer, with nothing buffered, goes
// straight to the destination (bufio), so a large packet read into a
// buffer of its own is not slowed by it.
func NewSizes(readSize, writeSize int) *Pool {
	return &Pool{readSize: readSize, writeSize: writeSize}
}

// Reader returns a reader of r.
func (p *Pool) Reader(r io.Reader) *bufio.Reader {
	if br, ok := p.readers.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, p.readSize)
}

// Writer returns a writer to w.
func (p *Pool) Writer(w io.Writer) *bufio.Writer {
	if bw, ok := p.writers.Get().(*bufio.Writer); ok {
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, p.writeSize)
}

// PutReader gives r back (nil: nothing to give); nothing may use it after.
func (p *Pool) PutReader(r *bufio.Reader) {
	if r != nil {
		r.Reset(nil)
		p.readers.Put(r)
	}
}

// PutWriter gives w back (nil: nothing to give); nothing may use it
// after. What it had not flushed is dropped.
func (p *Pool) PutWriter(w *bufio.Writer) {
	if w != nil {
		w.Reset(nil)
		p.writers.Put(w)
	}
}
