package coordinator

import (
	"testing"
	"time"
)

// TestConnThrottleBucket: the bucket as ZooKeeper's BlueThrottle fills
// it: maxTokens at start, a refill of fillCount × elapsed / fillTime only
// once more than fillTime passed, capped at maxTokens; 0 tokens is off.
func TestConnThrottleBucket(t *testing.T) {
	if th := newConnThrottle(&Config{}, nil, nil); th != nil || !th.allow() {
		t.Fatal("0 tokens: want no throttle, every connect allowed")
	}
	now := time.Unix(1000, 0)
	cfg := Defaults()
	cfg.ConnThrottleTokens, cfg.ConnThrottleFillTime, cfg.ConnThrottleFillCount = 3, 100*time.Millisecond, 2
	th := newConnThrottle(&cfg, func() time.Time { return now }, func() float64 { return 0.5 })
	allowed := func() (n int) {
		for th.allow() {
			n++
		}
		return n
	}
	for _, step := range []struct {
		after time.Duration
		want  int
	}{
		{0, 3},                      // a full bucket
		{100 * time.Millisecond, 0}, // not more than fillTime: no refill
		{50 * time.Millisecond, 3},  // 150 ms: 2 × 150/100 = 3 tokens
		{40 * time.Millisecond, 0},
		{10 * time.Second, 3}, // capped at maxTokens
	} {
		now = now.Add(step.after)
		if got := allowed(); got != step.want {
			t.Fatalf("after %v more: %d connects allowed, want %d", step.after, got, step.want)
		}
	}
}

// TestConnThrottleBlue: with a freeze time, the drop probability rises by
// dropIncrease per freeze time while the bucket is empty, and falls by
// dropDecrease while the bucket lacks at most decreaseRatio of its
// tokens; a draw under it drops the request before the bucket.
func TestConnThrottleBlue(t *testing.T) {
	now := time.Unix(1000, 0)
	cfg := Defaults()
	cfg.ConnThrottleTokens, cfg.ConnThrottleFillTime, cfg.ConnThrottleFillCount = 2, time.Hour, 1
	cfg.ConnThrottleFreezeTime, cfg.ConnThrottleDropIncrease, cfg.ConnThrottleDropDecrease, cfg.ConnThrottleDecreaseRatio = 10*time.Millisecond, 0.25, 0.1, 0.5
	draw := 0.3
	th := newConnThrottle(&cfg, func() time.Time { return now }, func() float64 { return draw })
	if !th.allow() || !th.allow() || th.allow() {
		t.Fatal("want 2 connects allowed, then the empty bucket to refuse")
	}
	for i, want := range []float64{0.25, 0.5, 0.75, 1, 1} {
		now = now.Add(11 * time.Millisecond)
		th.allow()
		if th.drop != want {
			t.Fatalf("freeze %d with an empty bucket: drop %v, want %v", i, th.drop, want)
		}
	}
	// The bucket full again (the hour passed): the probability falls,
	// and a draw under it still drops.
	now = now.Add(time.Hour + time.Millisecond)
	draw = 0.85
	if th.allow() || th.drop != 0.9 {
		t.Fatalf("full bucket, drop %v, draw %v: want the request dropped and drop 0.9", th.drop, draw)
	}
	draw = 0.95
	if !th.allow() {
		t.Fatalf("draw %v over drop %v: want the request allowed", draw, th.drop)
	}
}
