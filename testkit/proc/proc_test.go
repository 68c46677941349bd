package proc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartWaitReadyStop(t *testing.T) {
	p, err := Start("sleeper", exec.Command("sh", "-c", "echo one; echo two; exec sleep 60"), filepath.Join(t.TempDir(), "sleeper.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = WaitReady(ctx, 10*time.Millisecond, func(context.Context) error {
		if p.Tail(1) != "two" {
			return errors.New("no second line yet")
		}
		return nil
	}, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Tail(5); got != "one\ntwo" {
		t.Errorf("Tail(5) = %q", got)
	}
	if rss, err := RSS(p.Pid()); err != nil || rss <= 0 {
		t.Errorf("RSS = %d, %v", rss, err)
	}
	// The shell prints its lines before it execs sleep: wait for the exec.
	c := Comm(p.Pid())
	for deadline := time.Now().Add(10 * time.Second); c != "sleep" && time.Now().Before(deadline); c = Comm(p.Pid()) {
		time.Sleep(10 * time.Millisecond)
	}
	if c != "sleep" {
		t.Errorf("Comm = %q, want sleep", c)
	}
	p.Stop()
	if exited, _ := p.Exited(); !exited {
		t.Error("not exited after Stop")
	}
}

func TestWaitReadyFailsWhenTheProcessExits(t *testing.T) {
	p, err := Start("quitter", exec.Command("sh", "-c", "echo bye; exit 3"), filepath.Join(t.TempDir(), "quitter.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = WaitReady(ctx, 10*time.Millisecond, func(context.Context) error { return errors.New("never") }, p)
	var exited *ExitedError
	if !errors.As(err, &exited) || exited.Name != "quitter" || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("WaitReady = %v, want the quitter's exit", err)
	}
}

func TestWaitReadyTimesOut(t *testing.T) {
	p, err := Start("sleeper", exec.Command("sleep", "60"), filepath.Join(t.TempDir(), "sleeper.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	check := errors.New("not yet")
	if err := WaitReady(ctx, 10*time.Millisecond, func(context.Context) error { return check }, p); !errors.Is(err, check) {
		t.Fatalf("WaitReady = %v, want %v wrapped", err, check)
	}
}

// TestFreePortReserves: a port FreePort returned is bindable, lies below the
// kernel's ephemeral range, and is not returned again while this process
// holds it, so a parallel test cannot take it.
func TestFreePortReserves(t *testing.T) {
	lo, hi := reservablePorts()
	seen := map[int]bool{}
	for range 50 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if lo < hi && (port < lo || port >= hi) {
			t.Fatalf("port %d outside [%d,%d)", port, lo, hi)
		}
		if seen[port] {
			t.Fatalf("port %d returned twice", port)
		}
		seen[port] = true
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
	}
}
