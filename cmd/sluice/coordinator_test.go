package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestCoordinatorCommand runs `sluice coordinator` from a zoo.cfg and asks
// it for its mode the way zkServer.sh status does; -cpuprofile leaves a
// profile when it stops.
func TestCoordinatorCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	port, metricsPort := testpeer.FreePort(t), testpeer.FreePort(t)
	text := fmt.Sprintf("tickTime=200\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nsomeNewKey=1\nmetricsProvider.httpHost=127.0.0.1\nmetricsProvider.httpPort=%d\n", dir, port, metricsPort)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	prof := filepath.Join(dir, "cpu.prof")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var logs strings.Builder
	go func() {
		done <- run(ctx, &env{stdout: &strings.Builder{}, stderr: &logs}, []string{"coordinator", "--config", cfg, "-cpuprofile", prof})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("coordinator exited %d", code)
		}
		if b, err := os.ReadFile(prof); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("-cpuprofile: no gzipped profile in %s (%d bytes, %v)", prof, len(b), err)
		}
		if !strings.Contains(logs.String(), "someNewKey") {
			t.Errorf("no warning about the unknown key in:\n%s", logs.String())
		}
	}()
	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		// Both orders: zkServer.sh's (`status` first) and the flag first.
		for _, args := range [][]string{{"coordinator", "status", "--config", cfg}, {"coordinator", "--config", cfg, "status"}} {
			code, out, errOut := runArgs(args...)
			if code != 0 {
				return fmt.Errorf("%q: exit %d: %s", args, code, errOut)
			}
			if !strings.Contains(out, "Mode: standalone") {
				return fmt.Errorf("%q printed %q", args, out)
			}
		}
		return nil
	})
	// ZooKeeper's metricsProvider.httpPort serves Prometheus metrics.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"sluice_coordinator_znodes 4", "sluice_coordinator_is_leader 1", "sluice_coordinator_connections_total"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestCoordinatorBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfg, []byte("dataDir="+dir+"\ntickTime=soon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runArgs("coordinator", "--config", cfg)
	if code == 0 || !strings.Contains(errOut, cfg+`:2: tickTime: "soon" is not an integer`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
