package coordinator_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/coordinator/conformance"
)

// member is a coordinator started in-process for a test.
type member struct {
	srv  *coordinator.Server
	stop func()
}

// startStandalone runs a standalone coordinator on a free loopback port with
// its data in dir, until the test ends (or stop is called).
func startStandalone(t *testing.T, dir string, tick time.Duration) *member {
	t.Helper()
	cfgText := fmt.Sprintf("tickTime=%d\ndataDir=%s\nclientPort=1\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\n", tick.Milliseconds(), dir)
	path := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(path, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := coordinator.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ClientAddr = "127.0.0.1:0"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	srv, err := coordinator.NewServer(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	m := &member{srv: srv}
	stopped := false
	m.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("coordinator stopped with: %v", err)
		}
	}
	t.Cleanup(m.stop)
	return m
}

// TestConformanceSluice runs the ZooKeeper conformance suite (which also
// passes against Apache ZooKeeper 3.8) against a standalone coordinator.
func TestConformanceSluice(t *testing.T) {
	m := startStandalone(t, t.TempDir(), 2*time.Second)
	conformance.Run(t, conformance.Target{
		Name:     "sluice-standalone",
		Addrs:    []string{m.srv.Addr()},
		TickTime: 2 * time.Second,
	})
}
