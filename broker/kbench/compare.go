package kbench

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/sluicelogs/sluice/internal/benchcmp"
)

// Config is a side-by-side run: the same Load against every target.
type Config struct {
	Targets   []string // TargetSluice, TargetKafka
	Brokers   int      // brokers of each target, default 1
	Load      Load     // the workload; Brokers is set per target, Replication is the topics' and the brokers' default
	Sluice    string   // the sluice binary
	Kafka     string   // deploy/kafka/run.sh
	KafkaHeap string   // KAFKA_HEAP_OPTS
	Dir       string   // for data directories and logs; a temporary one if empty
	Progress  io.Writer
}

// Result is what one target measured.
type Result struct {
	Target    string
	Report    *Report
	BrokerRSS int64 // the broker processes (Kafka: the JVMs) together after the phases; -1 if unknown
	CoordRSS  int64 // the sluice coordinator's members together after the phases; -1 for Kafka or if unknown
	Err       error
}

// Compare runs cfg.Load against each target in turn, each started fresh and
// stopped afterwards. A target that fails is reported in its Result and the
// others still run.
func Compare(ctx context.Context, cfg Config) ([]Result, error) {
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "kbench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	var out []Result
	for _, target := range cfg.Targets {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		r := runOne(ctx, cfg, dir, target)
		if r.Err != nil {
			fmt.Fprintf(benchcmp.Progress(cfg.Progress), "  %s failed: %v\n", target, r.Err)
		}
		out = append(out, r)
	}
	return out, nil
}

func runOne(ctx context.Context, cfg Config, dir, target string) Result {
	r := Result{Target: target, BrokerRSS: -1, CoordRSS: -1}
	p := benchcmp.Progress(cfg.Progress)
	fmt.Fprintf(p, "%s: starting\n", target)
	spec := Spec{Kind: target, Dir: dir, Brokers: cfg.Brokers, Replication: cfg.Load.Replication, Sluice: cfg.Sluice, Kafka: cfg.Kafka, KafkaHeap: cfg.KafkaHeap}
	t, err := Start(ctx, spec)
	if err != nil {
		r.Err = err
		return r
	}
	defer func() {
		t.Stop()
		fmt.Fprintf(p, "%s: stopped\n", target)
	}()
	l := cfg.Load
	l.Brokers = t.Addrs
	l.Progress = cfg.Progress
	r.Report, r.Err = l.Run(ctx)
	if r.Err == nil && r.Report != nil {
		r.Err = r.Report.Err()
	}
	if r.Err != nil {
		r.Err = fmt.Errorf("%w\nbroker logs:\n%s", r.Err, t.Tails(10))
	}
	if rss, err := t.ServerRSS(); err == nil {
		r.BrokerRSS = rss
	} else if r.Err == nil {
		r.Err = err
	}
	if rss, err := t.CoordinatorRSS(); err == nil {
		r.CoordRSS = rss
	} else if r.Err == nil {
		r.Err = err
	}
	return r
}

// WriteTable prints one row per phase: records/s of sluice and Kafka, their
// ratio, MB/s of both and the produce latencies of both; then the memory
// rows.
func WriteTable(w io.Writer, results []Result) error {
	find := func(target string) *Result {
		for i := range results {
			if results[i].Target == target {
				return &results[i]
			}
		}
		return nil
	}
	s, k := find(TargetSluice), find(TargetKafka)
	var names []string
	for _, r := range []*Result{s, k} {
		if r == nil || r.Report == nil {
			continue
		}
		for _, ph := range r.Report.Phases {
			if !slices.Contains(names, ph.Name) {
				names = append(names, ph.Name)
			}
		}
	}
	phase := func(r *Result, name string) *Phase {
		if r == nil || r.Report == nil {
			return nil
		}
		return r.Report.Phase(name)
	}
	tw := benchcmp.NewTable(w)
	fmt.Fprintf(tw, "%-22s\tsluice rec/s\tkafka rec/s\tsluice/kafka\tsluice MB/s\tkafka MB/s\tsluice p50\tsluice p99\tkafka p50\tkafka p99\t\n", "phase")
	for _, name := range names {
		sp, kp := phase(s, name), phase(k, name)
		fmt.Fprintf(tw, "%-22s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name,
			rate(sp), rate(kp), ratio(sp, kp), mbps(sp), mbps(kp), quant(sp, 0.5), quant(sp, 0.99), quant(kp, 0.5), quant(kp, 0.99))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	rss := func(r *Result, coord bool) int64 {
		switch {
		case r == nil:
			return -1
		case coord:
			return r.CoordRSS
		}
		return r.BrokerRSS
	}
	total := func(r *Result) int64 {
		b, c := rss(r, false), rss(r, true)
		if b < 0 {
			return -1
		}
		return b + max(c, 0)
	}
	tw = benchcmp.NewTable(w)
	fmt.Fprintf(tw, "%-36s\tsluice\tkafka\tsluice/kafka\t\n", "memory after the phases")
	fmt.Fprintf(tw, "%-36s\t%s\t%s\t%s\t\n", "RSS MiB brokers (kafka: the JVMs)", benchcmp.MiB(rss(s, false)), benchcmp.MiB(rss(k, false)), benchcmp.Ratio(float64(rss(s, false)), float64(rss(k, false))))
	fmt.Fprintf(tw, "%-36s\t%s\t%s\t%s\t\n", "RSS MiB coordinator (kafka: in JVM)", benchcmp.MiB(rss(s, true)), "-", "-")
	fmt.Fprintf(tw, "%-36s\t%s\t%s\t%s\t\n", "RSS MiB total", benchcmp.MiB(total(s)), benchcmp.MiB(total(k)), benchcmp.Ratio(float64(total(s)), float64(total(k))))
	return tw.Flush()
}

func rate(p *Phase) string {
	if p == nil || p.Records == 0 {
		return "-"
	}
	return benchcmp.Rate(p.RecordsPerSec(), p.Errors)
}

func mbps(p *Phase) string {
	if p == nil || p.Records == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", p.MBPerSec())
}

func ratio(s, k *Phase) string {
	if s == nil || k == nil {
		return "-"
	}
	return benchcmp.Ratio(s.RecordsPerSec(), k.RecordsPerSec())
}

// quant is a produce latency quantile; a consumer phase (no acks) has none.
func quant(p *Phase, q float64) string {
	if p == nil || p.Acks == "" {
		return "-"
	}
	return benchcmp.Quantile(&p.Latency, q)
}

// SummaryRows are the headline rows of a comparison for `sluice bench
// summary`: records/s of every phase and the p99 of every producer phase,
// then the total RSS, sluice next to Kafka, labelled with the brokers and
// replication factor the run used. The goal is Kafka's throughput or more,
// with a lower p99 and less memory.
func SummaryRows(results []Result, brokers, replication int) []benchcmp.Row {
	var s, k *Result
	for i := range results {
		switch results[i].Target {
		case TargetSluice:
			s = &results[i]
		case TargetKafka:
			k = &results[i]
		}
	}
	setup := benchcmp.Plural(max(brokers, 1), "broker")
	if replication > 1 {
		setup += fmt.Sprintf(" rf %d", replication)
	}
	var names []string
	for _, r := range []*Result{s, k} {
		if r == nil || r.Report == nil {
			continue
		}
		for _, ph := range r.Report.Phases {
			if !slices.Contains(names, ph.Name) {
				names = append(names, ph.Name)
			}
		}
	}
	phase := func(r *Result, name string) *Phase {
		if r == nil || r.Report == nil || r.Err != nil {
			return nil
		}
		return r.Report.Phase(name)
	}
	perSec := func(p *Phase) float64 {
		if p == nil {
			return 0
		}
		return p.RecordsPerSec()
	}
	p99 := func(p *Phase) float64 {
		if p == nil || p.Latency.Count() == 0 {
			return 0
		}
		return float64(p.Latency.Quantile(0.99)) / float64(time.Millisecond)
	}
	const anchor = "Kafka 3.9"
	var rows []benchcmp.Row
	for _, name := range names {
		sp, kp := phase(s, name), phase(k, name)
		rows = append(rows, benchcmp.Row{Component: "broker", Measure: fmt.Sprintf("%s rec/s, %s", name, setup),
			Sluice: perSec(sp), Anchor: anchor, AnchorValue: perSec(kp), Goal: ">=1x"})
		if (sp != nil && sp.Acks != "") || (kp != nil && kp.Acks != "") {
			rows = append(rows, benchcmp.Row{Component: "broker", Measure: fmt.Sprintf("%s p99 ms, %s", name, setup),
				Sluice: p99(sp), Anchor: anchor, AnchorValue: p99(kp), Goal: "<1x"})
		}
	}
	total := func(r *Result) float64 {
		if r == nil || r.BrokerRSS < 0 {
			return 0
		}
		return float64(r.BrokerRSS+max(r.CoordRSS, 0)) / (1 << 20)
	}
	rows = append(rows, benchcmp.Row{Component: "broker", Measure: "RSS MiB total, " + setup,
		Sluice: total(s), Anchor: anchor, AnchorValue: total(k), Goal: "<1x"})
	return rows
}
