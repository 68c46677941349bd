package coordinator

import "sync/atomic"

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
type largeRequests struct {
	max       int64
	threshold int64 // -1: no request is large
	used      atomic.Int64
}

func newLargeRequests(cfg *Config) *largeRequests {
	return &largeRequests{max: int64(cfg.LargeRequestMaxBytes), threshold: int64(cfg.LargeRequestThreshold)}
}

// large reports whether a request of n bytes counts against the budget.
func (l *largeRequests) large(n int) bool { return l.threshold >= 0 && int64(n) > l.threshold }

// take charges n bytes if they fit.
func (l *largeRequests) take(n int64) bool {
	for {
		used := l.used.Load()
		if used+n > l.max {
			return false
		}
		if l.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// give returns n charged bytes.
func (l *largeRequests) give(n int64) { l.used.Add(-n) }
