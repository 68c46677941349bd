package agent_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/agent"
	"github.com/sluicelogs/sluice/internal/await"
)

func TestShipsLines(t *testing.T) {
	b := startBroker(t)
	logs, reg := t.TempDir(), t.TempDir()
	f, err := os.Create(filepath.Join(logs, "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range 100 {
		fmt.Fprintf(f, "line %d\n", i)
	}
	startAgent(t, parseConfig(t, agentYAML(logs, reg, b.Addr(), "logs", "")))
	c := consume(t, b.Addr(), "logs")
	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		if n := c.count(); n != 100 {
			return fmt.Errorf("%d events", n)
		}
		return nil
	})
	evs, _ := c.snapshot()
	t.Logf("%+v", evs[0].Raw)
}

// TestInstanceOnDiskBeforeItsEvents: the instance in an event's _id is in
// the registry file before the event reaches the broker, for a new file and
// for a file truncated and read again — were it not, a kill before the
// registry's next write would make the restarted agent read those lines
// again under another instance, and Elasticsearch would get two documents
// of each. The registry's own writes are an hour apart here.
func TestInstanceOnDiskBeforeItsEvents(t *testing.T) {
	b := startBroker(t)
	logs, reg := t.TempDir(), t.TempDir()
	path := filepath.Join(logs, "app.log")
	writeLines(t, path, "first", 0, 10)
	text := strings.Replace(agentYAML(logs, reg, b.Addr(), "inst", ""), "flush: 0s", "flush: 1h", 1)
	_, metrics := startAgentWithMetrics(t, parseConfig(t, text))
	c := consume(t, b.Addr(), "inst")
	onDisk := func(name string) {
		t.Helper()
		var id string
		await.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
			c.mu.Lock()
			defer c.mu.Unlock()
			s, ok := c.ids[idOf(lineText(name, 0))]
			if !ok {
				return fmt.Errorf("no %s line yet", name)
			}
			id = s.eventID
			return nil
		})
		inst, _, _ := strings.Cut(id, "-")
		for _, e := range registryEntries(t, reg) {
			if e.Instance == inst {
				return
			}
		}
		t.Fatalf("the %s lines arrived with _id %s, but the registry file does not name instance %s: %+v", name, id, inst, registryEntries(t, reg))
	}
	onDisk("first")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		if n := c.count(); n != 10 {
			return fmt.Errorf("%d events", n)
		}
		return nil
	})
	// The harvester sees the truncation (the file empty) before the new
	// lines are written.
	await.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		if n := metricValue(t, metrics, "sluice_agent_file_truncations_total"); n < 1 {
			return fmt.Errorf("%v truncations seen", n)
		}
		return nil
	})
	writeLines(t, path, "second", 0, 5)
	onDisk("second")
}

// TestRegistryInUse: a second agent given the registry.path of a running
// agent refuses to run, naming the path, rather than overwrite its offsets
// and ship its files again; the first goes on shipping, and once it has
// stopped another agent may use the registry.
func TestRegistryInUse(t *testing.T) {
	b := startBroker(t)
	logs, reg := t.TempDir(), t.TempDir()
	yaml := agentYAML(logs, reg, b.Addr(), "logs", "")
	if err := os.WriteFile(filepath.Join(logs, "app.log"), []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := startAgent(t, parseConfig(t, yaml))
	c := consume(t, b.Addr(), "logs")
	delivered := func(want int) {
		t.Helper()
		await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
			if n := c.count(); n != want {
				return fmt.Errorf("%d events, want %d", n, want)
			}
			return nil
		})
	}
	delivered(1) // the first agent runs, holding the registry

	second, err := agent.New(parseConfig(t, yaml), "test", nil, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = second.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "registry.path: data directory "+reg+": in use") {
		t.Fatalf("second agent on the same registry: %v", err)
	}

	f, err := os.OpenFile(filepath.Join(logs, "app.log"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("two\n"); err != nil {
		t.Fatal(err)
	}
	delivered(2)
	first.stop()
	startAgent(t, parseConfig(t, yaml)).stop()
	if n := c.count(); n != 2 {
		t.Fatalf("%d events after the restart, want 2", n)
	}
}
