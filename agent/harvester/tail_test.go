package harvester

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
)

// TestRewrittenWithSameHeader: the file has a fixed header longer than
// FingerprintSize; while the harvester is held in its Line hook (its
// output blocked), the file is truncated and written again, with the same
// header, past where it had been read. The bytes before the read position
// differ from those read: the harvester reads the new file from 0
// (restart), or returns Changed under StopOnChange, instead of reading on
// from the old offset.
func TestRewrittenWithSameHeader(t *testing.T) {
	header := strings.Repeat("#", FingerprintSize+100) + "\n"
	old := header + "old-1\nold-2\n"
	rewritten := header + "new-aaaaaaaaaaaaaaaa-1\nnew-2\nnew-3\n"
	for _, stop := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "x.log")
		if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
		var c collector
		hooks := c.hooks()
		line := hooks.Line
		hooks.Line = func(ctx context.Context, l Line) error {
			if string(l.Data) == "old-2" {
				// Rewritten before the harvester reads on.
				if err := os.WriteFile(path, []byte(rewritten), 0o644); err != nil {
					return err
				}
			}
			if l.Data[0] == '#' {
				l.Data = l.Data[:1]
			}
			return line(ctx, l)
		}
		cfg := testCfg
		cfg.StopOnChange = stop
		h, err := Open(path, 0, Fingerprint{}, cfg, hooks)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan Reason, 1)
		go func() { r, _ := h.Run(ctx); done <- r }()
		h0, o1 := len(header), len(header)+6
		if stop {
			c.wait(t, fmt.Sprintf("0:#,%d:old-1,%d:old-2", h0, o1))
			if r := awaitReason(t, done); r != Changed {
				t.Fatalf("reason %v, want changed", r)
			}
		} else {
			c.wait(t, fmt.Sprintf("0:#,%d:old-1,%d:old-2,0:#,%d:new-aaaaaaaaaaaaaaaa-1,%d:new-2,%d:new-3", h0, o1, h0, h0+23, h0+29))
			cancel()
			<-done
		}
		cancel()
	}
}

// TestStopOnChangeTruncated: under StopOnChange a file truncated below
// what was read ends Run with Changed, without a Reset.
func TestStopOnChangeTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(path, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var c collector
	cfg := testCfg
	cfg.StopOnChange = true
	h, err := Open(path, 0, Fingerprint{}, cfg, c.hooks())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Reason, 1)
	go func() { r, _ := h.Run(context.Background()); done <- r }()
	c.wait(t, "0:one,4:two")
	if err := os.Truncate(path, 2); err != nil {
		t.Fatal(err)
	}
	if r := awaitReason(t, done); r != Changed || c.resets != 0 {
		t.Fatalf("reason %v, %d resets; want changed and none", r, c.resets)
	}
}

// awaitReason waits for Run's reason on done.
func awaitReason(t *testing.T, done <-chan Reason) Reason {
	t.Helper()
	var r Reason
	await.Eventually(t, 5*time.Second, 5*time.Millisecond, func() error {
		select {
		case r = <-done:
			return nil
		default:
			return fmt.Errorf("the harvester runs on after the file changed")
		}
	})
	return r
}

// TestReadTail: the check of a line is what ReadTail finds before its end.
func TestReadTail(t *testing.T) {
	text := "short\n" + strings.Repeat("z", 100) + "\n"
	path := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lr := newLineReader(f, 1<<20)
	var end int64
	for {
		_, raw, _, err := lr.next()
		if err != nil {
			break
		}
		end += raw
		check := tailOf(lr.lastRaw)
		got, err := ReadTail(f, end, check.Len)
		if err != nil || got != check {
			t.Fatalf("at %d: ReadTail %v, %v; the line's check %v", end, got, err, check)
		}
	}
	if end != int64(len(text)) {
		t.Fatalf("read to %d", end)
	}
}

// BenchmarkRun reads a file of 100-byte lines through Run (with each
// line's tail check and the check before every read) to its end.
func BenchmarkRun(b *testing.B) {
	b.ReportAllocs()
	text := strings.Repeat(strings.Repeat("x", 99)+"\n", 100000)
	path := filepath.Join(b.TempDir(), "x.log")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		h, err := Open(path, 0, Fingerprint{}, testCfg, Hooks{Line: func(context.Context, Line) error {
			if n++; n == 100000 {
				cancel()
			}
			return nil
		}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.Run(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
}
