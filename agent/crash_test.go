package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestKillNineResumes runs the agent, coordinator and broker as processes
// and kill -9s the agent three times while 200,000 lines are written into a
// file rotated by rename every 20,000 lines and 200,000 into one rotated
// by copytruncate: every line is delivered, and the duplicates (lines
// whose batch was acknowledged too late for the registry to record it)
// are counted and few.
func TestKillNineResumes(t *testing.T) {
	const n, every, queue = 200000, 20000, 2048
	bin := testpeer.SluiceBinary(t)
	addr := startBrokerProcesses(t, bin, "crash")
	logs, reg := t.TempDir(), t.TempDir()
	// The rotated names do not match: a renamed file is finished by the
	// harvester that has it open, or, after a kill, is not read again:
	// writeRotatedWhenRead renames each file only once all its lines
	// arrived, so that a restarted agent always finds its unread lines
	// under the name it reads.
	text := withPaths(agentYAML(logs, reg, addr, "crash", ""), logs, "renamed.log", "truncated.log")
	if cfg := parseConfig(t, text); cfg.Queue.Mem.Events != queue {
		t.Fatalf("queue.mem.events is %d, want %d", cfg.Queue.Mem.Events, queue)
	}
	c := consumeLight(t, addr, "crash")
	a := startAgentProcess(t, bin, text, reg)

	errc := make(chan error, 2)
	go func() {
		errc <- writeRotatedWhenRead(logs, "renamed", n, every, func() int {
			return c.countPrefix("renamed")
		})
	}()
	go func() {
		errc <- writeCopyTruncate(logs, "truncated", n, every, func() int {
			return c.countPrefix("truncated")
		})
	}()
	for k := 1; k <= 3; k++ {
		target := 2 * n * k / 5
		await.Progress(t, deliveryStall, deliveryCap, 20*time.Millisecond, func() (int64, error) {
			if got := c.distinct(); got < target {
				return int64(got), fmt.Errorf("%d of %d lines before kill %d", got, target, k)
			}
			return int64(target), nil
		})
		t.Logf("kill -9 number %d after %d distinct lines arrived", k, c.distinct())
		a.kill9()
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]int{"renamed": n, "truncated": n}
	awaitDelivered(t, c, files)
	dups, err := tallyIDs(t, c, files)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d lines delivered; %d duplicates after 3 kill -9", 2*n, dups)
	// A kill loses at most what was acknowledged but not yet in the
	// registry: about a queue's worth of events per kill.
	if limit := 3 * 2 * queue; dups > limit {
		t.Fatalf("%d duplicates, more than %d", dups, limit)
	}
}

// writeRotatedWhenRead is writeRotatedByRename, but it renames the file
// only once delivered() (how many of its lines arrived) has reached its
// last line, so that an agent killed and restarted meanwhile still finds
// the file's unread lines under its name. (The fixed second this writer
// used to wait before the rename is too short when a loaded machine makes
// the restart slower than that: the lines left in the renamed file would
// be lost.)
func writeRotatedWhenRead(dir, name string, n, every int, delivered func() int) error {
	for chunk := 0; chunk*every < n; chunk++ {
		path := filepath.Join(dir, name+".log")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		end := min(n, (chunk+1)*every)
		w := make([]byte, 0, 64<<10)
		for i := chunk * every; i < end; i++ {
			w = append(w, lineText(name, i)...)
			w = append(w, '\n')
			if len(w) > 60<<10 {
				if _, err := f.Write(w); err != nil {
					return err
				}
				w = w[:0]
				time.Sleep(time.Millisecond) // pace the writer: the agent reads while the file grows
			}
		}
		if _, err := f.Write(w); err != nil {
			return err
		}
		f.Close()
		if err := awaitFileDelivered(name, end, delivered); err != nil {
			return err
		}
		if err := os.Rename(path, fmt.Sprintf("%s.%d", path, chunk+1)); err != nil {
			return err
		}
	}
	return nil
}
