package coordinator

import "sync"

// callQueue hands a connection's calls from its reader (serve) to answer,
// in order, at most outQueue at a time. It is a slice under a mutex
// rather than a channel of outQueue pointers: such a channel's buffer is
// 32 KiB per connection whether or not anything waits in it, and the
// collector scans every slot of it in every cycle (sluice-bench attack's
// zk-many-addrs, 300 connections holding sessions: a third of the
// member's CPU went to marking them). The slice grows with what waits
// and is let go once empty, so an idle connection holds none.
type callQueue struct {
	mu    sync.Mutex
	calls []*call       // mu; calls[head:] wait
	head  int           // mu
	ready chan struct{} // a call was pushed (room for one)
	room  chan struct{} // a call was popped (room for one)
}

func newCallQueue() *callQueue {
	return &callQueue{ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// push adds cl, waiting while outQueue calls wait; it returns false if
// done was closed first.
func (q *callQueue) push(cl *call, done <-chan struct{}) bool {
	for {
		q.mu.Lock()
		if len(q.calls)-q.head < outQueue {
			q.calls = append(q.calls, cl)
			q.mu.Unlock()
			signal(q.ready)
			return true
		}
		q.mu.Unlock()
		select {
		case <-q.room:
		case <-done:
			return false
		}
	}
}

// pop takes the oldest call, waiting for one; it returns nil if done was
// closed first.
func (q *callQueue) pop(done <-chan struct{}) *call {
	for {
		q.mu.Lock()
		if q.head < len(q.calls) {
			cl := q.calls[q.head]
			q.calls[q.head] = nil
			q.head++
			if q.head == len(q.calls) { // empty: let a large slice go
				q.head = 0
				if cap(q.calls) > keptCalls {
					q.calls = nil
				} else {
					q.calls = q.calls[:0]
				}
			} else if q.head >= keptCalls && 2*q.head >= len(q.calls) {
				// Never empty (a client that keeps calls waiting): move
				// what waits to the front, or the slice grows for ever.
				n := copy(q.calls, q.calls[q.head:])
				clear(q.calls[n:])
				q.calls, q.head = q.calls[:n], 0
			}
			q.mu.Unlock()
			signal(q.room)
			return cl
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-done:
			return nil
		}
	}
}

// keptCalls is the largest slice an empty queue keeps for reuse.
const keptCalls = 16

// signal wakes whoever waits on ch (a channel with room for one) unless a
// wake-up is already pending.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
