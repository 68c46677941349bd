package agent

import "testing"

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
