package indexer

import (
	"testing"
	"time"
)

func TestSummaryRows(t *testing.T) {
	rows := SummaryRows(&Result{Ceiling: Phase{Events: 1000, Elapsed: time.Second}, Indexer: Phase{Events: 1000, Elapsed: 1250 * time.Millisecond}})
	if len(rows) != 1 || rows[0].Sluice != 800 || rows[0].AnchorValue != 1000 || rows[0].Ratio() != 0.8 {
		t.Fatalf("rows %+v", rows)
	}
	if met, ok := rows[0].Met(); !ok || met {
		t.Errorf("0.8 of the ceiling against >= 0.9x: Met() = %v, %v", met, ok)
	}
}
