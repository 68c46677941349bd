package agent

import (
	"math/rand/v2"
	"testing"
)

// TestAckWindow: the prefix advances only over acknowledged events, in
// reading order, whatever order the acknowledgements come in; skipped
// events' acknowledgements are ignored.
func TestAckWindow(t *testing.T) {
	var w ackWindow[string]
	a, b, c := w.add("a"), w.add("b"), w.add("c")
	if _, ok := w.ack(c); ok {
		t.Fatal("c acknowledged before a and b advanced the prefix")
	}
	if last, ok := w.ack(a); !ok || last != "a" {
		t.Fatalf("after a: %q %v", last, ok)
	}
	if last, ok := w.ack(b); !ok || last != "c" || w.inFlight() != 0 {
		t.Fatalf("after b: %q %v, %d in flight", last, ok, w.inFlight())
	}
	if _, ok := w.ack(b); ok {
		t.Fatal("b acknowledged twice advanced the prefix")
	}
	d := w.add("d")
	w.skip()
	if _, ok := w.ack(d); ok || w.inFlight() != 0 {
		t.Fatal("a skipped event's acknowledgement counted")
	}
	if e := w.add("e"); e != d+1 {
		t.Fatalf("numbers went %d then %d", d, e)
	}
}

// TestAckWindowModel: over many events acknowledged in a shuffled order
// (the window's array filling, and its pending events moving back to its
// start), the prefix is always what a plain set of acknowledged numbers
// says.
func TestAckWindowModel(t *testing.T) {
	var w ackWindow[int]
	rng := rand.New(rand.NewPCG(1, 2))
	acked := map[uint64]bool{}
	var open []uint64
	prefix, added := uint64(0), 0 // events below prefix acknowledged
	for range 20000 {
		if rng.IntN(3) > 0 || len(open) == 0 {
			if seq := w.add(added); seq != uint64(added) {
				t.Fatalf("event %d numbered %d", added, seq)
			}
			open = append(open, uint64(added))
			added++
			continue
		}
		k := rng.IntN(len(open))
		seq := open[k]
		open = append(open[:k], open[k+1:]...)
		acked[seq] = true
		last, ok := w.ack(seq)
		was := prefix
		for acked[prefix] {
			prefix++
		}
		if ok != (prefix > was) || (ok && last != int(prefix-1)) {
			t.Fatalf("ack %d: %d %v, want prefix %d (was %d)", seq, last, ok, prefix, was)
		}
		if w.inFlight() != added-int(prefix) {
			t.Fatalf("ack %d: %d in flight, want %d", seq, w.inFlight(), added-int(prefix))
		}
	}
}
