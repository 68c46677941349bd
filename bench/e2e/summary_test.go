package e2e

import (
	"testing"
	"time"
)

func TestSummaryRows(t *testing.T) {
	r := &Result{Latencies: []time.Duration{500 * time.Millisecond, time.Second, 1900 * time.Millisecond}, Samples: 3, UpRSS: 80e6}
	rows := SummaryRows(r, 400e6)
	if len(rows) != 3 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	if rows[1].Measure != "line → searchable p99 ms" || rows[1].Sluice != 1900 {
		t.Errorf("p99 row %+v", rows[1])
	}
	if met, ok := rows[1].Met(); !ok || !met {
		t.Errorf("p99 1.9 s against < 2000 ms: Met() = %v, %v", met, ok)
	}
	if rss := rows[2]; rss.Sluice != 80 || rss.AnchorValue != 400 || rss.Ratio() != 0.2 {
		t.Errorf("RSS row %+v", rss)
	}
	if rows := SummaryRows(&Result{}, -1); rows[0].Sluice != 0 || rows[2].AnchorValue >= 0 {
		t.Errorf("nothing measured: %+v", rows)
	}
}
