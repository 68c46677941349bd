package tree

import (
	"sort"
)

// CreateSession applies the creation of a session with its negotiated
// timeout (ms). Creating a session that exists only updates its timeout.
func (t *Tree) CreateSession(tx Txn, timeout int32) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.advance(tx); err != nil {
		return err
	}
	if s, ok := t.sessions[tx.Session]; ok {
		s.timeout = timeout
		return nil
	}
	t.sessions[tx.Session] = &session{timeout: timeout, ephemerals: map[string]struct{}{}}
	return nil
}

// CloseSession applies the end of a session (closed by its client or
// expired by the leader): its ephemeral znodes are deleted, in path order.
// Closing an unknown session is a no-op (it may have expired already).
func (t *Tree) CloseSession(tx Txn) ([]Event, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.advance(tx); err != nil {
		return nil, err
	}
	s, ok := t.sessions[tx.Session]
	if !ok {
		return nil, nil
	}
	var ev []Event
	// Deepest first cannot matter (ephemerals have no children), so path
	// order keeps every member's zxid-by-zxid view identical.
	for _, p := range sortedKeys(s.ephemerals) {
		if err := t.delete(tx, p, -1, nil, &ev); err != nil {
			return ev, err
		}
	}
	delete(t.sessions, tx.Session)
	return ev, nil
}

// Session reports whether a session is live, and its timeout (ms).
func (t *Tree) Session(id int64) (timeout int32, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s, ok := t.sessions[id]
	if !ok {
		return 0, false
	}
	return s.timeout, true
}

// Sessions returns the live sessions and their timeouts (ms), by id.
func (t *Tree) Sessions() map[int64]int32 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make(map[int64]int32, len(t.sessions))
	for id, s := range t.sessions {
		out[id] = s.timeout
	}
	return out
}

// Ephemerals returns, sorted, the ephemeral znodes a session owns under
// prefix ("/" for all), as getEphemerals answers.
func (t *Tree) Ephemerals(id int64, prefix string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s, ok := t.sessions[id]
	if !ok {
		return nil
	}
	out := []string{}
	for p := range s.ephemerals {
		if prefix == "/" || p == prefix || len(p) > len(prefix) && p[:len(prefix)] == prefix {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Removable returns the container znodes that are empty after having had a
// child, and the TTL znodes without children not modified for their TTL
// at time now (ms): what the leader deletes, as ZooKeeper's container
// manager does.
func (t *Tree) Removable(now int64) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	for p, n := range t.nodes {
		if n.removable(now) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Remove applies the leader's removal of container and TTL znodes: each
// path is deleted only if it is still removable at tx.Time (a child may
// have been created since the leader looked).
func (t *Tree) Remove(tx Txn, paths []string) ([]Event, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.advance(tx); err != nil {
		return nil, err
	}
	var ev []Event
	for _, p := range paths {
		n, ok := t.nodes[p]
		if !ok || !n.removable(tx.Time) {
			continue
		}
		if err := t.delete(tx, p, -1, nil, &ev); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

// removable reports whether a znode is an empty container that once had a
// child, or a childless TTL znode not modified for its TTL at time now.
func (n *node) removable(now int64) bool {
	if len(n.children) > 0 {
		return false
	}
	owner := n.stat.EphemeralOwner
	switch {
	case owner == containerOwner:
		return n.stat.Cversion > 0
	case owner&ttlOwnerMark == ttlOwnerMark:
		return now-n.stat.Mtime > owner&^ttlOwnerMark
	}
	return false
}
