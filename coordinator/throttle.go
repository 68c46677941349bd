package coordinator

import (
	"math/rand/v2"
	"sync"
	"time"
)

// connThrottle is ZooKeeper 3.6+'s connection throttle (its BlueThrottle)
// on the client port: every connect request takes a token from a bucket of
// connection_throttle_tokens, refilled with connection_throttle_fill_count
// tokens every connection_throttle_fill_time ms; a connect request that
// finds the bucket empty closes its connection without a reply (the
// client connects again, to this member or another). A bucket of 0 tokens,
// the default, turns the throttle off.
//
// With connection_throttle_freeze_time set (not -1, the default), requests
// are also dropped at random before they reach the bucket, with a
// probability that adapts at most once per freeze time: it rises by
// connection_throttle_drop_increase while the bucket is empty and falls by
// connection_throttle_drop_decrease while the bucket lacks at most
// connection_throttle_decrease_ratio of its tokens (ZooKeeper's BLUE), so
// that a steady flood is shed evenly rather than whoever comes first after
// a refill getting in.
//
// As in ZooKeeper, the check is on connect requests (a session created or
// renewed), not on accepted connections, and the refill adds what the time
// since the last refill is worth (fill count × elapsed / fill time, the
// fraction of a token dropped) only once more than one fill time has
// passed. ZooKeeper's weighed throttling
// (connection_throttle_weight_enabled) is not implemented: every connect
// request takes one token.
type connThrottle struct {
	maxTokens, fillCount int
	fillTime, freezeTime time.Duration // freezeTime < 0: no random drops
	dropIncrease         float64
	dropDecrease         float64
	decreaseRatio        float64

	now  func() time.Time
	rand func() float64 // in [0, 1)

	mu         sync.Mutex
	tokens     int
	lastFill   time.Time
	lastFreeze time.Time
	drop       float64 // the probability of a random drop
}

// newConnThrottle returns the throttle cfg configures, nil when it is off.
func newConnThrottle(cfg *Config, now func() time.Time, random func() float64) *connThrottle {
	if cfg.ConnThrottleTokens == 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Float64
	}
	t := now()
	return &connThrottle{
		maxTokens: cfg.ConnThrottleTokens, fillCount: cfg.ConnThrottleFillCount,
		fillTime: cfg.ConnThrottleFillTime, freezeTime: cfg.ConnThrottleFreezeTime,
		dropIncrease: cfg.ConnThrottleDropIncrease, dropDecrease: cfg.ConnThrottleDropDecrease,
		decreaseRatio: cfg.ConnThrottleDecreaseRatio,
		now:           now, rand: random,
		tokens: cfg.ConnThrottleTokens, lastFill: t, lastFreeze: t,
	}
}

// allow takes a token for a connect request, or says it must be refused.
// A nil throttle allows everything.
func (t *connThrottle) allow() bool {
	if t == nil {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if since := now.Sub(t.lastFill); since > t.fillTime {
		refill := min(float64(since)*float64(t.fillCount)/float64(t.fillTime), float64(t.maxTokens))
		t.tokens = min(t.tokens+int(refill), t.maxTokens)
		t.lastFill = now
	}
	if t.freezeTime >= 0 && !t.survivesDrop(now) {
		return false
	}
	if t.tokens < 1 {
		return false
	}
	t.tokens--
	return true
}

// survivesDrop adapts the drop probability, at most once per freeze time,
// and draws whether this request is dropped at random.
func (t *connThrottle) survivesDrop(now time.Time) bool {
	if now.Sub(t.lastFreeze) > t.freezeTime {
		deficit := t.maxTokens - t.tokens
		switch {
		case deficit == t.maxTokens && t.drop < 1:
			t.drop = min(t.drop+t.dropIncrease, 1)
		case float64(deficit) <= roundHalfUp(float64(t.maxTokens)*t.decreaseRatio) && t.drop > 0:
			t.drop = max(t.drop-t.dropDecrease, 0)
		}
		t.lastFreeze = now
	}
	return t.rand() >= t.drop
}

// roundHalfUp rounds as Java's Math.round does.
func roundHalfUp(x float64) float64 { return float64(int64(x + 0.5)) }
