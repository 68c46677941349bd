package harvester

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
)

func TestLineReader(t *testing.T) {
	long := strings.Repeat("z", 3*bufSize+17)
	text := "a\r\nbb\n" + long + "\nccc\npartial"
	lr := newLineReader(strings.NewReader(text), 100)
	type got struct {
		line  string
		raw   int64
		trunc bool
	}
	var all []got
	for {
		l, raw, tr, err := lr.next()
		if err != nil {
			break
		}
		all = append(all, got{string(l), raw, tr})
	}
	want := []got{{"a", 3, false}, {"bb", 3, false}, {long[:100], int64(len(long) + 1), true}, {"ccc", 4, false}}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", all, want)
	}
	if lr.readPos != int64(len(text)) {
		t.Fatalf("readPos %d", lr.readPos)
	}
}

type collector struct {
	mu     sync.Mutex
	lines  []string
	resets int
}

func (c *collector) hooks() Hooks {
	return Hooks{
		Line: func(_ context.Context, l Line) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.lines = append(c.lines, fmt.Sprintf("%d:%s", l.Offset, l.Data))
			return nil
		},
		Reset: func() { c.mu.Lock(); c.resets++; c.mu.Unlock() },
	}
}

func (c *collector) wait(t *testing.T, want string) {
	t.Helper()
	await.Eventually(t, 5*time.Second, 5*time.Millisecond, func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if got := strings.Join(c.lines, ","); got != want {
			return fmt.Errorf("lines %q, want %q", got, want)
		}
		return nil
	})
}

var testCfg = Config{MaxBytes: 1 << 20, BackoffInit: time.Millisecond, BackoffMax: 5 * time.Millisecond, CloseInactive: time.Minute}

// TestTruncationAndRemoval: a file truncated restarts at 0 (also when it is
// written past its old size before the harvester looks); a removed file
// is read to its end and the harvester returns Gone.
func TestTruncationAndRemoval(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(path, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var c collector
	h, err := Open(path, 4, Fingerprint{}, testCfg, c.hooks())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Reason, 1)
	go func() { r, _ := h.Run(context.Background()); done <- r }()
	c.wait(t, "4:two")
	if err := os.WriteFile(path, []byte("3\n"), 0o644); err != nil { // shorter: truncated
		t.Fatal(err)
	}
	c.wait(t, "4:two,0:3")
	// Rewritten in place, longer than before.
	if err := os.WriteFile(path, []byte("alpha-long-line\nbeta\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.wait(t, "4:two,0:3,0:alpha-long-line,16:beta")
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintln(f, "last")
	f.Close()
	os.Remove(path)
	c.wait(t, "4:two,0:3,0:alpha-long-line,16:beta,21:last")
	select {
	case r := <-done:
		if r != Gone {
			t.Fatalf("reason %v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("harvester did not notice the removal")
	}
	if c.resets != 2 {
		t.Fatalf("%d resets, want 2", c.resets)
	}
}

func BenchmarkLineReader(b *testing.B) {
	b.ReportAllocs()
	text := strings.Repeat(strings.Repeat("x", 99)+"\n", 10000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		lr := newLineReader(strings.NewReader(text), 1<<20)
		for {
			if _, _, _, err := lr.next(); err != nil {
				break
			}
		}
	}
}

// TestRewrittenRightAfterALine: the file is truncated and written again,
// longer, right after a line was handed over and before the harvester
// reads on (the window in which it used to take the new file's start for
// the old one's and read on from the old offset, mid-line): it starts over
// at 0, also when the file was shorter than a fingerprint.
func TestRewrittenRightAfterALine(t *testing.T) {
	for _, first := range []string{"3\n", strings.Repeat("x", 2000) + "\n"} {
		path := filepath.Join(t.TempDir(), "x.log")
		if err := os.WriteFile(path, []byte(first), 0o644); err != nil {
			t.Fatal(err)
		}
		var c collector
		hooks := c.hooks()
		line := hooks.Line
		rewritten := false
		hooks.Line = func(ctx context.Context, l Line) error {
			if !rewritten {
				rewritten = true
				if err := os.WriteFile(path, []byte(strings.Repeat("y", len(first)+5)+"\nbeta\n"), 0o644); err != nil {
					return err
				}
			}
			return line(ctx, Line{Data: l.Data[:1], Offset: l.Offset})
		}
		h, err := Open(path, 0, Fingerprint{}, testCfg, hooks)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _, _ = h.Run(ctx) }()
		c.wait(t, fmt.Sprintf("0:%c,0:y,%d:b", first[0], len(first)+6))
		cancel()
		<-done
		if c.resets != 1 {
			t.Fatalf("%d resets, want 1 (%q)", c.resets, c.lines)
		}
	}
}

// TestResumeGrowsFingerprint: resumed at an offset past what its recorded
// fingerprint covers (a short file when it was taken), the harvester first
// reports the fingerprint of everything up to the offset (at most
// FingerprintSize), then of what it reads on; a start that no longer
// matches is read again from 0.
func TestResumeGrowsFingerprint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(path, []byte("one\ntwo\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		fp     Fingerprint
		want   string
		fpLens string // of the fingerprints reported
		resets int
	}{
		{"matching", Fingerprint{Len: 4, Hash: hash([]byte("one\n"))}, "8:three", "[8 14]", 0},
		{"changed", Fingerprint{Len: 4, Hash: hash([]byte("uno\n"))}, "0:one,4:two,8:three", "[14]", 1},
	} {
		var c collector
		hooks := c.hooks()
		var mu sync.Mutex
		var lens []int
		hooks.Fingerprint = func(fp Fingerprint) { mu.Lock(); lens = append(lens, fp.Len); mu.Unlock() }
		h, err := Open(path, 8, tc.fp, testCfg, hooks)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _, _ = h.Run(ctx) }()
		c.wait(t, tc.want)
		cancel()
		<-done
		mu.Lock()
		if got := fmt.Sprint(lens); got != tc.fpLens || c.resets != tc.resets {
			t.Errorf("%s: fingerprints of %s bytes and %d resets, want %s and %d", tc.name, got, c.resets, tc.fpLens, tc.resets)
		}
		mu.Unlock()
	}
}
