package wal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// DefaultKeepEntries is how many entries before a snapshot's index
// CreateSnapshot leaves in the MemoryStorage, so that followers a little
// behind catch up from the log instead of needing the snapshot.
const DefaultKeepEntries = 10_000

// ErrClosed is returned by calls on a closed WAL.
var ErrClosed = errors.New("wal: closed")

// maxKeptBuffer: a write buffer grown past this by a huge batch is not kept.
const maxKeptBuffer = 4 << 20

// WAL is the durable log and snapshot store behind a raft.MemoryStorage.
type WAL struct {
	log             *slog.Logger
	logDir, snapDir string
	ms              *raft.MemoryStorage
	loaded          *pb.Snapshot // the snapshot Open loaded
	lazy            lazySnapshot // the data of ms's snapshot when only its file has it
	rush            atomic.Bool  // snapshots being written stop pausing (Rush)

	mu        sync.Mutex
	hs        *pb.HardState // last hard state written
	snapIndex uint64        // index of ms's snapshot
	f         *os.File      // the segment being written (the last one)
	fpath     string
	first     uint64 // first index of f's segment
	off       int64  // where the next record goes in f
	padded    int64  // f holds durable zeros (or records) up to here (pad.go)
	pad       *padding
	padWG     sync.WaitGroup
	noPad     bool   // preallocation failed for this segment
	zeros     []byte // what pad.go writes, never modified
	buf       []byte // reused encoding buffer
	keep      uint64
	// err is sticky: after a failed write the file may end in a partial
	// record, so nothing more may be appended until a reopen truncates it.
	err    error
	closed bool
}

// Open creates logDir and snapDir if missing, loads the newest readable
// snapshot and replays the log after it (see the package doc). log may be
// nil.
func Open(logDir, snapDir string, log *slog.Logger) (*WAL, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "wal")
	for _, dir := range []string{logDir, snapDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("wal: %w", err)
		}
		if err := removeTemps(dir); err != nil {
			return nil, err
		}
	}
	snap, err := loadNewestSnapshot(snapDir, log)
	if err != nil {
		return nil, err
	}
	md := snap.GetMetadata()
	r := &replayer{snapIndex: md.GetIndex(), snapTerm: md.GetTerm()}

	segs, err := listSegments(logDir)
	if err != nil {
		return nil, err
	}
	var lastEnd int64 // where the records of the last segment end
	for i, seg := range segs {
		end, bad, err := scanSegment(seg.path, r)
		if err != nil {
			return nil, err
		}
		lastEnd = end
		if bad == nil {
			continue
		}
		if i != len(segs)-1 {
			return nil, fmt.Errorf("wal: %s is corrupt at offset %d: %w (not the last segment, which alone may end in a torn write); refusing to start: restore this member's data, or remove its log and snapshots to have it catch up from the leader", seg.path, bad.off, bad.reason)
		}
		if !bad.torn {
			return nil, fmt.Errorf("wal: %s is corrupt at offset %d: %w, and %s: not a torn write at the end of the log, and cutting the log there would lose what follows; refusing to start: restore this member's data, or remove its log and snapshots to have it catch up from the leader", seg.path, bad.off, bad.reason, bad.follows)
		}
		if bad.padding {
			log.Debug("trimming the preallocated end of the log", "file", seg.path, "offset", end)
		} else {
			log.Warn("truncating torn write at the end of the log",
				"file", seg.path, "offset", bad.off, "reason", bad.reason.Error())
		}
		if err := os.Truncate(seg.path, end); err != nil {
			return nil, fmt.Errorf("wal: %w", err)
		}
	}
	r.finish(log)

	ms := raft.NewMemoryStorage()
	if !raft.IsEmptySnap(snap) {
		if err := ms.ApplySnapshot(snap); err != nil {
			return nil, fmt.Errorf("wal: apply snapshot: %w", err)
		}
	}
	if err := ms.Append(r.ents); err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	hs := raiseToSnapshot(r.hs, md)
	if hs != nil {
		if last, _ := ms.LastIndex(); hs.GetCommit() > last {
			return nil, fmt.Errorf("wal: hard state commit %d is beyond the last log entry %d: committed entries are lost", hs.GetCommit(), last)
		}
		if err := ms.SetHardState(hs); err != nil {
			return nil, fmt.Errorf("wal: %w", err)
		}
	}
	w := &WAL{
		log: log, logDir: logDir, snapDir: snapDir, ms: ms, loaded: snap,
		lazy: lazySnapshot{dir: snapDir, log: log},
		hs:   hs, snapIndex: md.GetIndex(), keep: DefaultKeepEntries,
	}
	if len(segs) == 0 {
		var marker *pb.SnapshotMetadata
		if !raft.IsEmptySnap(snap) {
			marker = md
		}
		if err := w.startSegment(md.GetIndex()+1, marker, nil); err != nil {
			return nil, err
		}
	} else {
		last := segs[len(segs)-1]
		f, err := os.OpenFile(last.path, os.O_WRONLY, 0)
		if err == nil {
			err = f.Sync() // make a truncation durable
		}
		if err != nil {
			return nil, fmt.Errorf("wal: %w", err)
		}
		w.f, w.fpath, w.first = f, last.path, last.first
		w.off, w.padded = lastEnd, lastEnd
	}
	log.Info("opened", "snapshot_index", md.GetIndex(), "entries", len(r.ents), "segments", max(len(segs), 1))
	return w, nil
}

// loadNewestSnapshot returns the newest snapshot file that reads back
// intact, or an empty snapshot if there is none.
func loadNewestSnapshot(dir string, log *slog.Logger) (*pb.Snapshot, error) {
	snaps, err := listSnapshots(dir)
	if err != nil {
		return nil, err
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		snap, err := readSnapshot(snaps[i])
		if err == nil {
			return snap, nil
		}
		log.Warn("skipping unreadable snapshot", "file", snaps[i].path, "err", err.Error())
	}
	return pb.EnsureSnapshot(nil), nil
}

// raiseToSnapshot returns hs adjusted so that raft accepts it next to a
// snapshot at md: raft requires Commit >= the snapshot index (a crash may
// fall between saving a leader's snapshot and the hard state that commits
// it) and a term no older than the snapshot's. hs is not modified.
func raiseToSnapshot(hs *pb.HardState, md *pb.SnapshotMetadata) *pb.HardState {
	if md.GetIndex() == 0 || (hs.GetCommit() >= md.GetIndex() && hs.GetTerm() >= md.GetTerm()) {
		return hs
	}
	out := &pb.HardState{Term: new(hs.GetTerm()), Vote: new(hs.GetVote()), Commit: new(max(hs.GetCommit(), md.GetIndex()))}
	if hs.GetTerm() < md.GetTerm() {
		// A vote belongs to its term; a newer term starts without one.
		out.Term, out.Vote = new(md.GetTerm()), new(uint64(0))
	}
	return out
}

// Storage returns the Storage to hand to raft.Config.Storage.
func (w *WAL) Storage() *Storage { return &Storage{MemoryStorage: w.ms, lazy: &w.lazy} }

// Snapshot returns the snapshot Open loaded (raft.IsEmptySnap if none), for
// the application to restore its state machine from.
func (w *WAL) Snapshot() *pb.Snapshot { return w.loaded }

// Rush makes snapshots being written (and any later ones) stop pausing
// between pieces: for shutdown, which waits for them.
func (w *WAL) Rush() { w.rush.Store(true) }

// SetKeepEntries sets how many entries before a snapshot's index
// CreateSnapshot keeps in the MemoryStorage (DefaultKeepEntries).
func (w *WAL) SetKeepEntries(n uint64) {
	w.mu.Lock()
	w.keep = n
	w.mu.Unlock()
}

func (w *WAL) usable() error {
	if w.closed {
		return ErrClosed
	}
	return w.err
}

// Save appends ents and then hs (if not empty) to the log in one write,
// fsyncs if mustSync, and then adds them to the MemoryStorage. Call it with
// each Ready's HardState, Entries and MustSync before sending its Messages.
func (w *WAL) Save(hs *pb.HardState, ents []*pb.Entry, mustSync bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	hasHS := !raft.IsEmptyHardState(hs)
	if !hasHS && len(ents) == 0 {
		return nil
	}
	// Entries before the hard state: if a crash tears this batch, the
	// surviving prefix never has a commit index beyond its entries.
	buf, err := w.encode(w.buf[:0], ents, hs)
	if err != nil {
		return err
	}
	if err := w.write(buf, mustSync); err != nil {
		return err
	}
	if err := w.ms.Append(ents); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	if hasHS {
		w.hs = proto.CloneOf(hs)
		if err := w.ms.SetHardState(w.hs); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
	}
	return nil
}

// encode appends entry records for ents and, if hs is not empty, a hard
// state record to buf, keeping buf for reuse.
func (w *WAL) encode(buf []byte, ents []*pb.Entry, hs *pb.HardState) ([]byte, error) {
	var err error
	for _, e := range ents {
		if buf, err = appendRecord(buf, recEntry, e); err != nil {
			return nil, fmt.Errorf("wal: entry %d: %w", e.GetIndex(), err)
		}
	}
	if !raft.IsEmptyHardState(hs) {
		if buf, err = appendRecord(buf, recHardState, hs); err != nil {
			return nil, fmt.Errorf("wal: hard state: %w", err)
		}
	}
	if cap(buf) <= maxKeptBuffer {
		w.buf = buf
	} else {
		w.buf = nil
	}
	return buf, nil
}

// write appends buf to the segment at the write offset, into the zeros
// preallocated ahead of it when there are some (pad.go).
func (w *WAL) write(buf []byte, sync bool) error {
	if w.pad != nil && w.off+int64(len(buf)) > w.pad.start {
		w.finishPad() // rare: the log outran the fill
	}
	if _, err := w.f.WriteAt(buf, w.off); err != nil {
		w.err = fmt.Errorf("wal: write %s: %w", w.fpath, err)
		return w.err
	}
	w.off += int64(len(buf))
	if sync {
		if err := syncData(w.f); err != nil {
			w.err = fmt.Errorf("wal: sync %s: %w", w.fpath, err)
			return w.err
		}
	}
	w.maybePad()
	return nil
}

// SaveSnapshot durably stores a snapshot received from the leader
// (Ready.Snapshot), records it in the log and applies it to the
// MemoryStorage. Call it before Save for the same Ready. An empty snapshot
// is ignored.
func (w *WAL) SaveSnapshot(snap *pb.Snapshot) error {
	if raft.IsEmptySnap(snap) {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	md := snap.GetMetadata()
	if md.GetIndex() <= w.snapIndex {
		return fmt.Errorf("wal: snapshot index %d is not newer than %d: %w", md.GetIndex(), w.snapIndex, raft.ErrSnapOutOfDate)
	}
	if _, err := writeSnapshot(w.snapDir, snap); err != nil {
		return err
	}
	w.hs = raiseToSnapshot(w.hs, md)
	if err := w.startSegment(md.GetIndex()+1, md, nil); err != nil {
		return err
	}
	if err := w.ms.ApplySnapshot(snap); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	if w.hs != nil {
		if err := w.ms.SetHardState(w.hs); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
	}
	w.snapIndex = md.GetIndex()
	return nil
}

// CreateSnapshot is CreateSnapshotFrom with the snapshot's data at hand.
func (w *WAL) CreateSnapshot(index uint64, cs *pb.ConfState, data []byte) error {
	return w.CreateSnapshotFrom(index, cs, func(out io.Writer) error {
		_, err := out.Write(data)
		return err
	})
}

// CreateSnapshotFrom records the application's snapshot of its state at
// the applied index, whose data write streams: it writes the snapshot file
// durably, then (holding the lock) makes the MemoryStorage's snapshot,
// starts a new log segment, and compacts the MemoryStorage, keeping
// SetKeepEntries entries before index. cs may be nil to keep the last
// ConfState. The file is written before the lock is taken, so that Save
// (the Raft loop) is not held up by it: a snapshot file without its
// segment (a crash in between) is harmless, the older segments still hold
// the entries after it. The data stays in the file: the Storage reads it
// back when raft sends the snapshot to a follower.
func (w *WAL) CreateSnapshotFrom(index uint64, cs *pb.ConfState, write func(io.Writer) error) error {
	w.mu.Lock()
	err := w.usable()
	last, _ := w.ms.LastIndex()
	term, terr := w.ms.Term(index)
	if cs == nil {
		if prev, perr := w.ms.Snapshot(); perr == nil {
			cs = prev.GetMetadata().GetConfState()
		}
	}
	w.mu.Unlock()
	if err != nil {
		return err
	}
	if index > last {
		return fmt.Errorf("wal: snapshot index %d is beyond the last entry %d", index, last)
	}
	if terr != nil {
		return fmt.Errorf("wal: snapshot at %d: %w", index, terr)
	}
	md := &pb.SnapshotMetadata{Index: proto.Uint64(index), Term: proto.Uint64(term), ConfState: pb.EnsureConfState(cs)}
	if _, err := writeSnapshotFrom(w.snapDir, md, write, &w.rush); err != nil {
		return err
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	last, _ = w.ms.LastIndex()
	snap, err := w.ms.CreateSnapshot(index, md.GetConfState(), nil)
	if err != nil {
		return fmt.Errorf("wal: snapshot at %d: %w", index, err)
	}
	w.snapIndex = index
	w.lazy.made(md)
	// The new segment repeats the entries after index, so that it and the
	// segments after it hold everything after the snapshot.
	var tail []*pb.Entry
	if index < last {
		if tail, err = w.ms.Entries(index+1, last+1, math.MaxUint64); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
	}
	if err := w.startSegment(index+1, snap.GetMetadata(), tail); err != nil {
		return err
	}
	if index > w.keep {
		compact := index - w.keep
		if first, _ := w.ms.FirstIndex(); compact >= first {
			if err := w.ms.Compact(compact); err != nil {
				return fmt.Errorf("wal: compact to %d: %w", compact, err)
			}
		}
	}
	return nil
}

// startSegment makes a new segment log-first, beginning with a marker (if
// not nil), the current hard state and tail, and makes it the one written.
// The current segment is cut to its records and fsynced first: only the
// last segment may end in a torn write or zeros. If the current segment
// already starts at or after first (a snapshot was re-made after Open fell
// back to an older one), the records are appended to it instead.
func (w *WAL) startSegment(first uint64, marker *pb.SnapshotMetadata, tail []*pb.Entry) error {
	if w.f != nil && first > w.first {
		if err := w.trimPadding(); err != nil {
			w.err = err
			return w.err
		}
	}
	var buf []byte
	var err error
	if marker != nil {
		if buf, err = appendRecord(w.buf[:0], recMarker, marker); err != nil {
			return fmt.Errorf("wal: snapshot marker: %w", err)
		}
	}
	if buf, err = w.encode(buf, tail, w.hs); err != nil {
		return err
	}
	if w.f != nil && first <= w.first {
		return w.write(buf, true)
	}
	path := filepath.Join(w.logDir, segmentName(first))
	if err := writeFileDurably(path, buf); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		w.err = fmt.Errorf("wal: %w", err)
		return w.err
	}
	if w.f != nil {
		if err := w.f.Close(); err != nil {
			w.log.Warn("closing segment", "file", w.fpath, "err", err.Error())
		}
	}
	w.f, w.fpath, w.first = f, path, first
	w.off, w.padded, w.noPad = int64(len(buf)), int64(len(buf)), false
	return nil
}

// Purge keeps the newest retain snapshot files and deletes older ones, and
// deletes the log segments not needed to replay from the oldest one kept.
// retain must be at least 1.
func (w *WAL) Purge(retain int) error {
	if retain < 1 {
		return fmt.Errorf("wal: purge must retain at least one snapshot, not %d", retain)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	snaps, err := listSnapshots(w.snapDir)
	if err != nil || len(snaps) == 0 {
		return err
	}
	cut := max(len(snaps)-retain, 0)
	for _, s := range snaps[:cut] {
		if err := os.Remove(s.path); err != nil {
			return fmt.Errorf("wal: purge: %w", err)
		}
		w.log.Info("purged snapshot", "file", s.path)
	}
	oldest := snaps[cut].index

	segs, err := listSegments(w.logDir)
	if err != nil {
		return err
	}
	// Segment i may go when segment i+1 starts at or before oldest+1: that
	// one (see startSegment) restates the log from its first index on.
	for i := 0; i+1 < len(segs) && segs[i].path != w.fpath && segs[i+1].first <= oldest+1; i++ {
		if err := os.Remove(segs[i].path); err != nil {
			return fmt.Errorf("wal: purge: %w", err)
		}
		w.log.Info("purged log segment", "file", segs[i].path)
	}
	if err := syncDir(w.snapDir); err != nil {
		return err
	}
	return syncDir(w.logDir)
}

// Close fsyncs and closes the segment being written.
func (w *WAL) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	w.lazy.close()
	err := w.trimPadding()
	w.padWG.Wait()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("wal: close %s: %w", w.fpath, cerr)
	}
	return err
}
