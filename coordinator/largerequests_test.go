package coordinator

import (
	"testing"
	"time"
)

// TestSpareBuffersExpire: a spare buffer unused for spareKeep is dropped
// with its charge; one reused is no longer spare.
func TestSpareBuffersExpire(t *testing.T) {
	l := &largeRequests{max: 10 << 20, threshold: 1 << 10}
	t0 := time.Now()
	a, ok := l.takeBuffer(1 << 20)
	if !ok || cap(a) != 1<<20 || l.used.Load() != 1<<20 {
		t.Fatalf("takeBuffer: cap %d, ok %v, used %d", cap(a), ok, l.used.Load())
	}
	if !l.keep(a, 1<<20, t0) {
		t.Fatal("an undecoded buffer of its charged size was not kept")
	}
	if l.keep(make([]byte, 0, 100), 1<<20, t0) {
		t.Fatal("a buffer of another capacity than its charge was kept")
	}
	b, _ := l.takeBuffer(2 << 20)
	l.keep(b, 2<<20, t0.Add(30*time.Second))
	if l.used.Load() != 3<<20 || l.spare.Load() != 3<<20 {
		t.Fatalf("used %d, spare %d; want both 3 MiB", l.used.Load(), l.spare.Load())
	}
	l.expire(t0.Add(spareKeep - time.Second))
	if l.spare.Load() != 3<<20 {
		t.Fatalf("spare %d before spareKeep, want 3 MiB", l.spare.Load())
	}
	l.expire(t0.Add(spareKeep))
	if l.used.Load() != 2<<20 || l.spare.Load() != 2<<20 {
		t.Fatalf("after spareKeep: used %d, spare %d; want the 1 MiB buffer dropped", l.used.Load(), l.spare.Load())
	}
	c, _ := l.takeBuffer(2 << 20)
	if &c[:1][0] != &b[:1][0] || l.used.Load() != 2<<20 || l.spare.Load() != 0 {
		t.Fatalf("the spare 2 MiB buffer was not reused (used %d, spare %d)", l.used.Load(), l.spare.Load())
	}
}
