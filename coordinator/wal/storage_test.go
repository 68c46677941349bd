package wal

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// bigState is more than two writeback chunks, so that a streamed snapshot
// is written back in pieces.
func bigState() []byte {
	b := make([]byte, 2*writebackChunk+12345)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// TestStreamedSnapshot writes a snapshot in small pieces: the file reads
// back whole after a reopen, and the Storage reads it from the file when
// raft asks for it — first answering that it is temporarily unavailable,
// as raft expects, never holding it in memory before.
func TestStreamedSnapshot(t *testing.T) {
	d := newDirs(t)
	w := open(t, d)
	mustSave(t, w, mkHS(1, 1, 100), mkEnts(1, 100, 1), true)
	state := bigState()
	cs := &pb.ConfState{Voters: []uint64{1, 2, 3}}
	err := w.CreateSnapshotFrom(60, cs, func(out io.Writer) error {
		for rest := state; len(rest) > 0; {
			n := min(len(rest), 1000)
			if _, err := out.Write(rest[:n]); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ms, _ := w.ms.Snapshot(); len(ms.GetData()) != 0 || ms.GetMetadata().GetIndex() != 60 {
		t.Fatalf("memory storage holds snapshot %d with %d bytes, want 60 with none", ms.GetMetadata().GetIndex(), len(ms.GetData()))
	}
	st := w.Storage()
	if _, err := st.Snapshot(); !errors.Is(err, raft.ErrSnapshotTemporarilyUnavailable) {
		t.Fatalf("first Snapshot: %v, want ErrSnapshotTemporarilyUnavailable", err)
	}
	var snap *pb.Snapshot
	deadline := time.Now().Add(10 * time.Second)
	for snap == nil {
		s, err := st.Snapshot()
		switch {
		case err == nil:
			snap = s
		case !errors.Is(err, raft.ErrSnapshotTemporarilyUnavailable):
			t.Fatal(err)
		case time.Now().After(deadline):
			t.Fatal("the snapshot was never read back")
		default:
			time.Sleep(time.Millisecond)
		}
	}
	if md := snap.GetMetadata(); md.GetIndex() != 60 || md.GetTerm() != 1 || len(md.GetConfState().GetVoters()) != 3 || !bytes.Equal(snap.GetData(), state) {
		t.Fatalf("Storage snapshot %d/%d voters %v, %d bytes", md.GetIndex(), md.GetTerm(), md.GetConfState().GetVoters(), len(snap.GetData()))
	}
	mustClose(t, w)

	w = open(t, d)
	defer mustClose(t, w)
	if got := w.Snapshot(); got.GetMetadata().GetIndex() != 60 || !bytes.Equal(got.GetData(), state) {
		t.Fatalf("reopened: snapshot %d with %d bytes", got.GetMetadata().GetIndex(), len(got.GetData()))
	}
	checkLog(t, w, 61, 100, term1)
}

// TestStreamedSnapshotFailure: a snapshot whose writer fails leaves no
// file and changes nothing.
func TestStreamedSnapshotFailure(t *testing.T) {
	d := newDirs(t)
	w := open(t, d)
	defer mustClose(t, w)
	mustSave(t, w, mkHS(1, 1, 10), mkEnts(1, 10, 1), true)
	boom := errors.New("boom")
	if err := w.CreateSnapshotFrom(5, nil, func(out io.Writer) error {
		_, _ = out.Write(bigState())
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("CreateSnapshotFrom: %v, want boom", err)
	}
	files, _ := filepath.Glob(filepath.Join(d.snap, "*"))
	if len(files) != 0 {
		t.Fatalf("files left: %v", files)
	}
	if ms, _ := w.ms.Snapshot(); ms.GetMetadata().GetIndex() != 0 {
		t.Fatalf("memory storage snapshot at %d", ms.GetMetadata().GetIndex())
	}
}

func FuzzReadSnapshot(f *testing.F) {
	d := f.TempDir()
	for i, write := range []func(dir string) (string, error){
		func(dir string) (string, error) {
			return writeSnapshot(dir, &pb.Snapshot{Data: []byte("state"), Metadata: &pb.SnapshotMetadata{Index: new(uint64(7)), Term: new(uint64(2))}})
		},
		func(dir string) (string, error) {
			return writeSnapshotFrom(dir, &pb.SnapshotMetadata{Index: new(uint64(7)), Term: new(uint64(2))}, func(w io.Writer) error {
				_, err := w.Write([]byte("state"))
				return err
			}, new(atomic.Bool))
		},
	} {
		dir := filepath.Join(d, string(rune('a'+i)))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			f.Fatal(err)
		}
		path, err := write(dir)
		if err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), snapName(2, 7))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		snap, err := readSnapshot(snapFile{path: path, term: 2, index: 7})
		if err == nil && (snap.GetMetadata().GetIndex() != 7 || snap.GetMetadata().GetTerm() != 2) {
			t.Fatalf("read a snapshot at %d/%d from a file named 7/2", snap.GetMetadata().GetIndex(), snap.GetMetadata().GetTerm())
		}
	})
}
