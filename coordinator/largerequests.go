package coordinator

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
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
// spareKeep unused. Buffers of packets that were decoded are not kept
// (they are freed once copied).
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

// Off the heap: a large packet's buffer is an anonymous memory mapping,
// not a Go allocation, and is unmapped (free) as soon as the packet is
// complete, copied to the heap for decoding (readPacket, handshake) or
// refused. The packets clients hold half-sent (what an attacker who
// keeps connections in huge packets holds, up to the whole budget) are
// then no part of the heap: the collector neither scans them nor counts
// them against GOMEMLIMIT, so a full budget leaves the heap small and the
// collector idle, where a heap holding it had the collector running
// without pause under the limit. What the process holds is the same (the
// mapped pages are in its RSS, and the budget bounds them); only the
// decoded packets, whole, reach the heap.

// mapBuffer returns an empty buffer of capacity n outside the Go heap.
func mapBuffer(n int64) ([]byte, error) {
	b, err := unix.Mmap(-1, 0, int(n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, err
	}
	return b[:0], nil
}

// free unmaps a buffer takeBuffer returned (nothing for nil). Nothing may
// refer to it afterwards: its packet was copied, or is dropped.
func (l *largeRequests) free(b []byte) {
	if cap(b) > 0 {
		_ = unix.Munmap(b[:cap(b)])
	}
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
// or a new one, mapped off the heap (free gives it back).
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
	b, err := mapBuffer(n)
	if err != nil { // out of mappings or memory: refused as if over budget
		l.give(n)
		return nil, false
	}
	return b, true
}

// keep takes back the buffer of a connect packet of n charged bytes that
// was never decoded, and the charge with it, as a spare; false: not kept,
// the charge is the caller's to give back, and the buffer to free.
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
	b := l.spares[0].b
	n := int64(cap(b))
	l.spares[0] = spareBuf{}
	l.spares = l.spares[1:]
	l.mu.Unlock()
	l.free(b)
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
