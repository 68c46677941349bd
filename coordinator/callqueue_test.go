package coordinator

import (
	"testing"
	"time"
)

// TestCallQueue: calls come out in the order they went in; a push waits
// while outQueue calls wait and goes on once one is taken; closing done
// ends a waiting push or pop; a queue that never empties does not grow
// beyond what waits in it, and an emptied one lets a large slice go.
func TestCallQueue(t *testing.T) {
	q := newCallQueue()
	done := make(chan struct{})
	calls := make([]*call, outQueue+1)
	for i := range calls {
		calls[i] = &call{xid: int32(i)}
	}
	for _, cl := range calls[:outQueue] {
		if !q.push(cl, done) {
			t.Fatal("push refused")
		}
	}
	pushed := make(chan bool)
	go func() { pushed <- q.push(calls[outQueue], done) }()
	select {
	case <-pushed:
		t.Fatalf("push of call %d went through with %d waiting", outQueue+1, outQueue)
	case <-time.After(50 * time.Millisecond): // no wait can prove the push waits; it may only fail to
	}
	if cl := q.pop(done); cl != calls[0] {
		t.Fatalf("popped xid %d first, want 0", cl.xid)
	}
	if !<-pushed {
		t.Fatal("the waiting push was refused after a pop")
	}
	for i := 1; i <= outQueue; i++ {
		if cl := q.pop(done); cl != calls[i] {
			t.Fatalf("popped xid %d, want %d", cl.xid, i)
		}
	}
	if cap(q.calls) > keptCalls {
		t.Fatalf("an empty queue keeps a slice of %d calls, want at most %d", cap(q.calls), keptCalls)
	}

	// Never empty: one waits while others go through.
	q.push(calls[0], done)
	for i := range 100 * outQueue {
		q.push(calls[1+i%outQueue], done)
		q.pop(done)
		if len(q.calls) > 2*keptCalls+2 {
			t.Fatalf("after %d calls with 1–2 waiting the queue's slice has %d", i, len(q.calls))
		}
	}

	popped := make(chan *call)
	q2 := newCallQueue()
	go func() { popped <- q2.pop(done) }()
	close(done)
	if cl := <-popped; cl != nil {
		t.Fatalf("pop after done returned xid %d", cl.xid)
	}
	for range outQueue {
		q2.push(calls[0], done)
	}
	if q2.push(calls[0], done) {
		t.Fatal("a push into a full queue went through after done")
	}
}
