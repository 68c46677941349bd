package compare

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/bench/latency"
)

func TestCells(t *testing.T) {
	var empty, h latency.Histogram
	h.Record(2 * time.Millisecond)
	for _, c := range []struct{ got, want string }{
		{Rate(1234.4, 0), "1234"},
		{Rate(10, 3), "10 (3 err)"},
		{Ratio(3, 2), "1.50"},
		{Ratio(0, 2), "-"},
		{Ratio(3, -1), "-"},
		{MiB(3 << 20), "3"},
		{MiB(-1), "-"},
		{Quantile(&empty, 0.5), "-"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if q := Quantile(&h, 0.5); q == "-" || q[len(q)-2:] != "ms" {
		t.Errorf("Quantile of one 2ms sample = %q", q)
	}
}

// TestTakeTurns: rounds go target by target, a failed target is not run
// again, and an ended context stops the turns.
func TestTakeTurns(t *testing.T) {
	var calls []string
	err := TakeTurns(context.Background(), 3, 2, func(round, target int) bool {
		calls = append(calls, fmt.Sprintf("%d/%d", round, target))
		return round == 2 && target == 1
	})
	if got := strings.Join(calls, " "); err != nil || got != "1/0 1/1 2/0 2/1 3/0" {
		t.Errorf("calls %q, err %v; want 1/0 1/1 2/0 2/1 3/0", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls = nil
	err = TakeTurns(ctx, 0, 2, func(round, target int) bool {
		calls = append(calls, fmt.Sprintf("%d/%d", round, target))
		cancel()
		return false
	})
	if got := strings.Join(calls, " "); err == nil || got != "1/0" {
		t.Errorf("after cancel: calls %q, err %v; want 1/0 and the context's error", got, err)
	}
	if got := Median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("Median(3,1,2) = %v", got)
	}
	if got := Median([]time.Duration{4, 1, 2, 3}); got != 2 {
		t.Errorf("Median(4,1,2,3) = %v, want 2 (integer mean of 2 and 3)", got)
	}
}
