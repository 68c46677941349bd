package kbench

import (
	"errors"
	"testing"
	"time"
)

func TestSummaryRows(t *testing.T) {
	report := func(records uint64) *Report {
		p := Phase{Name: ProduceName(1024, AcksAll), Size: 1024, Acks: AcksAll, Records: records, Elapsed: time.Second}
		p.Latency.Record(3 * time.Millisecond)
		return &Report{Phases: []Phase{p, {Name: ConsumeName(1024), Size: 1024, Records: records, Elapsed: time.Second}}}
	}
	results := []Result{
		{Target: TargetSluice, Report: report(3000), BrokerRSS: 30 << 20, CoordRSS: 10 << 20},
		{Target: TargetKafka, Report: report(2000), BrokerRSS: 400 << 20, CoordRSS: -1},
	}
	rows := SummaryRows(results, 3, 3)
	want := []string{
		"produce 1 KiB acks=all rec/s, 3 brokers rf 3",
		"produce 1 KiB acks=all p99 ms, 3 brokers rf 3",
		"consume 1 KiB rec/s, 3 brokers rf 3",
		"RSS MiB total, 3 brokers rf 3",
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, m := range want {
		if rows[i].Measure != m || rows[i].Component != "broker" || rows[i].Anchor != "Kafka 3.9" {
			t.Errorf("row %d = %+v, want measure %q", i, rows[i], m)
		}
	}
	if rows[0].Ratio() != 1.5 || rows[3].Ratio() != 0.1 {
		t.Errorf("ratios %v and %v, want 1.5 and 0.1", rows[0].Ratio(), rows[3].Ratio())
	}
	results[0].Err = errors.New("broken")
	if rows := SummaryRows(results, 1, 1); rows[0].Sluice != 0 || rows[0].Measure != "produce 1 KiB acks=all rec/s, 1 broker" {
		t.Errorf("a failed sluice run: %+v", rows[0])
	}
}
