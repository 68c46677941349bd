package wal

import (
	"fmt"
	"io"
	"log"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// kvApp is a toy state machine: the list of proposals applied, in order.
type kvApp struct {
	applied uint64
	values  []string
}

func (a *kvApp) snapshot() []byte { return []byte(strings.Join(a.values, "\n")) }

func (a *kvApp) restore(snap *pb.Snapshot) {
	a.applied = snap.GetMetadata().GetIndex()
	a.values = nil
	if len(snap.GetData()) > 0 {
		a.values = strings.Split(string(snap.GetData()), "\n")
	}
}

func newRawNode(t *testing.T, w *WAL, applied uint64) *raft.RawNode {
	t.Helper()
	rn, err := raft.NewRawNode(&raft.Config{
		ID:              1,
		ElectionTick:    10,
		HeartbeatTick:   1,
		Storage:         w.Storage(),
		Applied:         applied,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		Logger:          &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)},
	})
	if err != nil {
		t.Fatalf("NewRawNode: %v", err)
	}
	return rn
}

// drain runs the Ready loop until raft has nothing more to do.
func drain(t *testing.T, rn *raft.RawNode, w *WAL, app *kvApp) {
	t.Helper()
	for rn.HasReady() {
		rd := rn.Ready()
		if err := w.SaveSnapshot(rd.Snapshot); err != nil {
			t.Fatal(err)
		}
		if err := w.Save(rd.HardState, rd.Entries, rd.MustSync); err != nil {
			t.Fatal(err)
		}
		if len(rd.Messages) > 0 {
			t.Fatalf("single node sends messages: %v", rd.Messages)
		}
		for _, e := range rd.CommittedEntries {
			if e.GetIndex() != app.applied+1 {
				t.Fatalf("applying entry %d after %d", e.GetIndex(), app.applied)
			}
			app.applied = e.GetIndex()
			if e.GetType() == pb.EntryNormal && len(e.GetData()) > 0 {
				app.values = append(app.values, string(e.GetData()))
			}
		}
		rn.Advance(rd)
	}
}

func elect(t *testing.T, rn *raft.RawNode, w *WAL, app *kvApp) {
	t.Helper()
	if err := rn.Campaign(); err != nil {
		t.Fatal(err)
	}
	drain(t, rn, w, app)
	if st := rn.BasicStatus(); st.RaftState != raft.StateLeader {
		t.Fatalf("state %v after campaign, want leader", st.RaftState)
	}
}

func propose(t *testing.T, rn *raft.RawNode, w *WAL, app *kvApp, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := rn.Propose(fmt.Appendf(nil, "value %d", i)); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 { // batch some proposals into one Ready
			drain(t, rn, w, app)
		}
	}
	drain(t, rn, w, app)
}

func wantValues(from, n int) []string {
	var out []string
	for i := from; i < from+n; i++ {
		out = append(out, fmt.Sprint("value ", i))
	}
	return out
}

func TestRaftRestart(t *testing.T) {
	d := newDirs(t)
	w := open(t, d)
	// Bootstrap the way raft recommends: a storage that starts after a
	// snapshot holding the initial ConfState.
	boot := &pb.Snapshot{Metadata: &pb.SnapshotMetadata{
		Index: new(uint64(1)), Term: new(uint64(1)), ConfState: &pb.ConfState{Voters: []uint64{1}}}}
	if err := w.SaveSnapshot(boot); err != nil {
		t.Fatal(err)
	}
	app := &kvApp{}
	snap, err := w.Storage().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	app.restore(snap)
	rn := newRawNode(t, w, app.applied)
	elect(t, rn, w, app)
	propose(t, rn, w, app, 0, 60)
	// The application snapshots its state halfway.
	if err := w.CreateSnapshot(app.applied, nil, app.snapshot()); err != nil {
		t.Fatal(err)
	}
	propose(t, rn, w, app, 60, 40)
	if !slices.Equal(app.values, wantValues(0, 100)) {
		t.Fatalf("applied %q", app.values)
	}
	commit := rn.BasicStatus().GetCommit()
	if commit != app.applied {
		t.Fatalf("commit %d, applied %d", commit, app.applied)
	}
	mustClose(t, w)

	// Restart from disk: state machine from the snapshot, the rest from the
	// log.
	w = open(t, d)
	if got := w.Snapshot().GetMetadata().GetIndex(); got < 60 {
		t.Fatalf("loaded snapshot at %d", got)
	}
	app = &kvApp{}
	app.restore(w.Snapshot())
	rn = newRawNode(t, w, app.applied)
	if hs, _, _ := w.Storage().InitialState(); hs.GetCommit() != commit {
		t.Fatalf("recovered commit %d, want %d", hs.GetCommit(), commit)
	}
	drain(t, rn, w, app) // re-applies the committed entries after the snapshot
	if !slices.Equal(app.values, wantValues(0, 100)) || app.applied != commit {
		t.Fatalf("after restart applied %d: %q", app.applied, app.values)
	}
	elect(t, rn, w, app)
	propose(t, rn, w, app, 100, 20)
	if !slices.Equal(app.values, wantValues(0, 120)) {
		t.Fatalf("applied %q", app.values)
	}
	if rn.BasicStatus().GetCommit() <= commit+20 {
		t.Fatalf("commit %d did not advance past %d", rn.BasicStatus().GetCommit(), commit+20)
	}
}
