package replquota

import (
	"testing"
	"time"
)

// clock is a test's hand-moved time.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestQuotaWindows(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	q := New(11, time.Second, c.now)
	if q.Exceeded() {
		t.Fatal("an unlimited quota is exceeded")
	}
	q.Record(1 << 30)
	if q.Exceeded() {
		t.Fatal("an unlimited quota is exceeded after a large record")
	}

	q = New(11, time.Second, c.now)
	q.SetRate(100)
	// Under num-1 windows, the rate is over num-1 windows: 1000 bytes
	// are exactly the limit, one more passes it.
	q.Record(1000)
	if q.Exceeded() {
		t.Fatalf("1000 bytes at once: measured %v, not over 100/s over 10 s", q.Measured())
	}
	q.Record(1)
	if !q.Exceeded() {
		t.Fatalf("1001 bytes at once: measured %v, want over 100/s", q.Measured())
	}
	// Ten windows later the span is still ten windows: still over.
	for range 10 {
		c.advance(time.Second)
		if !q.Exceeded() {
			t.Fatalf("at %v: measured %v, want still over", c.t, q.Measured())
		}
	}
	// Eleven windows after the burst, its sample is dropped.
	c.advance(time.Second)
	if q.Exceeded() || q.Measured() != 0 {
		t.Fatalf("after the window: measured %v, want 0", q.Measured())
	}

	// Steady records at the rate stay within it; one window's worth more
	// passes it.
	q = New(11, time.Second, c.now)
	q.SetRate(100)
	for i := range 30 {
		if q.Exceeded() {
			t.Fatalf("window %d: steady 100/s measured %v, over", i, q.Measured())
		}
		q.Record(100)
		c.advance(time.Second)
	}
	q.Record(200)
	if !q.Exceeded() {
		t.Fatalf("steady plus a burst: measured %v, want over", q.Measured())
	}
	q.SetRate(Unlimited)
	if q.Exceeded() {
		t.Fatal("exceeded after the rate was removed")
	}
}

func TestQuotaSampleRolls(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	q := New(2, 10*time.Second, c.now)
	q.SetRate(10)
	q.Record(50) // sample A at 0
	c.advance(9 * time.Second)
	q.Record(50) // still A: it started 9 s ago
	c.advance(time.Second)
	q.Record(50) // sample B at 10
	// A and B live, elapsed 10 s: 150/10.
	if got := q.Measured(); got != 15 {
		t.Fatalf("measured %v, want 15", got)
	}
	c.advance(10 * time.Second) // A started 20 s ago: dropped
	if got := q.Measured(); got != 5 {
		t.Fatalf("measured %v, want 50 bytes over 10 s", got)
	}
}

func TestThrottledPartitions(t *testing.T) {
	q := New(11, time.Second, nil)
	q.MarkThrottled("a", []int32{0, 2})
	q.MarkThrottled("b", []int32{AllReplicas})
	for _, tc := range []struct {
		topic string
		p     int32
		want  bool
	}{{"a", 0, true}, {"a", 1, false}, {"a", 2, true}, {"b", 7, true}, {"c", 0, false}} {
		if got := q.IsThrottled(tc.topic, tc.p); got != tc.want {
			t.Errorf("%s-%d throttled %v, want %v", tc.topic, tc.p, got, tc.want)
		}
	}
	q.MarkThrottled("a", nil)
	if q.IsThrottled("a", 0) {
		t.Error("a-0 throttled after its throttle was removed")
	}
}
