package agent

import (
	"sync"
	"time"

	"github.com/sluicelogs/sluice/agent/registry"
)

// cursorTracker is the journald input's tracker: it turns the
// acknowledgements of its events, which come back in any order (different
// partitions), into the cursor of the last entry below which every entry
// is acknowledged (ackWindow), and records that cursor in the registry.
type cursorTracker struct {
	reg  *registry.Registry
	key  string
	path string // the journal folder, for the entry's path
	kick func() // tells the registry writer there is news

	mu      sync.Mutex
	entries ackWindow[string] // cursors
	acked   string
}

// cursorToken acknowledges one entry's event.
type cursorToken struct {
	t   *cursorTracker
	seq uint64
}

func newCursorTracker(reg *registry.Registry, key, path, acked string, kick func()) *cursorTracker {
	return &cursorTracker{reg: reg, key: key, path: path, acked: acked, kick: kick}
}

// add registers the entry at cursor, in reading order.
func (t *cursorTracker) add(cursor string) cursorToken {
	t.mu.Lock()
	defer t.mu.Unlock()
	return cursorToken{t: t, seq: t.entries.add(cursor)}
}

// ack marks the entry acknowledged (or deliberately skipped) and, when it
// completes a prefix, records the prefix's last cursor.
func (tok cursorToken) ack() {
	t := tok.t
	t.mu.Lock()
	defer t.mu.Unlock()
	last, ok := t.entries.ack(tok.seq)
	if !ok {
		return
	}
	t.acked = last
	t.reg.Set(registry.Entry{Key: t.key, Path: t.path, Cursor: t.acked, Updated: time.Now().UTC()})
	if t.kick != nil {
		t.kick()
	}
}

// inFlight is the number of entries not yet acknowledged.
func (t *cursorTracker) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.entries.inFlight()
}
