package agent_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// lineText is line i of a test file: a unique id, then padding of varying
// length so that files do not all have the same size.
func lineText(file string, i int) string {
	return fmt.Sprintf("%s-%07d %s", file, i, strings.Repeat("x", 20+i%37))
}

// idOf returns the unique id of a test line.
func idOf(msg string) string {
	id, _, _ := strings.Cut(msg, " ")
	return id
}

// writeRotatedByRename writes n lines to dir/name.log at full speed,
// renaming it to name.log.<k> every every lines.
func writeRotatedByRename(dir, name string, n, every int) error {
	path := filepath.Join(dir, name+".log")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 64<<10)
	for i := range n {
		if i > 0 && i%every == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
			f.Close()
			if err := os.Rename(path, fmt.Sprintf("%s.%d", path, i/every)); err != nil {
				return err
			}
			if f, err = os.Create(path); err != nil {
				return err
			}
			w.Reset(f)
		}
		fmt.Fprintln(w, lineText(name, i))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// writeCopyTruncate writes n lines to dir/name.log, and every every lines
// copies it to name.log.<k> and truncates it, as logrotate's copytruncate
// does. delivered() is how many of its lines have arrived in the topic:
// lines written between logrotate's copy and its truncate are lost by any
// tailer, so the writer waits for the agent before it truncates, for as
// long as lines keep arriving (see deliveryStall).
func writeCopyTruncate(dir, name string, n, every int, delivered func() int) error {
	path := filepath.Join(dir, name+".log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 64<<10)
	for i := range n {
		if i > 0 && i%every == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
			if err := awaitFileDelivered(name, i, delivered); err != nil {
				return err
			}
			if err := copyFile(path, fmt.Sprintf("%s.%d", path, i/every)); err != nil {
				return err
			}
			if err := f.Truncate(0); err != nil {
				return err
			}
		}
		fmt.Fprintln(w, lineText(name, i))
	}
	return w.Flush()
}

// awaitFileDelivered waits, in a writer goroutine, until delivered()
// reaches lines, failing only if it stops growing for deliveryStall.
func awaitFileDelivered(name string, lines int, delivered func() int) error {
	err := await.UntilProgress(deliveryStall, deliveryCap, 20*time.Millisecond, func() (int64, error) {
		if got := delivered(); got < lines {
			return int64(got), fmt.Errorf("%d of %d lines of %s arrived", got, lines, name)
		}
		return int64(lines), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the agent before rotating %s: %w", name, err)
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// tally counts deliveries per line id, failing the test unless every id
// of files (name → number of lines) arrived; it returns the duplicates. It
// copies and walks every event: call it once, after awaitDelivered.
func tally(t *testing.T, c *consumer, files map[string]int) (dups int) {
	t.Helper()
	evs, errs := c.snapshot()
	if len(errs) > 0 {
		t.Fatalf("undecodable events: %v", errs[0])
	}
	seen := make(map[string]int, len(evs))
	where := map[string][]string{}
	for _, e := range evs {
		id := idOf(e.Message)
		seen[id]++
		if testing.Verbose() {
			where[id] = append(where[id], fmt.Sprintf("%s@%d %s", e.Where, e.Log.Offset, e.At))
		}
	}
	missing := 0
	var firstMissing string
	for name, n := range files {
		for i := range n {
			id := idOf(lineText(name, i))
			switch k := seen[id]; {
			case k == 0:
				missing++
				if firstMissing == "" {
					firstMissing = id
				}
			case k > 1:
				dups += k - 1
				if dups < 10 {
					t.Logf("%s delivered %d times: %v", id, k, where[id])
				}
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d lines missing (first %s) of %d events read", missing, firstMissing, len(evs))
	}
	return dups
}

// TestRotationExactlyOnce: 200,000 lines written at full speed into a file
// rotated by rename every 20,000 lines, and 200,000 into a file rotated by
// copytruncate every 20,000: a consumer reads every line exactly once. The
// agent, coordinator and broker run as processes (see process_test.go).
func TestRotationExactlyOnce(t *testing.T) {
	const renamed, truncated, every = 200000, 200000, 20000
	bin := testpeer.SluiceBinary(t)
	addr := startBrokerProcesses(t, bin, "rot")
	logs, reg := t.TempDir(), t.TempDir()
	// The rotated names of the renamed file match too (a file renamed
	// right after it was written is still read; one already read is
	// recognised by its inode); copies made by copytruncate must not.
	cfg := withPaths(agentYAML(logs, reg, addr, "rot", ""), logs, "renamed.log*", "truncated.log")
	parseConfig(t, cfg)
	c := consumeLight(t, addr, "rot")
	startAgentProcess(t, bin, cfg, reg)

	start := time.Now()
	errc := make(chan error, 2)
	go func() { errc <- writeRotatedByRename(logs, "renamed", renamed, every) }()
	go func() {
		errc <- writeCopyTruncate(logs, "truncated", truncated, every, func() int {
			return c.countPrefix("truncated")
		})
	}()
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]int{"renamed": renamed, "truncated": truncated}
	awaitDelivered(t, c, files)
	dups, err := tallyIDs(t, c, files)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d lines delivered in %s, %d duplicates", renamed+truncated, time.Since(start).Round(time.Millisecond), dups)
	if dups != 0 {
		t.Fatalf("%d lines delivered twice", dups)
	}
}
