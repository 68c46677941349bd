package agent

// ackWindow numbers events in the order they were read and turns their
// acknowledgements, which come back in any order (different partitions),
// into the acknowledged prefix: pending[i] is event base+i. Its owner
// (tracker, cursorTracker) holds its lock around every call.
type ackWindow[T any] struct {
	base    uint64
	pending []pendingAck[T]
}

type pendingAck[T any] struct {
	v    T
	done bool
}

// add registers an event, in reading order, and returns its number.
func (w *ackWindow[T]) add(v T) uint64 {
	w.pending = append(w.pending, pendingAck[T]{v: v})
	return w.base + uint64(len(w.pending)-1)
}

// ack marks event seq acknowledged; when that completes a longer prefix,
// it returns the prefix's last event and true. Events before base (a
// window skipped, or acknowledged twice) are ignored.
func (w *ackWindow[T]) ack(seq uint64) (last T, advanced bool) {
	if seq < w.base || seq-w.base >= uint64(len(w.pending)) {
		return last, false
	}
	w.pending[seq-w.base].done = true
	n := 0
	for n < len(w.pending) && w.pending[n].done {
		n++
	}
	if n == 0 {
		return last, false
	}
	last = w.pending[n-1].v
	w.pending = w.pending[n:]
	w.base += uint64(n)
	if len(w.pending) == 0 {
		w.pending = w.pending[:0:0] // let a large backing array go
	}
	return last, true
}

// skip forgets the pending events: their acknowledgements are ignored.
func (w *ackWindow[T]) skip() {
	w.base += uint64(len(w.pending))
	w.pending = nil
}

// inFlight is the number of events not yet acknowledged.
func (w *ackWindow[T]) inFlight() int { return len(w.pending) }
