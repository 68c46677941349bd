package benchcmp

import (
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/latency"
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
