package broker

import (
	"context"
	"sync"
)

// requestMemory is the budget of queued.max.request.bytes: the bytes
// allocated for request frames not yet answered, over all connections.
// A connection takes memory for a frame as its bytes arrive (conn.go
// readFrame), never for the size a request only announces, and gives it
// back once the request is answered. The frame's buffer doubles as bytes
// arrive and the buffers it outgrew stay charged (garbage not yet
// collected), so a frame of n bytes is charged less than 2n.
//
// A connection that needs more than is left waits. Waiting could
// deadlock: when every request that holds memory waits for more, none
// will ever give any back. The request that completes that circle takes
// everything it still needs at once, beyond the limit; the others go on
// waiting for it. So the memory in use exceeds the limit by at most one
// request's charge (under twice socket.request.max.bytes), and only while
// the alternative is to stop. A request alone may take more than the
// limit for the same reason.
type requestMemory struct {
	limit int64 // <= 0: unbounded

	mu      sync.Mutex
	used    int64
	holders int           // requests holding memory
	waiting int           // of the holders, how many wait for more
	queued  int           // connections waiting, holders or not (a gauge)
	changed chan struct{} // closed (and replaced) when memory is given back
}

func newRequestMemory(limit int64) *requestMemory {
	return &requestMemory{limit: limit, changed: make(chan struct{})}
}

// share is one request's memory.
type share struct{ n int64 }

// grow takes n more bytes for s, waiting while they are not available;
// rest (at least n) is all the request still needs, taken at once when
// waiting would deadlock. It returns what it took: n or rest.
func (m *requestMemory) grow(ctx context.Context, s *share, n, rest int64) (int64, error) {
	m.mu.Lock()
	holder := s.n > 0
	for {
		take := int64(0)
		switch {
		case m.limit <= 0 || m.used+n <= m.limit || m.used == 0:
			take = n
		case holder && m.waiting+1 == m.holders:
			take = rest // every other holder waits too: see the type's doc
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

// release gives s's memory back and wakes the waiting connections.
func (m *requestMemory) release(s *share) {
	if s.n == 0 {
		return
	}
	m.mu.Lock()
	m.used -= s.n
	m.holders--
	s.n = 0
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
}

// stats returns the bytes in use and the connections waiting for memory.
func (m *requestMemory) stats() (used int64, queued int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used, m.queued
}
