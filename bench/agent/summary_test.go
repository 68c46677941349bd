package agent

import (
	"testing"
	"time"
)

func TestSummaryRows(t *testing.T) {
	f := File{Size: 100, Lines: 1000}
	rows := SummaryRows([]Result{
		{Target: TargetSluice, File: f, Elapsed: time.Second, CPU: 250 * time.Millisecond},
		{Target: TargetRsyslog, File: f, Elapsed: 2 * time.Second, CPU: time.Second},
	})
	if len(rows) != 2 || rows[0].Measure != "lines/s, 100 B lines" || rows[1].Measure != "lines per CPU s, 100 B lines" {
		t.Fatalf("rows %+v", rows)
	}
	if rows[0].Ratio() != 2 || rows[1].Ratio() != 4 || rows[1].Goal != ">=2x" {
		t.Errorf("rows %+v", rows)
	}
}
