package lograte

import (
	"testing"
	"time"
)

// TestLimiter: burst messages pass in an interval, the rest are counted
// and reported with the first message of a later interval.
func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(3, 10*time.Second)
	l.now = func() time.Time { return now }
	allow := func(wantOK bool, wantDropped int) {
		t.Helper()
		if ok, d := l.Allow(); ok != wantOK || d != wantDropped {
			t.Fatalf("at %v: Allow() = %v, %d; want %v, %d", now.Unix(), ok, d, wantOK, wantDropped)
		}
	}
	allow(true, 0)
	allow(true, 0)
	allow(true, 0)
	for range 100 {
		allow(false, 0)
	}
	now = now.Add(9 * time.Second)
	allow(false, 0) // same interval
	now = now.Add(time.Second)
	allow(true, 101)
	allow(true, 0)
	allow(true, 0)
	allow(false, 0)
	now = now.Add(time.Hour)
	allow(true, 1)
}
