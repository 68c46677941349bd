package coordinator

import (
	"bufio"
	"io"
	"sync"
)

// connBufferSize is a client connection's read buffer and write buffer.
const connBufferSize = 64 << 10

// connBuffers pools the client connections' buffered readers and writers.
// A connection takes its reader with its first packet and its writer with
// its first reply, and gives both back when it ends: a flood of short
// connections that each send a connect request (zk-garbage in
// sluice-bench attack) then reuses a few buffers instead of allocating
// and zeroing 128 KiB for each one, which was the largest allocation of
// the coordinator under it.
type connBuffers struct {
	readers, writers sync.Pool
}

func (b *connBuffers) reader(r io.Reader) *bufio.Reader {
	if br, ok := b.readers.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, connBufferSize)
}

func (b *connBuffers) writer(w io.Writer) *bufio.Writer {
	if bw, ok := b.writers.Get().(*bufio.Writer); ok {
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, connBufferSize)
}

// putReader gives r back (nil: nothing to give); nothing may use it after.
func (b *connBuffers) putReader(r *bufio.Reader) {
	if r != nil {
		r.Reset(nil)
		b.readers.Put(r)
	}
}

// putWriter gives w back (nil: nothing to give); nothing may use it after.
func (b *connBuffers) putWriter(w *bufio.Writer) {
	if w != nil {
		w.Reset(nil)
		b.writers.Put(w)
	}
}
