package metrics

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelogs/sluice/internal/await"
)

func TestServerServesRegistry(t *testing.T) {
	reg := NewRegistry()
	lines := prometheus.NewCounter(prometheus.CounterOpts{Name: "sluice_test_lines_total", Help: "Lines."})
	reg.MustRegister(lines)
	lines.Add(42)

	s, err := Listen("127.0.0.1:0", reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"sluice_test_lines_total 42", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if _, err := http.Get("http://" + s.Addr() + "/metrics"); err == nil {
		t.Fatal("server still answering after Run returned")
	}
}

// TestServeRetriesTakenPort: Serve does not give up on a port someone else
// holds; it binds it once freed, and stops when its context ends, whether
// bound or still retrying.
func TestServeRetriesTakenPort(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	holder, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := holder.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	bound := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, addr, NewRegistry(), log, func(a string) { bound <- a }) }()
	// Serve must still be retrying, not returned, while the port is held:
	// two bind attempts (100ms apart) fail with the holder in place.
	select {
	case err := <-done:
		t.Fatalf("Serve returned while the port was taken: %v", err)
	case a := <-bound:
		t.Fatalf("Serve bound %s, which another listener holds", a)
	case <-time.After(300 * time.Millisecond):
	}
	holder.Close()
	select {
	case a := <-bound:
		if a != addr {
			t.Fatalf("bound %s, want %s", a, addr)
		}
	case err := <-done:
		t.Fatalf("Serve returned without binding the freed port: %v", err)
	case <-time.After(time.Minute): // retries are at most 10s apart
		t.Fatal("Serve did not bind the freed port")
	}
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}

	// Cancelled while still retrying, Serve returns at once.
	holder, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := Serve(ctx, holder.Addr().String(), NewRegistry(), log, nil); err != nil {
		t.Fatalf("Serve cancelled while retrying: %v", err)
	}
}
