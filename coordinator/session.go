package coordinator

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// sessionSecret makes session passwords: any member can check a password
// by computing it again, as ZooKeeper does with its fixed secret. It is not
// a security boundary (ZooKeeper's is not either); ACLs are.
const sessionSecret = "sluice-coordinator-session-v1"

func sessionPassword(id int64) []byte {
	h := sha256.New()
	h.Write([]byte(sessionSecret))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	h.Write(b[:])
	return h.Sum(nil)[:16]
}

// sessionIDs hands out session ids that no other member can hand out: the
// member id in the top byte, as ZooKeeper does, over a counter seeded from
// the clock so that a restarted member does not reuse ids.
type sessionIDs struct{ next atomic.Int64 }

func newSessionIDs(myid uint64, now time.Time) *sessionIDs {
	s := &sessionIDs{}
	base := (uint64(now.UnixMilli()) << 24) >> 8
	s.next.Store(int64(base | myid<<56))
	return s
}

func (s *sessionIDs) newID() int64 { return s.next.Add(1) }

// sessionTracker remembers when each session was last heard from; the
// leader expires those silent for longer than their timeout.
type sessionTracker struct {
	mu       sync.Mutex
	lastSeen map[int64]time.Time
	now      func() time.Time
}

func newSessionTracker(now func() time.Time) *sessionTracker {
	return &sessionTracker{lastSeen: map[int64]time.Time{}, now: now}
}

func (t *sessionTracker) touch(id int64) {
	t.mu.Lock()
	t.lastSeen[id] = t.now()
	t.mu.Unlock()
}

// touchAll records heartbeats a member forwarded for its clients.
func (t *sessionTracker) touchAll(ids []int64) {
	t.mu.Lock()
	now := t.now()
	for _, id := range ids {
		t.lastSeen[id] = now
	}
	t.mu.Unlock()
}

func (t *sessionTracker) forget(id int64) {
	t.mu.Lock()
	delete(t.lastSeen, id)
	t.mu.Unlock()
}

// expired returns the sessions of live (id → timeout ms) that have been
// silent for longer than their timeout. A session never heard from (this
// member just became leader) starts its clock now.
func (t *sessionTracker) expired(live map[int64]int32) []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var out []int64
	for id, timeout := range live {
		seen, ok := t.lastSeen[id]
		if !ok {
			t.lastSeen[id] = now
			continue
		}
		if now.Sub(seen) > time.Duration(timeout)*time.Millisecond {
			out = append(out, id)
		}
	}
	for id := range t.lastSeen {
		if _, ok := live[id]; !ok {
			delete(t.lastSeen, id)
		}
	}
	return out
}

// reset forgets every clock, so that a new leader gives every session a
// full timeout before expiring it.
func (t *sessionTracker) reset() {
	t.mu.Lock()
	t.lastSeen = map[int64]time.Time{}
	t.mu.Unlock()
}
