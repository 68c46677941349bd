package segment

import (
	"bytes"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TestReconfigureSegmentBytes: a smaller SegmentBytes set on an open log
// makes the next append that would pass it roll the active segment, and
// refuses a batch larger than it; a larger one lets the active segment
// grow again.
func TestReconfigureSegmentBytes(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, Options{SegmentBytes: 1 << 20})
	value := bytes.Repeat([]byte("v"), 300)
	appendN := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if _, _, err := l.Append(makeBatch(t, [][]byte{value}, int64(i)), 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	segments := func() int {
		t.Helper()
		m, err := filepath.Glob(filepath.Join(dir, "*.log"))
		if err != nil {
			t.Fatal(err)
		}
		return len(m)
	}
	appendN(4)
	if n := segments(); n != 1 {
		t.Fatalf("%d segments before the change, want 1", n)
	}
	if err := l.Reconfigure(Options{SegmentBytes: 1024}); err != nil {
		t.Fatal(err)
	}
	appendN(1) // the active segment is past 1 KiB already: this one rolls
	if n := segments(); n != 2 {
		t.Fatalf("%d segments after SegmentBytes 1024 and one append, want 2", n)
	}
	appendN(4) // about 370 bytes a batch: two fit a segment
	if n := segments(); n != 4 {
		t.Fatalf("%d segments after 4 more appends, want 4", n)
	}
	big := makeBatch(t, [][]byte{bytes.Repeat([]byte("b"), 2000)}, 9)
	if _, _, err := l.Append(big, 0); !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("a 2 KB batch with SegmentBytes 1024: %v, want MESSAGE_TOO_LARGE", err)
	}
	if err := l.Reconfigure(Options{SegmentBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	appendN(4)
	if _, _, err := l.Append(big, 0); err != nil {
		t.Fatal(err)
	}
	if n := segments(); n != 4 {
		t.Fatalf("%d segments after SegmentBytes went back to 1 MiB, want 4", n)
	}
}

// TestReconfigureFlushInterval: a FlushInterval set on an open log that
// had none makes FlushIfDue fsync from its next call; set back to 0 it
// never does.
func TestReconfigureFlushInterval(t *testing.T) {
	var syncs atomic.Int64
	l := openLog(t, t.TempDir(), Options{OnSync: func(time.Duration) { syncs.Add(1) }})
	if _, _, err := l.Append(makeBatch(t, [][]byte{[]byte("x")}, 1), 0); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if did, _ := l.FlushIfDue(now.Add(time.Hour)); did {
		t.Fatal("flushed with FlushInterval 0")
	}
	if err := l.Reconfigure(Options{FlushInterval: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if did, err := l.FlushIfDue(now.Add(2 * time.Minute)); !did || err != nil {
		t.Fatalf("FlushInterval set to a minute: flushed=%v err=%v", did, err)
	}
	if err := l.Reconfigure(Options{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Append(makeBatch(t, [][]byte{[]byte("x")}, 2), 0); err != nil {
		t.Fatal(err)
	}
	if did, _ := l.FlushIfDue(now.Add(time.Hour)); did {
		t.Fatal("flushed after FlushInterval went back to 0")
	}
	if syncs.Load() != 1 {
		t.Fatalf("%d fsyncs, want 1", syncs.Load())
	}
}
