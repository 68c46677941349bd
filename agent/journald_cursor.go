package agent

import (
	"sync"
	"time"

	"github.com/sluicelogs/sluice/agent/registry"
)

// cursorTracker is the journald input's tracker: it turns the
// acknowledgements of its events, which come back in any order (different
// partitions), into the cursor of the last entry below which every entry
// is acknowledged, and records that cursor in the registry. Entries are
// numbered in the order they were read; pending[i] is entry base+i.
type cursorTracker struct {
	reg  *registry.Registry
	key  string
	path string // the journal folder, for the entry's path
	kick func() // tells the registry writer there is news

	mu      sync.Mutex
	base    uint64
	pending []pendingCursor
	acked   string
}

type pendingCursor struct {
	cursor string
	done   bool
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
	t.pending = append(t.pending, pendingCursor{cursor: cursor})
	return cursorToken{t: t, seq: t.base + uint64(len(t.pending)-1)}
}

// ack marks the entry acknowledged (or deliberately skipped) and, when it
// completes a prefix, records the prefix's last cursor.
func (tok cursorToken) ack() {
	t := tok.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok.seq < t.base {
		return
	}
	t.pending[tok.seq-t.base].done = true
	n := 0
	for n < len(t.pending) && t.pending[n].done {
		n++
	}
	if n == 0 {
		return
	}
	t.acked = t.pending[n-1].cursor
	t.pending = t.pending[n:]
	t.base += uint64(n)
	if len(t.pending) == 0 {
		t.pending = t.pending[:0:0] // let a large backing array go
	}
	t.reg.Set(registry.Entry{Key: t.key, Path: t.path, Cursor: t.acked, Updated: time.Now().UTC()})
	if t.kick != nil {
		t.kick()
	}
}

// inFlight is the number of entries not yet acknowledged.
func (t *cursorTracker) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}
