package wal

import (
	"log/slog"
	"path/filepath"
	"sync"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Storage is the raft.Storage of a WAL: its MemoryStorage, except that the
// data of a snapshot made by CreateSnapshotFrom stays in the snapshot file
// rather than in memory. Raft asks for it only to send it to a follower
// that is too far behind for the log; Snapshot then reads the file in the
// background and answers raft.ErrSnapshotTemporarilyUnavailable meanwhile
// (raft tries again at its next heartbeat).
type Storage struct {
	*raft.MemoryStorage
	lazy *lazySnapshot
}

// Snapshot returns the newest snapshot with its data.
func (s *Storage) Snapshot() (*pb.Snapshot, error) {
	snap, err := s.MemoryStorage.Snapshot()
	if err != nil {
		return snap, err
	}
	return s.lazy.get(snap)
}

// lazySnapshot reads back, once, the data of the snapshot whose file alone
// holds it. Its own lock, not the WAL's: raft's goroutine calls get, and
// must not wait for a log write.
type lazySnapshot struct {
	dir string
	log *slog.Logger

	mu      sync.Mutex
	md      *pb.SnapshotMetadata // of the snapshot whose data is only in its file; nil if none
	data    *pb.Snapshot         // that snapshot, read back
	loading bool
	closed  bool
	wg      sync.WaitGroup
}

// made records that the MemoryStorage's snapshot is now md, without data.
func (l *lazySnapshot) made(md *pb.SnapshotMetadata) {
	l.mu.Lock()
	l.md, l.data = md, nil
	l.mu.Unlock()
}

// get returns snap with its data: snap itself unless its data is only in
// its file; the file's contents once read; or, until then,
// raft.ErrSnapshotTemporarilyUnavailable (a read failure is logged and
// tried again at the next call: raft panics on any other error).
func (l *lazySnapshot) get(snap *pb.Snapshot) (*pb.Snapshot, error) {
	md := snap.GetMetadata()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.md.GetIndex() == 0 || md.GetIndex() != l.md.GetIndex() || md.GetTerm() != l.md.GetTerm() {
		return snap, nil
	}
	if l.data != nil {
		return l.data, nil
	}
	if !l.loading && !l.closed {
		l.loading = true
		l.wg.Add(1)
		go func() { // owned by the WAL: Close waits for it
			defer l.wg.Done()
			l.load(md)
		}()
	}
	return nil, raft.ErrSnapshotTemporarilyUnavailable
}

func (l *lazySnapshot) load(md *pb.SnapshotMetadata) {
	sf := snapFile{path: filepath.Join(l.dir, snapName(md.GetTerm(), md.GetIndex())), term: md.GetTerm(), index: md.GetIndex()}
	snap, err := readSnapshot(sf)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loading = false
	if err != nil {
		l.log.Warn("reading a snapshot to send to a follower", "file", sf.path, "err", err.Error())
		return
	}
	if l.md.GetIndex() == md.GetIndex() && l.md.GetTerm() == md.GetTerm() {
		l.data = snap
	}
}

// close waits for a read under way; no other starts.
func (l *lazySnapshot) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.wg.Wait()
}
