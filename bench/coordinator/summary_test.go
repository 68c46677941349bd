package coordinator

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
		{Target: TargetSluice, Members: 1, Rounds: []*Report{phases(2000, 2*time.Millisecond)}, RSSBefore: []int64{10 << 20}, RSSAfter: []int64{50 << 20}},
		{Target: TargetZooKeeper, Members: 1, Rounds: []*Report{phases(1000, 4*time.Millisecond)}, RSSBefore: []int64{100 << 20}, RSSAfter: []int64{200 << 20}},
		{Target: TargetSluice, Members: 3, Rounds: []*Report{phases(3000, time.Millisecond)}},
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

// TestStatMedianOfRounds: ops/s, p50 and p99 are each the median over the
// rounds (one slow round does not decide), errors are summed.
func TestStatMedianOfRounds(t *testing.T) {
	round := func(ops uint64, fast, slow time.Duration, errs uint64) *Report {
		p := Phase{Name: "getData", Ops: ops, Errors: errs, Elapsed: time.Second}
		for i := range 100 {
			if i < 98 {
				p.Latency.Record(fast)
			} else {
				p.Latency.Record(slow)
			}
		}
		return &Report{Phases: []Phase{p}}
	}
	r := Result{Rounds: []*Report{
		round(3000, time.Millisecond, 9*time.Millisecond, 0),
		round(1000, 5*time.Millisecond, 50*time.Millisecond, 2), // a busy spell
		round(2000, 2*time.Millisecond, 4*time.Millisecond, 1),
	}}
	st, ok := r.Stat("getData")
	if !ok {
		t.Fatal("no getData stat")
	}
	near := func(d, want time.Duration) bool { return d > want*9/10 && d < want*11/10 }
	if st.Rounds != 3 || st.OpsPerSec != 2000 || st.Errors != 3 || !near(st.P50, 2*time.Millisecond) || !near(st.P99, 9*time.Millisecond) {
		t.Errorf("stat %+v, want 3 rounds, 2000 ops/s, 3 errors, p50 ~2ms, p99 ~9ms", st)
	}
	if _, ok := r.Stat("create"); ok {
		t.Error("a phase no round has has a stat")
	}
	r.Rounds = r.Rounds[:2]
	if st, _ := r.Stat("getData"); st.OpsPerSec != 2000 {
		t.Errorf("median of two rounds %v, want their mean 2000", st.OpsPerSec)
	}
}
