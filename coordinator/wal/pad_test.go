package wal

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
)

// padded saves entries 1..n (synced) and waits for the zero fill ahead of
// them, leaving the WAL open as a crash would; it returns where the records
// end in the segment.
func padded(t *testing.T, d dirs, n uint64) (w *WAL, recordsEnd int64) {
	t.Helper()
	w = open(t, d)
	mustSave(t, w, mkHS(1, 1, n), mkEnts(1, n, 1), true)
	w.mu.Lock()
	w.finishPad()
	end, padded := w.off, w.padded
	w.mu.Unlock()
	if padded < end+minPadChunk/2 {
		t.Fatalf("segment is filled to %d, records end at %d: no preallocation", padded, end)
	}
	if size := fileSize(t, lastSegment(t, d)); size != padded {
		t.Fatalf("segment is %d bytes, want %d", size, padded)
	}
	return w, end
}

// TestPreallocatedTail: a segment left with zeros after its records (a
// crash, or kill -9, while open) replays every record, without a warning,
// and is trimmed to them; appending then continues.
func TestPreallocatedTail(t *testing.T) {
	base := newDirs(t)
	_, end := padded(t, base, 20)
	d := copyDirs(t, base)
	var logs bytes.Buffer
	w, err := Open(d.log, d.snap, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	checkLog(t, w, 1, 20, term1)
	checkHS(t, w, mkHS(1, 1, 20))
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("warnings on a clean preallocated tail:\n%s", logs.String())
	}
	if got := fileSize(t, lastSegment(t, d)); got != end {
		t.Errorf("segment is %d bytes after Open, want %d", got, end)
	}
	mustSave(t, w, mkHS(1, 1, 25), mkEnts(21, 5, 1), true)
	mustClose(t, w)
	if got := fileSize(t, lastSegment(t, d)); got != end+recordsSize(t, 21, 5)+hsSize(t, mkHS(1, 1, 25)) {
		t.Errorf("segment is %d bytes after Close: the padding was not trimmed", got)
	}
	w = open(t, d)
	checkLog(t, w, 1, 25, term1)
	checkHS(t, w, mkHS(1, 1, 25))
}

// TestTornRecordBeforeZeros: the last record damaged and zeros after it is
// a torn write; damage before another record is corruption.
func TestTornRecordBeforeZeros(t *testing.T) {
	base := newDirs(t)
	_, end := padded(t, base, 20)
	hs := hsSize(t, mkHS(1, 1, 20))
	last := end - hs - recordsSize(t, 20, 1) // the last entry's record
	t.Run("last", func(t *testing.T) {
		d := copyDirs(t, base)
		flipByte(t, lastSegment(t, d), end-1) // in the hard state record
		w := open(t, d)
		checkLog(t, w, 1, 20, term1)
		if got := fileSize(t, lastSegment(t, d)); got != end-hs {
			t.Fatalf("segment is %d bytes, want %d", got, end-hs)
		}
	})
	t.Run("not last", func(t *testing.T) {
		d := copyDirs(t, base)
		flipByte(t, lastSegment(t, d), last+headerSize+2)
		if _, err := Open(d.log, d.snap, nil); err == nil || !strings.Contains(err.Error(), "corrupt") {
			t.Fatalf("Open: %v, want corruption", err)
		}
	})
}

// TestRollTrimsPadding: a segment is cut to its records before the next
// one starts, so that only the last segment has zeros to skip.
func TestRollTrimsPadding(t *testing.T) {
	d := newDirs(t)
	w, end := padded(t, d, 20)
	first := lastSegment(t, d)
	if err := w.CreateSnapshot(10, nil, []byte("state")); err != nil {
		t.Fatal(err)
	}
	if lastSegment(t, d) == first {
		t.Fatal("CreateSnapshot started no segment")
	}
	if got := fileSize(t, first); got != end {
		t.Fatalf("earlier segment is %d bytes, want its records' %d", got, end)
	}
	mustSave(t, w, mkHS(1, 1, 22), mkEnts(21, 2, 1), true)
	mustClose(t, w)
	// Open reads the earlier segment too (it replays from any retained
	// snapshot): it must not fail on it.
	if err := os.Remove(filepath.Join(d.snap, snapName(1, 10))); err != nil {
		t.Fatal(err)
	}
	w = open(t, d)
	checkLog(t, w, 1, 22, term1)
}

func recordsSize(t *testing.T, first, n uint64) int64 {
	t.Helper()
	var size int64
	for _, e := range mkEnts(first, n, 1) {
		size += int64(len(mustRecord(t, e)))
	}
	return size
}

func hsSize(t *testing.T, hs *pb.HardState) int64 {
	t.Helper()
	b, err := appendRecord(nil, recHardState, hs)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(b))
}
