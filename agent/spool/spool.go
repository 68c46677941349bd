// Package spool is the agent's disk queue (Filebeat's queue.disk) for
// sources that cannot be read again: what a network input accepted is
// appended here before the input reads more, and the input's reader
// ships it from here, so a restart or a kill -9 of the agent loses
// nothing the spool took.
//
// On disk, a folder of segment files named by the position of their first
// byte (20 digits, .seg) holding records, each
//
//	length uint32 (big endian) | crc32c of the payload uint32 | payload
//
// and two small files: instance (a random id given when the folder is
// made: with a record's end position it names the record's event for
// good) and acked (the position below which every record was shipped and
// acknowledged, written atomically by Commit).
//
// Append writes its record, and AppendBatch its records, with one
// write(2) (one per segment) before it returns: a kill of the process
// after that keeps them (the kernel has them); records are not fsynced one
// by one, so a power loss may take the last ones, as
// Filebeat's disk queue between its flushes. Open cuts a torn record off
// the end of the last segment (a kill in the middle of a write) and says
// how many bytes it dropped; a record whose checksum does not match in
// the middle of the queue (the disk changed it) is skipped and counted by
// the reader, and a length that cannot be right (0, or over
// MaxRecordBytes) ends that segment for the reader (what follows it is
// not found again) and, in the last segment, is cut off at Open.
//
// The queue is bounded by Options.MaxBytes of records not yet
// acknowledged (Ack): Append waits while it is full, TryAppendBatch refuses.
// Segments below the committed acknowledged position are removed by
// Commit, so the folder holds at most MaxBytes, plus what was
// acknowledged since the last Commit, plus one segment.
package spool

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Options configure a spool.
type Options struct {
	Dir            string
	MaxBytes       int64 // queue.disk.max_size: bytes of records not yet acknowledged
	SegmentBytes   int64 // a segment is closed once it holds this many bytes
	MaxRecordBytes int   // the largest payload Append takes
}

// Defaults for Options left zero.
const (
	DefaultMaxBytes       = 100 << 20 // Filebeat's queue.disk.max_size default is 10 GB; ours is for one input
	DefaultSegmentBytes   = 4 << 20
	DefaultMaxRecordBytes = 10 << 20 // Filebeat's max_bytes
)

const headerLen = 8

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrTooLarge is returned by Append for a payload over MaxRecordBytes.
var ErrTooLarge = errors.New("spool: record too large")

// Spool is one disk queue, safe for concurrent appends, one reader (Next)
// and acknowledgements from any goroutine.
type Spool struct {
	opts     Options
	instance string

	mu        sync.Mutex
	active    *os.File // the last segment, open for appending
	activeAt  int64    // its base position
	end       int64    // position after the last record
	acked     int64    // below it every record is acknowledged (Ack)
	committed int64    // acked as last written to disk (Commit)
	segments  []int64  // base positions, ascending; the last is active's
	grown     signal   // end or closed changed: what the reader waits for
	freed     signal   // acked or closed changed: what a full queue's appenders wait for
	closed    bool

	wbuf []byte // the record being written, reused (under mu)

	commitMu sync.Mutex // one Commit at a time
	reader   reader
}

// Open opens the spool in o.Dir, creating it if needed. Reading (Next)
// starts at the committed acknowledged position; dropped is how many
// bytes of a torn last record were cut off.
func Open(o Options) (s *Spool, dropped int64, err error) {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	s = &Spool{opts: o, grown: newSignal(), freed: newSignal()}
	if s.instance, err = loadInstance(o.Dir); err != nil {
		return nil, 0, err
	}
	if s.committed, err = loadAcked(o.Dir); err != nil {
		return nil, 0, err
	}
	s.acked = s.committed
	if s.segments, err = listSegments(o.Dir); err != nil {
		return nil, 0, err
	}
	if len(s.segments) == 0 {
		s.segments = []int64{s.committed}
	}
	last := s.segments[len(s.segments)-1]
	size, dropped, err := recoverSegment(s.segPath(last), o.MaxRecordBytes)
	if err != nil {
		return nil, 0, err
	}
	if s.active, err = os.OpenFile(s.segPath(last), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640); err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	s.activeAt, s.end = last, last+size
	if s.committed > s.end || s.committed < s.segments[0] {
		// The acked file and the segments disagree: no segment holds the
		// position. Read what there is rather than nothing.
		s.committed = max(min(s.committed, s.end), s.segments[0])
		s.acked = s.committed
	}
	s.reader = reader{s: s, pos: s.committed}
	if err := s.dropBelow(s.committed); err != nil { // a crash between Commit's two steps
		return nil, 0, err
	}
	return s, dropped, nil
}

// Instance is the spool's id, given when its folder was made.
func (s *Spool) Instance() string { return s.instance }

func (s *Spool) segPath(base int64) string {
	return filepath.Join(s.opts.Dir, fmt.Sprintf("%020d.seg", base))
}

// ErrEmpty is returned by Append for an empty payload: a record of zero
// bytes would read like the zeros a crash leaves at a file's end.
var ErrEmpty = errors.New("spool: empty record")

// ErrFull is returned by Append when done closed while the queue was full.
var ErrFull = errors.New("spool: full")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("spool: closed")

func (s *Spool) rollLocked() error {
	f, err := os.OpenFile(s.segPath(s.end), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	_ = s.active.Close()
	s.active, s.activeAt = f, s.end
	s.segments = append(s.segments, s.end)
	return nil
}

// signal is a channel closed and replaced at a change, if somebody took
// it to wait on since it was made: nobody waits on an unwatched channel,
// and keeping it spares a channel per record while the reader is behind.
// The reader and the appenders wait on signals of their own, so that an
// acknowledgement does not wake the reader, nor a record an appender.
// Used under the spool's mu.
type signal struct {
	ch      chan struct{}
	watched bool
}

func newSignal() signal { return signal{ch: make(chan struct{})} }

// watch returns the channel to wait on; with wait, the next wake closes
// it.
func (g *signal) watch(wait bool) <-chan struct{} {
	g.watched = g.watched || wait
	return g.ch
}

func (g *signal) wake() {
	if !g.watched {
		return
	}
	g.watched = false
	close(g.ch)
	g.ch = make(chan struct{})
}

// Ack records that every record ending at or below pos was shipped and
// acknowledged; the caller acknowledges in order (a prefix).
func (s *Spool) Ack(pos int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos > s.acked && pos <= s.end {
		s.acked = pos
		s.freed.wake()
	}
}

// Stats returns the bytes not yet acknowledged and the end position.
func (s *Spool) Stats() (pending, end int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.end - s.acked, s.end
}

// Commit writes the acknowledged position to disk (atomically) and then
// removes the segments wholly below it.
func (s *Spool) Commit() error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.Lock()
	acked := s.acked
	s.mu.Unlock()
	if acked == s.committed {
		return nil
	}
	if err := writeAtomic(filepath.Join(s.opts.Dir, "acked"), []byte(strconv.FormatInt(acked, 10)+"\n")); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.committed = acked
	return s.dropBelow(acked)
}

// dropBelow removes the segments wholly below pos (never the active one).
func (s *Spool) dropBelow(pos int64) error {
	s.mu.Lock()
	var drop []int64
	for len(s.segments) > 1 && s.segments[1] <= pos {
		drop = append(drop, s.segments[0])
		s.segments = s.segments[1:]
	}
	s.mu.Unlock()
	for _, base := range drop {
		if err := os.Remove(s.segPath(base)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("spool: %w", err)
		}
	}
	return nil
}

// Close closes the files; the reader's Next returns ErrClosed.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.grown.wake()
	s.freed.wake()
	return s.active.Close() // the reader closes its own file (Next)
}

func putUint32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

func getUint32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func listSegments(dir string) ([]int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var out []int64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".seg")
		if !ok || e.IsDir() {
			continue
		}
		base, err := strconv.ParseInt(name, 10, 64)
		if err != nil || base < 0 {
			return nil, fmt.Errorf("spool: %s: not a segment this agent wrote", filepath.Join(dir, e.Name()))
		}
		out = append(out, base)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func loadInstance(dir string) (string, error) {
	path := filepath.Join(dir, "instance")
	b, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if _, err := hex.DecodeString(id); err != nil || len(id) != 16 {
			return "", fmt.Errorf("spool: %s: %q is not an instance id this agent wrote", path, id)
		}
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("spool: %w", err)
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	id := hex.EncodeToString(r[:])
	if err := writeAtomic(path, []byte(id+"\n")); err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	return id, nil
}

func loadAcked(dir string) (int64, error) {
	path := filepath.Join(dir, "acked")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("spool: %w", err)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("spool: %s: %q is not a position", path, strings.TrimSpace(string(b)))
	}
	return v, nil
}
