package agent_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/testpeer"
)

// TestKillNineResumes runs `sluice agent` as a process and kill -9s it
// three times while 100,000 lines are written into a file rotated by
// rename: every line is delivered, and the duplicates (lines whose batch
// was acknowledged too late for the registry to record it) are few.
func TestKillNineResumes(t *testing.T) {
	bin := testpeer.SluiceBinary(t)
	b := startBroker(t)
	logs, reg := t.TempDir(), t.TempDir()
	n, every := 100000, 20000
	if raceEnabled {
		n = 60000
	}
	text := agentYAML(logs, reg, b.Addr(), "crash", "")
	cfgPath := filepath.Join(t.TempDir(), "agent.yml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c := consume(t, b.Addr(), "crash")
	start := func() *testpeer.Process {
		cmd := exec.Command(bin, "agent", "-c", cfgPath, "-e", "-metrics-addr", "127.0.0.1:0")
		return testpeer.Start(t, "agent", cmd, 20*time.Second, func(context.Context) error {
			_, err := os.Stat(filepath.Join(reg, "meta.json"))
			return err
		})
	}
	p := start()

	errc := make(chan error, 1)
	// The rotated names do not match *.log: a renamed file is finished
	// by the harvester that has it open (or, after a kill, is not read
	// again: its lines were written slowly enough below).
	go func() { errc <- writeSlowRotated(logs, "crash", n, every) }()
	for k := 1; k <= 3; k++ {
		target := n * k / 5
		await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
			if got := c.count(); got < target {
				return fmt.Errorf("%d of %d events before kill %d", got, target, k)
			}
			return nil
		})
		p.Kill()
		p = start()
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	files := map[string]int{"crash": n}
	await.Eventually(t, 40*time.Second, 100*time.Millisecond, func() error {
		_, _, err := tally(t, c, files)
		return err
	})
	_, dups, _ := tally(t, c, files)
	t.Logf("%d lines delivered; %d duplicates after 3 kill -9", n, dups)
	if limit := 3 * 10000; dups > limit {
		t.Fatalf("%d duplicates, more than %d", dups, limit)
	}
}

// writeSlowRotated is writeRotatedByRename, but it waits until the file
// is 1s old before renaming it, so that an agent killed and restarted
// within that second still finds each file under its name.
func writeSlowRotated(dir, name string, n, every int) error {
	for chunk := 0; chunk*every < n; chunk++ {
		path := filepath.Join(dir, name+".log")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		w := make([]byte, 0, 64<<10)
		for i := chunk * every; i < min(n, (chunk+1)*every); i++ {
			w = append(w, lineText(name, i)...)
			w = append(w, '\n')
			if len(w) > 60<<10 {
				if _, err := f.Write(w); err != nil {
					return err
				}
				w = w[:0]
				time.Sleep(time.Millisecond)
			}
		}
		if _, err := f.Write(w); err != nil {
			return err
		}
		f.Close()
		time.Sleep(time.Second)
		if err := os.Rename(path, fmt.Sprintf("%s.%d", path, chunk+1)); err != nil {
			return err
		}
	}
	return nil
}
