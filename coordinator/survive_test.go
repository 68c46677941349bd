package coordinator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/memtest"
	"github.com/sluicelogs/sluice/testkit/promtest"
)

// runStandalone runs s (a standalone member made by newStandalone, its
// listener possibly replaced) until the test ends; a Run that ends before
// fails the test at cleanup.
func runStandalone(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		select {
		case err := <-done:
			t.Errorf("the member stopped before the test ended: %v", err)
			return
		default:
		}
		cancel()
		<-done
	})
}

// newStandalone makes a standalone member on a free loopback port with
// short ticks, not yet running.
func newStandalone(t *testing.T) *Server {
	t.Helper()
	cfg := Defaults()
	cfg.TickTime, cfg.DataDir, cfg.ClientAddr = 50*time.Millisecond, t.TempDir(), "127.0.0.1:0"
	cfg.MinSessionTimeout, cfg.MaxSessionTimeout = 100*time.Millisecond, time.Second
	s, err := NewServer(&cfg, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// connectSession returns a go-zookeeper client of addr once it has a
// session (the first attempts may come before the member is ready and be
// closed); the test's end closes it.
func connectSession(t *testing.T, addr string) *gozk.Conn {
	t.Helper()
	c, ev, err := gozk.Connect([]string{addr}, 4*time.Second, gozk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		for {
			select {
			case e := <-ev:
				if e.State == gozk.StateHasSession {
					return nil
				}
			default:
				return errors.New("no session yet")
			}
		}
	})
	return c
}

// TestPanicClosesOnlyItsConnection: a panic while serving a request (here
// forced on getChildren, which runs under applyMu) closes that client's
// connection and is counted; the member goes on serving the other client,
// and applyMu was let go (a write, which takes it, still succeeds).
func TestPanicClosesOnlyItsConnection(t *testing.T) {
	s := newStandalone(t)
	s.beforeRead = func(op zk.Op) {
		if op == zk.OpGetChildren || op == zk.OpGetChildren2 {
			panic("forced by the test")
		}
	}
	runStandalone(t, s)
	victim, other := connectSession(t, s.Addr()), connectSession(t, s.Addr())
	if _, err := other.Create("/a", []byte("1"), 0, gozk.WorldACL(gozk.PermAll)); err != nil {
		t.Fatal(err)
	}
	// go-zookeeper answers the request with ErrConnectionClosed or, when
	// it is already reconnecting, ErrNoServer.
	if _, _, err := victim.Children("/"); !errors.Is(err, gozk.ErrConnectionClosed) && !errors.Is(err, gozk.ErrNoServer) {
		t.Fatalf("getChildren that panics: got %v, want the connection closed", err)
	}
	if got := promtest.Value(t, promtest.Of(s.Collectors()...), "sluice_coordinator_connection_panics_total"); got != 1 {
		t.Fatalf("panics counted: %v, want 1", got)
	}
	if _, err := other.Set("/a", []byte("2"), -1); err != nil {
		t.Fatalf("set on the other connection after the panic: %v", err)
	}
	if data, _, err := other.Get("/a"); err != nil || string(data) != "2" {
		t.Fatalf("get on the other connection after the panic: %q, %v", data, err)
	}
}

// TestSilentConnectionsHoldNoBuffers: a connection that has not sent a
// byte holds no read or write buffer (64 KiB each once it talks), so idle
// connections up to the limits cost little memory. (50 connections: under
// maxClientCnxns, and accepted well within the 10 s handshake deadline.)
func TestSilentConnectionsHoldNoBuffers(t *testing.T) {
	const conns = 50
	s := newStandalone(t)
	runStandalone(t, s)
	open := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conns)
	}
	grown := memtest.HeapGrowth(func() {
		for range conns {
			nc, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nc.Close() })
		}
		await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
			if n := open(); n < conns {
				return fmt.Errorf("%d of %d connections accepted", n, conns)
			}
			return nil
		})
	})
	if limit := int64(conns * 16 << 10); grown > limit {
		t.Fatalf("%d silent connections grew the heap by %d KiB, more than 16 KiB each (%d KiB)", conns, grown>>10, limit>>10)
	}
	t.Logf("%d silent connections: heap +%d KiB", conns, grown>>10)
}

// TestDataDirLockedByAnotherMember: a second member process given the
// dataDir (or a separate dataLogDir) a running member uses does not start,
// naming the directory, rather than write the same Raft log; once the
// first has stopped, the directory is free again.
func TestDataDirLockedByAnotherMember(t *testing.T) {
	first := newStandalone(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()

	again := *first.cfg
	again.ClientAddr = "127.0.0.1:0"
	if _, err := NewServer(&again, discardLog()); err == nil {
		t.Fatal("a second member started on a dataDir in use")
	} else if !strings.Contains(err.Error(), first.cfg.DataDir) || !strings.Contains(err.Error(), "another member uses this data directory") {
		t.Fatalf("error does not name the directory in use: %v", err)
	}
	other := again
	other.DataDir, other.DataLogDir = t.TempDir(), filepath.Join(first.cfg.DataDir, "version-2")
	if _, err := NewServer(&other, discardLog()); err == nil || !strings.Contains(err.Error(), other.DataLogDir) {
		t.Fatalf("a member whose dataLogDir is inside a running member's dataDir: %v", err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(&again, discardLog())
	if err != nil {
		t.Fatalf("after the first member stopped: %v", err)
	}
	runStandalone(t, s)
}
