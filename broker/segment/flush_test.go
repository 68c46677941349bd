package segment

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TestFlushMessages: log.flush.interval.messages=1 fsyncs after every
// append, 3 after every third record, and the default never (only a roll
// does).
func TestFlushMessages(t *testing.T) {
	for _, c := range []struct {
		every, appends, want int64
	}{{1, 5, 5}, {3, 6, 2}, {0, 5, 0}} {
		var syncs atomic.Int64
		l := openLog(t, t.TempDir(), Options{FlushMessages: c.every, OnSync: func(time.Duration) { syncs.Add(1) }})
		for i := int64(0); i < c.appends; i++ {
			if _, _, err := l.Append(makeBatch(t, [][]byte{[]byte("x")}, i), 0); err != nil {
				t.Fatal(err)
			}
		}
		if got := syncs.Load(); got != c.want {
			t.Errorf("FlushMessages=%d: %d appends made %d fsyncs, want %d", c.every, c.appends, got, c.want)
		}
	}
}

// TestFlushIfDue: log.flush.interval.ms fsyncs a log with unflushed
// records once its last fsync is that old, and not before, nor when
// nothing was appended since.
func TestFlushIfDue(t *testing.T) {
	var syncs atomic.Int64
	l := openLog(t, t.TempDir(), Options{FlushInterval: time.Minute, OnSync: func(time.Duration) { syncs.Add(1) }})
	now := time.Now()
	if did, err := l.FlushIfDue(now.Add(2 * time.Minute)); did || err != nil {
		t.Fatalf("nothing appended: flushed=%v err=%v", did, err)
	}
	if _, _, err := l.Append(makeBatch(t, [][]byte{[]byte("x")}, 1), 0); err != nil {
		t.Fatal(err)
	}
	if did, _ := l.FlushIfDue(now.Add(time.Second)); did {
		t.Fatal("flushed before the interval passed")
	}
	if did, err := l.FlushIfDue(now.Add(2 * time.Minute)); !did || err != nil {
		t.Fatalf("interval passed: flushed=%v err=%v", did, err)
	}
	if did, _ := l.FlushIfDue(now.Add(10 * time.Minute)); did {
		t.Fatal("flushed again with nothing new")
	}
	if syncs.Load() != 1 {
		t.Fatalf("%d fsyncs, want 1", syncs.Load())
	}
	off := openLog(t, t.TempDir(), Options{})
	if _, _, err := off.Append(makeBatch(t, [][]byte{[]byte("x")}, 1), 0); err != nil {
		t.Fatal(err)
	}
	if did, _ := off.FlushIfDue(now.Add(1000 * time.Hour)); did {
		t.Fatal("FlushInterval 0 flushed")
	}
}

// TestWriteFaultCutsTornWrite: a write that stops half-way with ENOSPC
// (as on a full disk) fails the append with KAFKA_STORAGE_ERROR wrapping
// ENOSPC, leaves the log's end where it was and its file without the
// torn bytes, so that once there is space again the next batch follows
// the last good one and a reopen finds exactly the good batches. A
// failing index write does the same for a batch whose data was written.
func TestWriteFaultCutsTornWrite(t *testing.T) {
	dir := t.TempDir()
	var fail atomic.Value // "" or the file suffix to fail
	fail.Store("")
	l := openLog(t, dir, Options{IndexIntervalBytes: 1, WriteFault: func(file string, p []byte) (int, error) {
		if suf := fail.Load().(string); suf != "" && strings.HasSuffix(file, suf) {
			return len(p) / 2, syscall.ENOSPC
		}
		return 0, nil
	}})
	for i := 0; i < 2; i++ {
		if _, _, err := l.Append(makeBatch(t, [][]byte{[]byte("good")}, int64(i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	logFile := segmentPath(dir, 0, logSuffix)
	size := fileSize(t, logFile)
	for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
		fail.Store(suf)
		_, _, err := l.Append(makeBatch(t, [][]byte{[]byte("torn")}, 100), 0)
		if !errors.Is(err, kerr.KafkaStorageError) || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("fault in %s: append error %v, want KAFKA_STORAGE_ERROR wrapping ENOSPC", suf, err)
		}
		if got := fileSize(t, logFile); got != size {
			t.Fatalf("fault in %s: .log is %d bytes, want the %d good ones", suf, got, size)
		}
		if l.LogEndOffset() != 2 {
			t.Fatalf("fault in %s: log end %d, want 2", suf, l.LogEndOffset())
		}
	}
	fail.Store("")
	if base, _, err := l.Append(makeBatch(t, [][]byte{[]byte("after")}, 200), 0); err != nil || base != 2 {
		t.Fatalf("append after the fault: base %d err %v", base, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	re := openLog(t, dir, Options{})
	re.SetHighWatermark(re.LogEndOffset())
	b, err := re.ReadBytes(0, 1<<20, re.LogEndOffset())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range decodeBatches(t, b) {
		for _, v := range d.values {
			got = append(got, string(v))
		}
	}
	if strings.Join(got, ",") != "good,good,after" {
		t.Fatalf("after reopen: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "00000000000000000000.log")); err != nil {
		t.Fatal(err)
	}
}
