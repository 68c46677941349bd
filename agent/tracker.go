package agent

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicelogs/sluice/agent/harvester"
	"github.com/sluicelogs/sluice/agent/registry"
)

// tracker turns the acknowledgements of one file's events, which may come
// back in any order (different partitions), into the offset below which
// every event is acknowledged, and records that offset in the registry.
//
// Events are numbered in the order they were read (ackWindow); the offset
// advances only over a prefix of acknowledged events.
// After a truncation (reset) the file is read again from 0: the epoch
// changes and acknowledgements of events of the old epoch are ignored.
type tracker struct {
	reg  *registry.Registry
	key  string
	path string

	mu     sync.Mutex
	epoch  uint64
	events ackWindow[readEvent]
	inst   string      // registry.Entry.Instance
	fresh  atomic.Bool // inst was drawn and may not be on disk yet
	acked  int64
	check  harvester.Fingerprint // of the bytes before acked (registry Entry.Tail)
	dirty  bool                  // acked changed since the last sync
	fp     harvester.Fingerprint
	kick   func() // tells the registry writer there is news
	// onAck, if set, is told each new acknowledged offset; a tracker
	// without a registry (reg nil: a disk queue's) records nothing else.
	onAck func(acked int64)
}

// trackers is the set of live trackers, synced into the registry before
// each flush.
type trackers struct {
	mu   sync.Mutex
	set  map[*tracker]struct{}
	keys map[string]int // trackers per registry key
	news chan struct{}  // has a value when some tracker advanced
}

func newTrackers() *trackers {
	return &trackers{set: map[*tracker]struct{}{}, keys: map[string]int{}, news: make(chan struct{}, 1)}
}

// has reports whether a live tracker records the registry entry key.
func (ts *trackers) has(key string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.keys[key] > 0
}

func (ts *trackers) kick() {
	select {
	case ts.news <- struct{}{}:
	default:
	}
}

func (ts *trackers) add(t *tracker) {
	t.kick = ts.kick
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.set[t] = struct{}{}
	ts.keys[t.key]++
}

// remove syncs t a last time and forgets it.
func (ts *trackers) remove(t *tracker) {
	t.sync()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	delete(ts.set, t)
	if ts.keys[t.key]--; ts.keys[t.key] <= 0 {
		delete(ts.keys, t.key)
	}
}

// done forgets t once its file is done with: at once when every event of
// it is acknowledged. One with events still in flight (the agent is
// stopping: its harvester no longer waits for them) stays in the set, so
// that the acknowledgements the output's drain still brings in reach the
// registry at the agent's last flush; forgotten, they were lost and the
// next start shipped those lines again.
func (ts *trackers) done(t *tracker) {
	if t.inFlight() > 0 {
		t.sync()
		return
	}
	ts.remove(t)
}

func (ts *trackers) syncAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for t := range ts.set {
		t.sync()
	}
}

// readEvent is where an event read ends, and the check of the bytes
// before that.
type readEvent struct {
	end   int64
	check harvester.Fingerprint
}

// ackToken acknowledges one event.
type ackToken struct {
	t     *tracker
	epoch uint64
	seq   uint64
	inst  string // the file's instance when the event was read
}

// eventID is the id of the event that ends at end in the file instance
// of tok: the same line read again (after a restart) gets the same id.
func (tok ackToken) eventID(dst []byte, end int64) []byte {
	dst = append(dst, tok.inst...)
	dst = append(dst, '-')
	return strconv.AppendInt(dst, end, 10)
}

// newTracker tracks the file at path from offset. instance is the
// registry's name for this reading of the file ("" when the file is read
// from the start: a new one is drawn).
func newTracker(reg *registry.Registry, key, path string, offset int64, fp, check harvester.Fingerprint, instance string) *tracker {
	fresh := instance == ""
	if fresh {
		instance = newInstance()
	}
	t := &tracker{reg: reg, key: key, path: path, acked: offset, fp: fp, check: check, inst: instance}
	t.fresh.Store(fresh)
	t.record()
	return t
}

// newInstance draws a random instance id: 16 hex digits.
func newInstance() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// add registers an event that ends at end (check: of the bytes before
// it), in reading order.
func (t *tracker) add(end int64, check harvester.Fingerprint) ackToken {
	t.mu.Lock()
	defer t.mu.Unlock()
	seq := t.events.add(readEvent{end: end, check: check})
	return ackToken{t: t, epoch: t.epoch, seq: seq, inst: t.inst}
}

// ack marks the event acknowledged (or deliberately skipped).
func (tok ackToken) ack() {
	t := tok.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok.epoch != t.epoch {
		return
	}
	last, ok := t.events.ack(tok.seq)
	if !ok {
		return
	}
	t.acked, t.check = last.end, last.check
	if t.onAck != nil {
		t.onAck(t.acked)
	}
	t.dirty = true // the registry takes it at its next flush (sync)
	if t.kick != nil {
		t.kick()
	}
}

// reset starts the file over at offset 0 (it was truncated).
func (t *tracker) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.epoch++
	t.events.skip()
	t.acked, t.fp, t.check, t.inst = 0, harvester.Fingerprint{}, harvester.Fingerprint{}, newInstance()
	t.record()
	t.fresh.Store(true)
}

// persistInstance writes the registry if the tracker's instance is new,
// before the first event that carries it is published: events of an
// instance the registry lost (a kill before its next write) would be read
// again under another instance, and so under other ids.
func (t *tracker) persistInstance() error {
	if !t.fresh.Load() {
		return nil
	}
	err := t.reg.Sync()
	t.fresh.Store(false) // tried once: the registry writer keeps trying
	if err != nil {
		return fmt.Errorf("recording the instance of %s: %w", t.path, err)
	}
	return nil
}

func (t *tracker) setFingerprint(fp harvester.Fingerprint) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fp = fp
	t.record()
}

// inFlight is the number of events not yet acknowledged.
func (t *tracker) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.events.inFlight()
}

// sync copies the state to the registry if it changed.
func (t *tracker) sync() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dirty {
		t.record()
	}
}

// record writes the state to the registry; t.mu is held.
func (t *tracker) record() {
	if t.reg == nil {
		return
	}
	t.reg.Set(registry.Entry{
		Key: t.key, Path: t.path, Offset: t.acked, Instance: t.inst,
		FPLen: t.fp.Len, FP: strconv.FormatUint(t.fp.Hash, 16), TailLen: t.check.Len, Tail: tailHex(t.check),
		Updated: time.Now().UTC(),
	})
	t.dirty = false
}

// tailHex is the registry's spelling of a tail check ("" for none).
func tailHex(check harvester.Fingerprint) string {
	if check.Len == 0 {
		return ""
	}
	return strconv.FormatUint(check.Hash, 16)
}
