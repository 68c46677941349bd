package segment

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TestAdvanceLogStart: the log start moves to an offset inside a
// segment, the segments wholly below go, reads below it are out of range,
// an offset past the high watermark is refused, and after a reopen the
// start is where it was moved; a restart below it forgets the checkpoint.
func TestAdvanceLogStart(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 1024}
	l := openLog(t, dir, opts)
	for i := 0; i < 20; i++ { // 20 batches of 2 records, ~2 batches a segment
		if _, _, err := l.Append(makeBatch(t, [][]byte{make([]byte, 200), make([]byte, 200)}, int64(1000+i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.AdvanceLogStart(5); !errors.Is(err, ErrPastHighWatermark) || !errors.Is(err, kerr.OffsetOutOfRange) {
		t.Fatalf("AdvanceLogStart past the high watermark 0: %v", err)
	}
	l.SetHighWatermark(l.LogEndOffset())
	before := len(segFiles(t, dir, ".log"))
	if start, err := l.AdvanceLogStart(21); err != nil || start != 21 {
		t.Fatalf("AdvanceLogStart(21) = %d, %v", start, err)
	}
	after := len(segFiles(t, dir, ".log"))
	if after >= before || l.segs[0].base > 21 || l.segs[0].next <= 21 {
		t.Fatalf("segments %d -> %d, first [%d, %d): want the ones wholly below 21 deleted", before, after, l.segs[0].base, l.segs[0].next)
	}
	if start, err := l.AdvanceLogStart(10); err != nil || start != 21 {
		t.Fatalf("AdvanceLogStart(10) after 21 = %d, %v: the start never moves back", start, err)
	}
	if _, err := l.Read(20, 1<<20, l.LogEndOffset()); !errors.Is(err, kerr.OffsetOutOfRange) {
		t.Fatalf("read at 20 below the start 21: %v", err)
	}
	if r, err := l.Read(21, 1<<20, l.LogEndOffset()); err != nil || r.Size == 0 {
		t.Fatalf("read at the start 21: %+v %v", r, err)
	} else {
		r.Release()
	}

	l.Close()
	l = openLog(t, dir, opts)
	if s, hw := l.LogStartOffset(), l.HighWatermark(); s != 21 || hw != 21 {
		t.Fatalf("after reopen: log start %d, high watermark %d, want 21 and 21", s, hw)
	}
	if err := l.TruncateTo(4); err != nil { // a follower restarting below the start
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, LogStartCheckpoint)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("checkpoint after a restart of the log: %v", err)
	}
	if _, _, err := l.Append(makeBatch(t, [][]byte{[]byte("x")}, 1), 0); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = openLog(t, dir, opts)
	if s, e := l.LogStartOffset(), l.LogEndOffset(); s != 4 || e != 5 {
		t.Fatalf("after restart at 4 and reopen: log [%d, %d), want [4, 5)", s, e)
	}
}
