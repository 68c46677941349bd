package broker

import (
	"testing"
	"time"
)

// TestConnRateWait: the wait is Kafka's quota throttle time, (rate -
// quota) / quota × the span measured, the span at least 10 windows of
// 1 s: a quota of 10 takes 100 connections at once, the 101st waits
// 0.1 s; connections older than 11 windows no longer count.
func TestConnRateWait(t *testing.T) {
	r := &connRate{limit: "max.connection.creation.rate", quota: 10}
	t0 := time.Unix(1000, 0)
	for i := range 100 {
		if d := r.record(t0); d != 0 {
			t.Fatalf("connection %d at once: wait %v, want none", i+1, d)
		}
	}
	if d := r.record(t0); d != 100*time.Millisecond {
		t.Fatalf("connection 101 at once: wait %v, want 100ms", d)
	}
	// 12.5 s later, all of them obsolete: 100 more at once are within
	// the quota again.
	for i := range 100 {
		if d := r.record(t0.Add(12500 * time.Millisecond)); d != 0 {
			t.Fatalf("after the old windows expired, connection %d: wait %v, want none", i+1, d)
		}
	}
	// One connection, then 100 ten seconds later: 101 over a span of
	// 10 s, a rate of 10.1 for a quota of 10.
	r2 := &connRate{quota: 10}
	r2.record(t0)
	for range 99 {
		r2.record(t0.Add(10 * time.Second))
	}
	if d := r2.record(t0.Add(10 * time.Second)); d != 100*time.Millisecond {
		t.Fatalf("101 connections over 10 s at a quota of 10/s: wait %v, want 100ms", d)
	}
}
