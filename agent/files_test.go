package agent_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/agent/registry"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// writeLines writes lines [from, to) of name to path, creating it.
func writeLines(t *testing.T, path, name string, from, to int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := from; i < to; i++ {
		fmt.Fprintln(w, lineText(name, i))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// registryEntries reads the registry file in dir.
func registryEntries(t *testing.T, dir string) []registry.Entry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, registry.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Files []registry.Entry `json:"files"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Files
}

// TestInodeReuse: while the agent is stopped, its file is deleted and a
// new, longer file with other content is created on the same inode. The
// registry's entry for that device+inode has an offset inside the new
// file, but the fingerprint of the first bytes differs: the agent reads
// the new file from its start, so every line of it is delivered.
func TestInodeReuse(t *testing.T) {
	b := startBroker(t)
	logs, reg := t.TempDir(), t.TempDir()
	cfg := parseConfig(t, agentYAML(logs, reg, b.Addr(), "inode", ""))
	c := consume(t, b.Addr(), "inode")
	path := filepath.Join(logs, "app.log")
	const oldLines, newLines = 300, 900

	writeLines(t, path, "old", 0, oldLines)
	oldIno := inode(t, path)
	oldSize := fileSize(t, path)
	a := startAgent(t, cfg)
	await.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		if got := c.countPrefix("old"); got < oldLines {
			return fmt.Errorf("%d of %d lines of the old file delivered", got, oldLines)
		}
		return nil
	})
	a.stop()

	// The registry holds the old file's offset under its inode.
	var found bool
	for _, e := range registryEntries(t, reg) {
		if strings.HasSuffix(e.Key, fmt.Sprintf("-%d", oldIno)) {
			found = true
			if e.Offset != oldSize {
				t.Fatalf("registry entry %+v: offset %d, want the old file's size %d", e, e.Offset, oldSize)
			}
		}
	}
	if !found {
		t.Fatalf("no registry entry for inode %d: %+v", oldIno, registryEntries(t, reg))
	}

	// Take the old file's inode back: ext4 hands out the lowest free inode
	// of the directory's group, which is the old file's unless other files
	// were deleted meanwhile (other tests, the registry's temporary files).
	// Placeholder files (not *.log, so the agent does not tail them) hold
	// the lower free inodes until one gets the old inode; it becomes the
	// new file by rename, which keeps the inode.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	reused := false
	var inos []uint64
	for i := 0; i < 1000 && !reused; i++ {
		filler := filepath.Join(logs, fmt.Sprintf("filler-%d.tmp", i))
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		ino := inode(t, filler)
		inos = append(inos, ino)
		if reused = ino == oldIno; reused {
			if err := os.Rename(filler, path); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !reused {
		testpeer.Skip(t, "the filesystem of %s did not hand out inode %d again in 1000 creates (got %v); inode reuse not tested", logs, oldIno, inos[:min(len(inos), 5)])
	}
	writeLines(t, path, "new", 0, newLines)
	if ino := inode(t, path); ino != oldIno {
		t.Fatalf("writing the new file moved it from inode %d to %d", oldIno, ino)
	}
	if size := fileSize(t, path); size <= oldSize {
		t.Fatalf("new file (%d bytes) must be longer than the old offset (%d) so that only the fingerprint tells them apart", size, oldSize)
	}

	startAgent(t, cfg)
	files := map[string]int{"old": oldLines, "new": newLines}
	awaitDelivered(t, c, files)
	dups := tally(t, c, files)
	if dups != 0 {
		t.Fatalf("%d lines delivered twice", dups)
	}
	t.Logf("new file on reused inode %d read from the start: %d lines, no duplicates", oldIno, newLines)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// openUnder counts this process's file descriptors open on files in dir.
func openUnder(dir string) (int, error) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			n++
		}
	}
	return n, nil
}

// TestThousandFiles: 1,000 files matched by one glob, harvester_limit 50:
// every line of every file is delivered exactly once, and the agent never
// has more than 50 of them open.
func TestThousandFiles(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		testpeer.Skip(t, "needs /proc/self/fd to count open files")
	}
	const files, limit = 1000, 50
	lines := 40
	if raceEnabled {
		lines = 20
	}
	b := startBroker(t)
	logs, reg := t.TempDir(), t.TempDir()
	cfg := parseConfig(t, agentYAML(logs, reg, b.Addr(), "many",
		fmt.Sprintf("    harvester_limit: %d\n    close_inactive: 100ms", limit)))
	// Every file is written (and closed) before the agent starts, so
	// that every descriptor on them counted below is the agent's.
	want := map[string]int{}
	for i := range files {
		name := fmt.Sprintf("f%04d", i)
		writeLines(t, filepath.Join(logs, name+".log"), name, 0, lines)
		want[name] = lines
	}
	c := consume(t, b.Addr(), "many")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var maxOpen, samples int
	var sampleErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			// A walk of /proc/self/fd is no snapshot: a harvester's file
			// closed and the next one opened during a walk may both be
			// counted (51 was seen under load). A sample is the smaller
			// of two walks in a row: a limit exceeded for as long shows in both.
			n, err := openUnder(logs)
			if err == nil {
				var again int
				again, err = openUnder(logs)
				n = min(n, again)
			}
			if err != nil {
				sampleErr = err
				return
			}
			maxOpen, samples = max(maxOpen, n), samples+1
			time.Sleep(time.Millisecond)
		}
	}()
	start := time.Now()
	startAgent(t, cfg)
	awaitDelivered(t, c, want)
	close(stop)
	wg.Wait()
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	dups := tally(t, c, want)
	t.Logf("%d lines of %d files delivered in %s; at most %d files open (%d samples)",
		files*lines, files, time.Since(start).Round(time.Millisecond), maxOpen, samples)
	if dups != 0 {
		t.Errorf("%d lines delivered twice", dups)
	}
	if maxOpen > limit {
		t.Errorf("%d files open at once, more than harvester_limit %d", maxOpen, limit)
	}
	if maxOpen == 0 {
		t.Errorf("no open file seen in %d samples: the sampling does not work", samples)
	}
}

// hasEntry reports whether the registry file in dir has an entry for the
// file with inode ino.
func hasEntry(t *testing.T, dir string, ino uint64) bool {
	t.Helper()
	for _, e := range registryEntries(t, dir) {
		if strings.HasSuffix(e.Key, fmt.Sprintf("-%d", ino)) {
			return true
		}
	}
	return false
}

// TestCleanRemoved: once a file is deleted and every line of it shipped,
// its registry entry goes (clean_removed, on by default), while the
// entry of a file still there stays; with clean_removed: false both stay.
func TestCleanRemoved(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("clean_removed=%v", on), func(t *testing.T) {
			b := startBroker(t)
			logs, reg := t.TempDir(), t.TempDir()
			topic := fmt.Sprintf("clean-%v", on)
			extra := ""
			if !on {
				extra = "    clean_removed: false"
			}
			cfg := parseConfig(t, agentYAML(logs, reg, b.Addr(), topic, extra+"\n    close_inactive: 200ms"))
			c := consume(t, b.Addr(), topic)
			gone, kept := filepath.Join(logs, "gone.log"), filepath.Join(logs, "kept.log")
			writeLines(t, gone, "gone", 0, 500)
			writeLines(t, kept, "kept", 0, 500)
			goneIno, keptIno := inode(t, gone), inode(t, kept)
			a, metrics := startAgentWithMetrics(t, cfg)
			files := map[string]int{"gone": 500, "kept": 500}
			awaitDelivered(t, c, files)
			await.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
				if !hasEntry(t, reg, goneIno) || !hasEntry(t, reg, keptIno) {
					return fmt.Errorf("registry entries %+v: want both files", registryEntries(t, reg))
				}
				return nil
			})
			scans := metricValue(t, metrics, "sluice_agent_scans_total")
			if err := os.Remove(gone); err != nil {
				t.Fatal(err)
			}
			if on {
				await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
					if hasEntry(t, reg, goneIno) {
						return fmt.Errorf("the deleted file's entry is still in the registry: %+v", registryEntries(t, reg))
					}
					return nil
				})
			} else {
				// Several scans and a stop (which writes the registry)
				// later, it is still there.
				await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
					if n := metricValue(t, metrics, "sluice_agent_scans_total") - scans; n < 5 {
						return fmt.Errorf("%v scans since the file was deleted", n)
					}
					return nil
				})
				a.stop()
				if !hasEntry(t, reg, goneIno) {
					t.Fatalf("clean_removed: false, but the deleted file's entry went: %+v", registryEntries(t, reg))
				}
			}
			if !hasEntry(t, reg, keptIno) {
				t.Fatalf("the entry of a file still there went: %+v", registryEntries(t, reg))
			}
			if dups := tally(t, c, files); dups != 0 {
				t.Fatalf("%d duplicates", dups)
			}
		})
	}
}

// TestCleanInactive: the entry of a file not updated for clean_inactive
// goes although the file is still there; ignore_older (shorter, as the
// config requires) keeps the file from being read again.
func TestCleanInactive(t *testing.T) {
	b := startBroker(t)
	logs, reg := t.TempDir(), t.TempDir()
	cfg := parseConfig(t, agentYAML(logs, reg, b.Addr(), "inactive", "    ignore_older: 500ms\n    clean_inactive: 1s\n    close_inactive: 200ms"))
	c := consume(t, b.Addr(), "inactive")
	path := filepath.Join(logs, "idle.log")
	writeLines(t, path, "idle", 0, 300)
	ino := inode(t, path)
	_, metrics := startAgentWithMetrics(t, cfg)
	files := map[string]int{"idle": 300}
	awaitDelivered(t, c, files)
	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		if hasEntry(t, reg, ino) {
			return fmt.Errorf("the idle file's entry is still in the registry: %+v", registryEntries(t, reg))
		}
		return nil
	})
	scans := metricValue(t, metrics, "sluice_agent_scans_total")
	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		if n := metricValue(t, metrics, "sluice_agent_scans_total") - scans; n < 5 {
			return fmt.Errorf("%v scans since the entry went", n)
		}
		return nil
	})
	if dups := tally(t, c, files); dups != 0 {
		t.Fatalf("%d lines delivered again after the entry went", dups)
	}
	if got := metricValue(t, metrics, "sluice_agent_registry_entries_removed_total"); got != 1 {
		t.Fatalf("%v entries removed, want 1", got)
	}
}
