package broker

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
		{Target: TargetSluice, Rounds: []*Report{report(3000)}, BrokerRSS: 30 << 20, CoordRSS: 10 << 20},
		{Target: TargetKafka, Rounds: []*Report{report(2000)}, BrokerRSS: 400 << 20, CoordRSS: -1},
	}
	rows := SummaryRows(results, 3, 3, SecurityPlaintext)
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
	if rows := SummaryRows(results, 1, 1, SecurityPlaintext); rows[0].Sluice != 0 || rows[0].Measure != "produce 1 KiB acks=all rec/s, 1 broker" {
		t.Errorf("a failed sluice run: %+v", rows[0])
	}
}

// TestStatMedianOfRounds: records/s, MB/s, p50 and p99 are each the median
// over the rounds, errors are summed, the acks setting is the phase's.
func TestStatMedianOfRounds(t *testing.T) {
	name := ProduceName(1024, AcksAll)
	round := func(records uint64, lat time.Duration, errs uint64) *Report {
		p := Phase{Name: name, Size: 1024, Acks: AcksAll, Records: records, Bytes: records * 1024, Errors: errs, Elapsed: time.Second}
		p.Latency.Record(lat)
		return &Report{Phases: []Phase{p}}
	}
	r := Result{Rounds: []*Report{round(3000, time.Millisecond, 0), round(1000, 40*time.Millisecond, 1), round(2000, 2*time.Millisecond, 0)}}
	st, ok := r.Stat(name)
	near := func(d, want time.Duration) bool { return d > want*9/10 && d < want*11/10 }
	if !ok || st.Rounds != 3 || st.RecordsPerSec != 2000 || st.MBPerSec != 2.048 || st.Errors != 1 || st.Acks != AcksAll || !near(st.P99, 2*time.Millisecond) {
		t.Errorf("stat %+v, want 3 rounds, 2000 rec/s, 2.048 MB/s, 1 error, p99 ~2ms", st)
	}
	if _, ok := r.Stat(ConsumeName(1024)); ok {
		t.Error("a phase no round has has a stat")
	}
}
