package zkbench

import (
	"testing"
	"time"
)

func TestSummaryRows(t *testing.T) {
	phases := func(ops uint64, lat time.Duration) *Report {
		r := &Report{}
		for _, name := range []string{"create", "setData", "getData"} {
			p := Phase{Name: name, Ops: ops, Elapsed: time.Second}
			p.Latency.Record(lat)
			r.Phases = append(r.Phases, p)
		}
		return r
	}
	results := []Result{
		{Target: TargetSluice, Members: 1, Report: phases(2000, 2*time.Millisecond), RSSBefore: []int64{10 << 20}, RSSAfter: []int64{50 << 20}},
		{Target: TargetZooKeeper, Members: 1, Report: phases(1000, 4*time.Millisecond), RSSBefore: []int64{100 << 20}, RSSAfter: []int64{200 << 20}},
		{Target: TargetSluice, Members: 3, Report: phases(3000, time.Millisecond)},
	}
	rows := SummaryRows(results)
	if len(rows) != 6+1+6 {
		t.Fatalf("%d rows, want 13: %+v", len(rows), rows)
	}
	byMeasure := map[string]int{}
	for i, r := range rows {
		byMeasure[r.Measure] = i
		if r.Component != "coordinator" || r.Anchor != "ZooKeeper 3.8" {
			t.Errorf("row %+v", r)
		}
	}
	for measure, ratio := range map[string]float64{"create ops/s, 1 member": 2, "getData ops/s, 1 member": 2, "RSS MiB after fill, 1 member": 0.25, "setData ops/s, 3 members": 0} {
		i, ok := byMeasure[measure]
		if !ok {
			t.Errorf("no row %q", measure)
			continue
		}
		if got := rows[i].Ratio(); got != ratio {
			t.Errorf("%s: ratio %v, want %v", measure, got, ratio)
		}
	}
	if r := rows[byMeasure["create p99 ms, 1 member"]]; r.Goal != "<1x" || r.Sluice <= 0 || r.Ratio() >= 1 {
		t.Errorf("p99 row %+v", r)
	}
	if met, ok := rows[byMeasure["create p99 ms, 1 member"]].Met(); !ok || !met {
		t.Errorf("a lower p99 than ZooKeeper's: Met() = %v, %v", met, ok)
	}
}
