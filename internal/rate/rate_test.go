package rate

import (
	"testing"
	"time"
)

// clock is a test's hand-moved time.
type clock struct{ t time.Time }

func (c *clock) advance(d time.Duration) time.Time { c.t = c.t.Add(d); return c.t }

func measure(t *testing.T, s *Sampled, now time.Time, rate float64, span time.Duration) {
	t.Helper()
	if r, sp := s.Measure(now); r != rate || sp != span {
		t.Fatalf("at %v: measured %v over %v, want %v over %v", now.Unix(), r, sp, rate, span)
	}
}

// TestQuietSpan: before num-1 whole windows have passed since the oldest
// sample, the windows missing to num-1 are added to the span; once they
// have, the span is the time since the oldest sample.
func TestQuietSpan(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	s := New(11, time.Second)
	measure(t, s, c.t, 0, 10*time.Second)
	s.Record(c.t, 1000)
	measure(t, s, c.t, 100, 10*time.Second)
	// 9.5 s on: 9 whole windows, one missing to 10: 10.5 s.
	measure(t, s, c.advance(9500*time.Millisecond), 1000/10.5, 10500*time.Millisecond)
	// 10.5 s on: 10 whole windows, none missing.
	measure(t, s, c.advance(time.Second), 1000/10.5, 10500*time.Millisecond)
}

// TestSamplesRoll: a value goes to the newest sample while it is younger
// than a window, else it starts a new one; a sample num windows old is
// dropped.
func TestSamplesRoll(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	s := New(2, 10*time.Second)
	s.Record(c.t, 50) // sample A at 0
	s.Record(c.advance(9*time.Second), 50)
	s.Record(c.advance(time.Second), 50) // sample B at 10
	measure(t, s, c.t, 15, 10*time.Second)
	// A started 20 s ago: dropped; B alone, started 10 s ago.
	measure(t, s, c.advance(10*time.Second), 5, 10*time.Second)
	// B dropped too: nothing left.
	measure(t, s, c.advance(10*time.Second), 0, 10*time.Second)
	// The ring reuses the slots: C and D replace A and B.
	s.Record(c.t, 10)
	s.Record(c.advance(10*time.Second), 30)
	measure(t, s, c.t, 4, 10*time.Second)
}

// TestSteady: a steady rate, measured before each value, stays within
// itself; one window's worth more is measured above it.
func TestSteady(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	s := New(11, time.Second)
	for range 30 {
		if r, _ := s.Measure(c.t); r > 100 {
			t.Fatalf("at %v: steady 100/s measured %v", c.t.Unix(), r)
		}
		s.Record(c.t, 100)
		c.advance(time.Second)
	}
	s.Record(c.t, 200)
	if r, _ := s.Measure(c.t); r <= 100 {
		t.Fatalf("steady plus a burst measured %v, want over 100", r)
	}
}

// TestOneSample: with a single sample (New takes at least one), a value
// just recorded is measured over one window, not over no time.
func TestOneSample(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, num := range []int{0, 1} {
		s := New(num, 2*time.Second)
		s.Record(now, 10)
		measure(t, s, now, 5, 2*time.Second)
		measure(t, s, now.Add(time.Second), 10, time.Second)
		measure(t, s, now.Add(2*time.Second), 0, 2*time.Second)
	}
}
