package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

func mkEnts(first, n, term uint64) []*pb.Entry {
	ents := make([]*pb.Entry, n)
	for i := range ents {
		idx := first + uint64(i)
		ents[i] = &pb.Entry{Term: new(term), Index: new(idx), Type: pb.EntryNormal.Enum(), Data: fmt.Appendf(nil, "entry %d term %d", idx, term)}
	}
	return ents
}

func mkHS(term, vote, commit uint64) *pb.HardState {
	return &pb.HardState{Term: new(term), Vote: new(vote), Commit: new(commit)}
}

type dirs struct{ log, snap string }

func newDirs(t *testing.T) dirs {
	d := t.TempDir()
	return dirs{log: filepath.Join(d, "log"), snap: filepath.Join(d, "snap")}
}

func open(t *testing.T, d dirs) *WAL {
	t.Helper()
	w, err := Open(d.log, d.snap, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func mustSave(t *testing.T, w *WAL, hs *pb.HardState, ents []*pb.Entry, sync bool) {
	t.Helper()
	if err := w.Save(hs, ents, sync); err != nil {
		t.Fatalf("Save: %v", err)
	}
}

func mustClose(t *testing.T, w *WAL) {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// checkLog asserts that w's storage holds exactly the entries first..last
// and that entry i has term termOf(i) and the data mkEnts gives it.
func checkLog(t *testing.T, w *WAL, first, last uint64, termOf func(uint64) uint64) {
	t.Helper()
	ms := w.Storage()
	fi, _ := ms.FirstIndex()
	li, _ := ms.LastIndex()
	if fi != first || li != last {
		t.Fatalf("log is [%d, %d], want [%d, %d]", fi, li, first, last)
	}
	if last < first {
		return
	}
	ents, err := ms.Entries(first, last+1, 1<<62)
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	for i, e := range ents {
		idx := first + uint64(i)
		want := mkEnts(idx, 1, termOf(idx))[0]
		if !proto.Equal(e, want) {
			t.Fatalf("entry %d = %v, want %v", idx, e, want)
		}
	}
}

func term1(uint64) uint64 { return 1 }

func checkHS(t *testing.T, w *WAL, want *pb.HardState) {
	t.Helper()
	hs, _, _ := w.Storage().InitialState()
	if !proto.Equal(hs, want) {
		t.Fatalf("hard state %v, want %v", hs, want)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, batch := range []uint64{1, 7, 100, 1000} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			d := newDirs(t)
			w := open(t, d)
			var hs *pb.HardState
			for first := uint64(1); first <= 1000; first += batch {
				n := min(batch, 1001-first)
				hs = mkHS(first/100+1, 1, first-1)
				mustSave(t, w, hs, mkEnts(first, n, 1), first%2 == 0)
			}
			mustSave(t, w, nil, nil, true) // nothing to do
			mustClose(t, w)

			w = open(t, d)
			checkLog(t, w, 1, 1000, term1)
			checkHS(t, w, hs)
			if !proto.Equal(w.Snapshot(), pb.EnsureSnapshot(nil)) {
				t.Fatalf("snapshot %v, want empty", w.Snapshot())
			}
		})
	}
}

func TestConflictOverwrite(t *testing.T) {
	d := newDirs(t)
	w := open(t, d)
	mustSave(t, w, mkHS(1, 1, 5), mkEnts(1, 10, 1), true)
	mustSave(t, w, mkHS(2, 2, 7), mkEnts(8, 5, 2), true)
	termOf := func(i uint64) uint64 {
		if i >= 8 {
			return 2
		}
		return 1
	}
	checkLog(t, w, 1, 12, termOf)
	mustClose(t, w)

	w = open(t, d)
	checkLog(t, w, 1, 12, termOf)
	checkHS(t, w, mkHS(2, 2, 7))
	if _, err := w.Storage().Term(13); err == nil {
		t.Fatal("entry 13 exists")
	}
	// A conflict that shortens the log: 9..10 at term 3 drops 11..12.
	mustSave(t, w, nil, mkEnts(9, 2, 3), true)
	mustClose(t, w)
	w = open(t, d)
	checkLog(t, w, 1, 10, func(i uint64) uint64 {
		return termOf(i) + min(i/9, 1)
	})
}

func copyDirs(t *testing.T, src dirs) dirs {
	t.Helper()
	dst := newDirs(t)
	for _, p := range [][2]string{{src.log, dst.log}, {src.snap, dst.snap}} {
		if err := os.CopyFS(p[1], os.DirFS(p[0])); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func lastSegment(t *testing.T, d dirs) string {
	t.Helper()
	segs, err := listSegments(d.log)
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segments: %v", err)
	}
	return segs[len(segs)-1].path
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestTornTail(t *testing.T) {
	base := newDirs(t)
	w := open(t, base)
	mustSave(t, w, mkHS(1, 1, 5), mkEnts(1, 10, 1), true)
	mustSave(t, w, nil, mkEnts(11, 2, 1), true)
	mustClose(t, w)
	seg := lastSegment(t, base)
	size := fileSize(t, seg)
	recLen := int64(len(mustRecord(t, mkEnts(12, 1, 1)[0])))
	start := size - recLen

	// Every cut inside the last record, and garbage at the end.
	type damage struct {
		name string
		do   func(t *testing.T, path string)
	}
	var cases []damage
	for cut := start; cut < size; cut++ {
		cases = append(cases, damage{fmt.Sprintf("cut=%d", cut-start), func(t *testing.T, path string) {
			if err := os.Truncate(path, cut); err != nil {
				t.Fatal(err)
			}
		}})
	}
	for _, off := range []int64{start, start + 4, start + 9, size - 1} {
		cases = append(cases, damage{fmt.Sprintf("flip=%d", off-start), func(t *testing.T, path string) {
			flipByte(t, path, off)
		}})
	}
	cases = append(cases, damage{"zeros", func(t *testing.T, path string) {
		if err := os.Truncate(path, start); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, start+4096); err != nil {
			t.Fatal(err)
		}
	}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := copyDirs(t, base)
			c.do(t, lastSegment(t, d))
			w := open(t, d)
			checkLog(t, w, 1, 11, term1)
			checkHS(t, w, mkHS(1, 1, 5))
			if got := fileSize(t, lastSegment(t, d)); got != start {
				t.Fatalf("segment is %d bytes after recovery, want %d", got, start)
			}
			mustSave(t, w, mkHS(1, 1, 12), mkEnts(12, 3, 1), true)
			mustClose(t, w)
			w = open(t, d)
			checkLog(t, w, 1, 14, term1)
			checkHS(t, w, mkHS(1, 1, 12))
		})
	}
}

func mustRecord(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := appendRecord(nil, recEntry, m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCorruptionIsAnError(t *testing.T) {
	base := newDirs(t)
	w := open(t, base)
	w.SetKeepEntries(0)
	mustSave(t, w, mkHS(1, 1, 20), mkEnts(1, 20, 1), true)
	if err := w.CreateSnapshot(10, nil, []byte("state")); err != nil {
		t.Fatal(err)
	}
	mustSave(t, w, mkHS(1, 1, 30), mkEnts(21, 10, 1), true)
	mustClose(t, w)
	segs, _ := listSegments(base.log)
	if len(segs) != 2 {
		t.Fatalf("%d segments, want 2", len(segs))
	}
	for _, c := range []struct {
		name string
		seg  int
		off  func(size int64) int64
	}{
		{"earlier segment, middle", 0, func(size int64) int64 { return size / 2 }},
		{"earlier segment, last record", 0, func(size int64) int64 { return size - 1 }},
		{"last segment, not last record", 1, func(int64) int64 { return headerSize + 2 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := copyDirs(t, base)
			path := filepath.Join(d.log, filepath.Base(segs[c.seg].path))
			flipByte(t, path, c.off(fileSize(t, path)))
			_, err := Open(d.log, d.snap, nil)
			if err == nil || !strings.Contains(err.Error(), filepath.Base(path)) || !strings.Contains(err.Error(), "offset") {
				t.Fatalf("Open: %v, want an error naming %s and an offset", err, filepath.Base(path))
			}
		})
	}
}

func TestCreateSnapshot(t *testing.T) {
	d := newDirs(t)
	w := open(t, d)
	w.SetKeepEntries(100)
	mustSave(t, w, mkHS(1, 1, 1000), mkEnts(1, 1000, 1), true)
	cs := &pb.ConfState{Voters: []uint64{1, 2, 3}}
	if err := w.CreateSnapshot(500, cs, []byte("state at 500")); err != nil {
		t.Fatal(err)
	}
	checkLog(t, w, 401, 1000, term1) // compacted, keeping 100 entries
	mustSave(t, w, mkHS(2, 1, 1050), mkEnts(1001, 100, 2), false)
	termOf := func(i uint64) uint64 { return 1 + i/1001 }
	mustClose(t, w)

	w = open(t, d)
	snap := w.Snapshot()
	if md := snap.GetMetadata(); md.GetIndex() != 500 || md.GetTerm() != 1 || string(snap.GetData()) != "state at 500" ||
		!proto.Equal(md.GetConfState(), pb.EnsureConfState(cs)) {
		t.Fatalf("loaded snapshot %v", snap)
	}
	checkLog(t, w, 501, 1100, termOf)
	checkHS(t, w, mkHS(2, 1, 1050))
	if err := w.CreateSnapshot(400, nil, nil); err == nil {
		t.Fatal("CreateSnapshot below the current snapshot succeeded")
	}
	if err := w.CreateSnapshot(2000, nil, nil); err == nil {
		t.Fatal("CreateSnapshot beyond the log succeeded")
	}
}

func TestPurgeAndFallback(t *testing.T) {
	base := newDirs(t)
	w := open(t, base)
	w.SetKeepEntries(50)
	for i := uint64(1); i <= 5; i++ {
		mustSave(t, w, mkHS(1, 1, 200*i), mkEnts(200*(i-1)+1, 200, 1), true)
		if err := w.CreateSnapshot(200*i, nil, fmt.Appendf(nil, "state %d", 200*i)); err != nil {
			t.Fatal(err)
		}
	}
	mustSave(t, w, mkHS(1, 1, 1050), mkEnts(1001, 100, 1), true)
	if err := w.Purge(0); err == nil {
		t.Fatal("Purge(0) succeeded")
	}
	if err := w.Purge(3); err != nil {
		t.Fatal(err)
	}
	mustSave(t, w, mkHS(1, 1, 1100), mkEnts(1101, 10, 1), true) // still writable
	mustClose(t, w)

	names := func(dir string) []string {
		des, _ := os.ReadDir(dir)
		var out []string
		for _, de := range des {
			out = append(out, de.Name())
		}
		return out
	}
	wantSnaps := []string{snapName(1, 600), snapName(1, 800), snapName(1, 1000)}
	if got := names(base.snap); fmt.Sprint(got) != fmt.Sprint(wantSnaps) {
		t.Fatalf("snapshots after purge: %v, want %v", got, wantSnaps)
	}
	wantSegs := []string{segmentName(601), segmentName(801), segmentName(1001)}
	if got := names(base.log); fmt.Sprint(got) != fmt.Sprint(wantSegs) {
		t.Fatalf("segments after purge: %v, want %v", got, wantSegs)
	}

	for _, c := range []struct {
		corrupt  []uint64 // snapshot indexes to damage
		wantSnap uint64   // 0: Open must fail
	}{
		{nil, 1000},
		{[]uint64{1000}, 800},
		{[]uint64{1000, 800}, 600},
		{[]uint64{1000, 800, 600}, 0},
	} {
		t.Run(fmt.Sprint("corrupt=", c.corrupt), func(t *testing.T) {
			d := copyDirs(t, base)
			for _, idx := range c.corrupt {
				p := filepath.Join(d.snap, snapName(1, idx))
				flipByte(t, p, fileSize(t, p)-1)
			}
			if c.wantSnap == 0 {
				if _, err := Open(d.log, d.snap, nil); err == nil {
					t.Fatal("Open succeeded without a usable snapshot")
				}
				return
			}
			w := open(t, d)
			snap := w.Snapshot()
			if snap.GetMetadata().GetIndex() != c.wantSnap || string(snap.GetData()) != fmt.Sprint("state ", c.wantSnap) {
				t.Fatalf("loaded snapshot %v, want index %d", snap.GetMetadata(), c.wantSnap)
			}
			checkLog(t, w, c.wantSnap+1, 1110, term1)
			checkHS(t, w, mkHS(1, 1, 1100))
		})
	}
}

func TestSaveSnapshot(t *testing.T) {
	d := newDirs(t)
	w := open(t, d)
	// A follower far behind with a diverged tail receives a snapshot.
	mustSave(t, w, mkHS(1, 0, 30), mkEnts(1, 50, 1), true)
	snap := &pb.Snapshot{Data: []byte("leader state"), Metadata: &pb.SnapshotMetadata{
		Index: new(uint64(100)), Term: new(uint64(3)), ConfState: &pb.ConfState{Voters: []uint64{1, 2, 3}}}}
	if err := w.SaveSnapshot(snap); err != nil {
		t.Fatal(err)
	}
	if err := w.SaveSnapshot(snap); !errors.Is(err, raft.ErrSnapOutOfDate) {
		t.Fatalf("saving the same snapshot again: %v", err)
	}
	mustSave(t, w, mkHS(3, 2, 105), mkEnts(101, 10, 3), true)
	mustClose(t, w)

	w = open(t, d)
	if got := w.Snapshot(); !proto.Equal(got, pb.EnsureSnapshot(snap)) {
		t.Fatalf("snapshot %v, want %v", got, snap)
	}
	checkLog(t, w, 101, 110, func(uint64) uint64 { return 3 })
	checkHS(t, w, mkHS(3, 2, 105))
}

// A crash after a leader's snapshot file is written but before its marker:
// the log's own entries after the snapshot index belong to a replaced
// history and must not be replayed, and the hard state must not be older
// than the snapshot.
func TestSnapshotWithoutMarker(t *testing.T) {
	d := newDirs(t)
	w := open(t, d)
	mustSave(t, w, mkHS(1, 1, 100), mkEnts(1, 200, 1), true)
	mustClose(t, w)
	snap := &pb.Snapshot{Data: []byte("x"), Metadata: &pb.SnapshotMetadata{Index: new(uint64(150)), Term: new(uint64(2))}}
	if _, err := writeSnapshot(d.snap, snap); err != nil {
		t.Fatal(err)
	}
	w = open(t, d)
	checkLog(t, w, 151, 150, nil)
	checkHS(t, w, mkHS(2, 0, 150))
}

func TestClosed(t *testing.T) {
	w := open(t, newDirs(t))
	mustClose(t, w)
	for name, err := range map[string]error{
		"Save":           w.Save(nil, mkEnts(1, 1, 1), true),
		"CreateSnapshot": w.CreateSnapshot(1, nil, nil),
		"Purge":          w.Purge(3),
		"Close":          w.Close(),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func FuzzOpenSegment(f *testing.F) {
	var seed []byte
	for _, e := range mkEnts(1, 3, 1) {
		seed, _ = appendRecord(seed, recEntry, e)
	}
	seed, _ = appendRecord(seed, recHardState, mkHS(1, 1, 2))
	f.Add(seed)
	f.Add(seed[:len(seed)-3])
	f.Fuzz(func(t *testing.T, data []byte) {
		d := newDirs(t)
		if err := os.MkdirAll(d.log, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d.log, segmentName(1)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := Open(d.log, d.snap, nil)
		if err != nil {
			return
		}
		defer w.Close()
		li, _ := w.Storage().LastIndex()
		if err := w.Save(nil, mkEnts(li+1, 1, 1<<40), true); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCorruptRecordMidLogRefused: the rule for every bad record is that
// only zeros may follow a torn tail. A record in the middle of the last
// segment (entry 5 of 100) with a corrupt header — a length of zero,
// above MaxRecordSize, or running past the end of the file — is refused
// exactly as a bad checksum there is, rather than taken for a torn tail
// and the log cut to 4 entries; the segment is left as it was.
func TestCorruptRecordMidLogRefused(t *testing.T) {
	base := newDirs(t)
	w := open(t, base)
	mustSave(t, w, mkHS(1, 1, 100), mkEnts(1, 100, 1), true)
	mustClose(t, w)
	seg := lastSegment(t, base)
	size := fileSize(t, seg)
	var off int64 // of entry 5's record
	for _, e := range mkEnts(1, 4, 1) {
		off += int64(len(mustRecord(t, e)))
	}
	setLen := func(n uint32) func(b []byte) {
		return func(b []byte) { binary.LittleEndian.PutUint32(b[off:], n) }
	}
	for _, c := range []struct {
		name   string
		damage func(b []byte)
	}{
		{"length above the limit", setLen(0xffffffff)},
		{"length zero", setLen(0)},
		{"length past the end of the file", setLen(uint32(size - off))},
		{"checksum", func(b []byte) { b[off+4] ^= 0xff }},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := copyDirs(t, base)
			path := lastSegment(t, d)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c.damage(b)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			w, err := Open(d.log, d.snap, nil)
			if err == nil {
				defer w.Close()
				li, _ := w.Storage().LastIndex()
				t.Fatalf("Open accepted the log, cut to entry %d; want it refused", li)
			}
			for _, want := range []string{filepath.Base(path), fmt.Sprintf("offset %d", off), "refusing to start"} {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("Open: %v; want it to say %q", err, want)
				}
			}
			if got := fileSize(t, path); got != size {
				t.Fatalf("segment is %d bytes after the refused Open, want %d", got, size)
			}
		})
	}
}
