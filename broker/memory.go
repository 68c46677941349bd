package broker

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// requestMemory is the budget of queued.max.request.bytes: the bytes
// allocated for request frames not yet answered, over all connections.
// A connection takes memory for a frame as its bytes arrive (conn.go
// readFrame), never for the size a request only announces, and gives it
// back once the request is answered. The frame's buffer doubles from 4 KiB
// as bytes arrive, and once 64 KiB have arrived the rest of the frame is
// taken whole; the buffers it outgrew stay charged (garbage not yet
// collected), so a frame of n bytes is charged at most n + 124 KiB.
//
// A buffer of 64 KiB or more stays charged after its request is answered,
// until the collector has freed it (kept): answered frames are garbage
// the heap still holds, and a budget that forgot them would let the heap
// hold the budget in live frames plus as much again in dead ones before
// the collector runs. A connection that waits for memory while such
// buffers are charged asks for a collection (runCollector), which frees
// them and wakes it.
//
// A connection that needs more than is left waits. Waiting could
// deadlock: when every request that holds memory waits for more, none
// will ever give any back. The request that completes that circle takes
// everything it still needs at once, beyond the limit; the others go on
// waiting for it. Since a request that has taken the rest of its frame
// never waits again, every holder in such a circle holds at most the
// 124 KiB of its first buffers: the limit is exceeded by at most what
// those hold (and the first buffers of answered requests not yet
// collected), and only while the alternative is to stop (Kafka's pool,
// which takes a frame whole at its header, overshoots by up to a whole
// request). A request alone may take more than the limit for the same
// reason; so may one that finds no holder after a collection (the
// charged buffers are then still referenced, and waiting would not free
// them). Neither happens while a collection may still free kept buffers
// (none has run since a release left some dead).
type requestMemory struct {
	limit int64 // <= 0: unbounded

	mu          sync.Mutex
	used        int64
	kept        int64         // of used, buffers charged until the collector frees them
	holders     int           // requests holding memory
	waiting     int           // of the holders, how many wait for more
	queued      int           // connections waiting, holders or not (a gauge)
	collections int           // collections runCollector has finished
	keptAt      int           // collections when a release last left kept buffers dead
	collecting  bool          // a collection has begun and is not counted yet
	changed     chan struct{} // closed (and replaced) when memory is given back
	collect     chan struct{} // asks runCollector for a collection
}

func newRequestMemory(limit int64) *requestMemory {
	return &requestMemory{limit: limit, keptAt: -1, changed: make(chan struct{}), collect: make(chan struct{}, 1)}
}

// share is one request's memory: n bytes charged, of which kept are
// given back by the collector rather than by release.
type share struct{ n, kept int64 }

// grow takes n more bytes for s, waiting while they are not available;
// rest (at least n) is all the request still needs, taken at once when
// waiting would deadlock. It returns what it took: n or rest.
func (m *requestMemory) grow(ctx context.Context, s *share, n, rest int64) (int64, error) {
	m.mu.Lock()
	holder := s.n > 0
	for {
		take := int64(0)
		dead := m.kept > 0 && m.collections <= m.keptAt // a collection may give memory back
		switch {
		case m.limit <= 0 || m.used+n <= m.limit || m.used == 0:
			take = n
		case dead:
			// wait for the collection first
		case holder && m.waiting+1 == m.holders:
			take = rest // every other holder waits too: see the type's doc
		case !holder && m.holders == 0:
			take = n // what is charged survived a collection: see the type's doc
		}
		if take > 0 {
			if !holder {
				m.holders++
			}
			m.used += take
			s.n += take
			m.mu.Unlock()
			return take, nil
		}
		if dead {
			select {
			case m.collect <- struct{}{}:
			default:
			}
		}
		ch := m.changed
		m.queued++
		if holder {
			m.waiting++
		}
		m.mu.Unlock()
		var err error
		select {
		case <-ch:
		case <-ctx.Done():
			err = ctx.Err()
		}
		m.mu.Lock()
		m.queued--
		if holder {
			m.waiting--
		}
		if err != nil {
			m.mu.Unlock()
			return 0, err
		}
	}
}

// keep marks buf, of s's charge, as given back when the collector frees
// it instead of by release.
func (m *requestMemory) keep(s *share, buf []byte) {
	if cap(buf) == 0 {
		return
	}
	n := int64(cap(buf))
	m.mu.Lock()
	s.kept += n
	m.kept += n
	m.mu.Unlock()
	runtime.AddCleanup(&buf[:1][0], m.freed, n)
}

// freed gives back a kept buffer the collector freed.
func (m *requestMemory) freed(n int64) {
	m.mu.Lock()
	m.used -= n
	m.kept -= n
	m.wakeLocked()
	m.mu.Unlock()
}

// release gives s's memory back (but for what it kept) and wakes the
// waiting connections.
func (m *requestMemory) release(s *share) {
	if s.n == 0 {
		return
	}
	m.mu.Lock()
	m.used -= s.n - s.kept
	m.holders--
	if s.kept > 0 {
		m.keptAt = m.collections
		if m.collecting { // it may have begun before these died
			m.keptAt++
		}
	}
	s.n, s.kept = 0, 0
	m.wakeLocked()
	m.mu.Unlock()
}

func (m *requestMemory) wakeLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// runCollector runs a collection whenever a waiting connection asks for
// one, at most one per minGap, until ctx ends. The kept buffers the
// collection freed are given back by their cleanups, which the runtime
// runs soon after (each wakes the waiting connections); minGap later the
// collection is counted and the waiting connections woken once more, so
// that one finding no holder left may go on (grow).
func (m *requestMemory) runCollector(ctx context.Context, minGap time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.collect:
		}
		// The cleanups of what the collection freed run on the runtime's
		// goroutines once it returns: a sentinel's says they have begun.
		m.mu.Lock()
		m.collecting = true
		m.mu.Unlock()
		ran := make(chan struct{})
		runtime.AddCleanup(new(int64), func(ch chan struct{}) { close(ch) }, ran)
		runtime.GC()
		select {
		case <-ctx.Done():
			return
		case <-ran:
		case <-time.After(time.Second):
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(minGap):
		}
		m.mu.Lock()
		m.collections++
		m.collecting = false
		m.wakeLocked()
		m.mu.Unlock()
	}
}

// stats returns the bytes in use and the connections waiting for memory.
func (m *requestMemory) stats() (used int64, queued int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used, m.queued
}
