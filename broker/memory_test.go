package broker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
)

// TestRequestMemory: a request waits while the budget is spent and goes
// on once memory is given back; when every holder waits for more, the
// last to wait takes all it still needs, beyond the limit, instead of a
// deadlock; an unbounded budget never waits.
func TestRequestMemory(t *testing.T) {
	ctx := context.Background()
	queued := func(m *requestMemory, want int) {
		t.Helper()
		await.Eventually(t, 10*time.Second, time.Millisecond, func() error {
			if _, q := m.stats(); q != want {
				return errors.New("not waiting yet")
			}
			return nil
		})
	}
	grow := func(m *requestMemory, s *share, n, rest int64) chan int64 {
		done := make(chan int64, 1)
		go func() {
			got, err := m.grow(ctx, s, n, rest)
			if err != nil {
				t.Error(err)
			}
			done <- got
		}()
		return done
	}

	m := newRequestMemory(100)
	var a, b share
	if got, _ := m.grow(ctx, &a, 60, 60); got != 60 {
		t.Fatalf("a took %d", got)
	}
	bDone := grow(m, &b, 60, 60)
	queued(m, 1)
	m.release(&a)
	if got := <-bDone; got != 60 {
		t.Fatalf("b took %d", got)
	}
	if used, _ := m.stats(); used != 60 {
		t.Fatalf("used %d, want 60", used)
	}
	m.release(&b)

	// Two holders of 50 each both need 30 more (50 to finish).
	if got, _ := m.grow(ctx, &a, 50, 100); got != 50 {
		t.Fatal(got)
	}
	if got, _ := m.grow(ctx, &b, 50, 100); got != 50 {
		t.Fatal(got)
	}
	aDone := grow(m, &a, 30, 50)
	queued(m, 1)
	if got, _ := m.grow(ctx, &b, 30, 50); got != 50 {
		t.Fatalf("the last holder to wait took %d, want all it needs (50)", got)
	}
	if used, q := m.stats(); used != 150 || q != 1 {
		t.Fatalf("used %d, %d waiting; want 150, 1", used, q)
	}
	m.release(&b)
	if got := <-aDone; got != 30 {
		t.Fatalf("a, once b gave its memory back, took %d, want 30", got)
	}
	m.release(&a)
	if used, q := m.stats(); used != 0 || q != 0 {
		t.Fatalf("after all released: used %d, %d waiting", used, q)
	}

	// A waiting connection ends with its context.
	if got, _ := m.grow(ctx, &a, 100, 100); got != 100 {
		t.Fatal(got)
	}
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { _, err := m.grow(cctx, &b, 1, 1); errc <- err }()
	queued(m, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("grow after cancel: %v", err)
	}
	m.release(&a)

	u := newRequestMemory(-1)
	if got, _ := u.grow(ctx, &a, 1<<40, 1<<40); got != 1<<40 {
		t.Fatal(got)
	}
}

// TestKeptUntilFreed: a kept buffer stays charged after its request is
// answered; a connection that then waits asks for a collection, which
// frees the buffer and gives its memory to the waiting one.
func TestKeptUntilFreed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := newRequestMemory(100)
	done := make(chan struct{})
	go func() { defer close(done); m.runCollector(ctx, time.Millisecond) }()
	defer func() { cancel(); <-done }()

	var a, b share
	if got, _ := m.grow(ctx, &a, 80, 80); got != 80 {
		t.Fatal(got)
	}
	m.keep(&a, make([]byte, 64))
	m.release(&a)
	if used, _ := m.stats(); used != 64 {
		t.Fatalf("after the answer: used %d, want the kept 64", used)
	}
	if got, err := m.grow(ctx, &b, 80, 80); got != 80 || err != nil {
		t.Fatalf("took %d (%v)", got, err)
	}
	if used, _ := m.stats(); used != 80 {
		t.Fatalf("once collected: used %d, want 80", used)
	}
	m.release(&b)
}
