package coordinator

import (
	"sync"
	"sync/atomic"
	"time"
)

// largeRequests is the client port's request memory budget, ZooKeeper's
// largeRequestMaxBytes: the lengths of the large requests (longer than
// largeRequestThreshold) being read or handled, over all connections.
// A connection charges a request's length, learnt from its 4-byte
// header, before it reads the body, and gives it back once the request
// is answered (or the connection closes). A request that does not fit
// is refused whole: its connection is closed, as ZooKeeper closes it.
// ZooKeeper only compares the length with what is charged when the
// header arrives and charges it once the body has been read, so
// connections stalled mid-body are not counted there; here they are.
//
// Spare buffers: a large connect packet that never arrived whole (its
// connection closed or timed out in the middle, which is what a client
// holding connections open in a huge connect does, reconnecting when
// closed) leaves a buffer nothing else refers to. Left to the collector,
// every such round allocates the budget again and the heap holds the
// budget in live packets plus the garbage of the rounds before. Such
// buffers are kept for the next large connect packet instead, charged
// to the budget as the packets in flight are (so the budget bounds both
// together), given up when a request needs their room, and dropped after
// spareKeep unused. Buffers of packets that were decoded are not kept:
// what was decoded from them may still refer to them.
type largeRequests struct {
	max       int64
	threshold int64 // -1: no request is large
	used      atomic.Int64

	mu     sync.Mutex
	spares []spareBuf
	spare  atomic.Int64 // bytes in spares, also in used
}

type spareBuf struct {
	b    []byte
	kept time.Time
}

// spareKeep is how long an unused spare buffer is kept.
const spareKeep = time.Minute

func newLargeRequests(cfg *Config) *largeRequests {
	return &largeRequests{max: int64(cfg.LargeRequestMaxBytes), threshold: int64(cfg.LargeRequestThreshold)}
}

// large reports whether a request of n bytes counts against the budget.
func (l *largeRequests) large(n int) bool { return l.threshold >= 0 && int64(n) > l.threshold }

// take charges n bytes if they fit, giving up spare buffers for room.
func (l *largeRequests) take(n int64) bool {
	for {
		used := l.used.Load()
		if used+n > l.max {
			if l.dropSpare() {
				continue
			}
			return false
		}
		if l.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// give returns n charged bytes.
func (l *largeRequests) give(n int64) { l.used.Add(-n) }

// takeBuffer charges n bytes if they fit and returns an empty buffer of
// capacity n for them: a spare one, whose charge becomes the request's,
// or a new one.
func (l *largeRequests) takeBuffer(n int64) ([]byte, bool) {
	l.mu.Lock()
	for i := len(l.spares) - 1; i >= 0; i-- {
		if b := l.spares[i].b; int64(cap(b)) == n {
			l.spares = append(l.spares[:i], l.spares[i+1:]...)
			l.mu.Unlock()
			l.spare.Add(-n)
			return b, true
		}
	}
	l.mu.Unlock()
	if !l.take(n) {
		return nil, false
	}
	return make([]byte, 0, n), true
}

// keep takes back the buffer of a connect packet of n charged bytes that
// was never decoded, and the charge with it, as a spare; false: not kept,
// the charge is the caller's to give back.
func (l *largeRequests) keep(b []byte, n int64, now time.Time) bool {
	if n == 0 || int64(cap(b)) != n {
		return false
	}
	l.mu.Lock()
	l.spares = append(l.spares, spareBuf{b: b[:0], kept: now})
	l.mu.Unlock()
	l.spare.Add(n)
	return true
}

// dropSpare gives up the oldest spare buffer and its charge; false: none.
func (l *largeRequests) dropSpare() bool {
	l.mu.Lock()
	if len(l.spares) == 0 {
		l.mu.Unlock()
		return false
	}
	n := int64(cap(l.spares[0].b))
	l.spares[0] = spareBuf{}
	l.spares = l.spares[1:]
	l.mu.Unlock()
	l.spare.Add(-n)
	l.give(n)
	return true
}

// expire drops the spare buffers kept unused for spareKeep.
func (l *largeRequests) expire(now time.Time) {
	for {
		l.mu.Lock()
		old := len(l.spares) > 0 && now.Sub(l.spares[0].kept) >= spareKeep
		l.mu.Unlock()
		if !old || !l.dropSpare() {
			return
		}
	}
}
