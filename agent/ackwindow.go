package agent

// ackWindow numbers events in the order they were read and turns their
// acknowledgements, which come back in any order (different partitions),
// into the acknowledged prefix: pending[head+i] is event base+i. Its owner
// (tracker, cursorTracker) holds its lock around every call.
//
// The acknowledged prefix is dropped by moving head; the events still
// pending move back to the array's start when it is full and at least
// half of it is dropped, rather than being copied into a new array each
// time the array fills.
type ackWindow[T any] struct {
	base    uint64
	head    int
	pending []pendingAck[T]
}

type pendingAck[T any] struct {
	v    T
	done bool
}

// add registers an event, in reading order, and returns its number.
func (w *ackWindow[T]) add(v T) uint64 {
	if len(w.pending) == cap(w.pending) && w.head > 0 && w.head >= len(w.pending)/2 {
		n := copy(w.pending, w.pending[w.head:])
		clear(w.pending[n:]) // let go of what the values point to
		w.pending, w.head = w.pending[:n], 0
	}
	w.pending = append(w.pending, pendingAck[T]{v: v})
	return w.base + uint64(len(w.pending)-w.head-1)
}

// ack marks event seq acknowledged; when that completes a longer prefix,
// it returns the prefix's last event and true. Events before base (a
// window skipped, or acknowledged twice) are ignored.
func (w *ackWindow[T]) ack(seq uint64) (last T, advanced bool) {
	p := w.pending[w.head:]
	if seq < w.base || seq-w.base >= uint64(len(p)) {
		return last, false
	}
	p[seq-w.base].done = true
	n := 0
	for n < len(p) && p[n].done {
		n++
	}
	if n == 0 {
		return last, false
	}
	last = p[n-1].v
	clear(p[:n]) // let go of what the values point to
	w.head += n
	w.base += uint64(n)
	if w.head == len(w.pending) {
		w.pending, w.head = nil, 0 // let a large backing array go
	}
	return last, true
}

// skip forgets the pending events: their acknowledgements are ignored.
func (w *ackWindow[T]) skip() {
	w.base += uint64(len(w.pending) - w.head)
	w.pending, w.head = nil, 0
}

// inFlight is the number of events not yet acknowledged.
func (w *ackWindow[T]) inFlight() int { return len(w.pending) - w.head }
