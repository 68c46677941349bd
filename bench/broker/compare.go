package broker

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sluicelogs/sluice/bench/compare"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// The targets a comparison knows.
const (
	TargetSluice = testpeer.KindSluice
	TargetKafka  = testpeer.KindKafka
)

// Config is a side-by-side run: the same Load against every target.
type Config struct {
	Targets   []string // TargetSluice, TargetKafka
	Security  string   // SecurityPlaintext ("" too) or SecuritySASLSSL: how the load client reaches the brokers
	Brokers   int      // brokers of each target, default 1
	Load      Load     // the workload; Brokers is set per target, Replication is the topics' and the brokers' default
	Rounds    int      // times the phases run against each target, the targets taking turns; the table shows medians (default 1)
	Sluice    string   // the sluice binary
	Kafka     string   // deploy/kafka/run.sh
	KafkaHeap string   // KAFKA_HEAP_OPTS
	Dir       string   // for data directories and logs; a temporary one if empty
	Progress  io.Writer
}

// Result is what one target measured.
type Result struct {
	Target    string
	Rounds    []*Report // one per round that ran
	BrokerRSS int64     // the broker processes (Kafka: the JVMs) together after the last round's phases; -1 if unknown
	CoordRSS  int64     // the sluice coordinator's members together after them; -1 for Kafka or if unknown
	Err       error
}

// Compare runs cfg.Load against each target in turn, each started fresh and
// stopped afterwards, cfg.Rounds times: round k of every target runs before
// round k+1 of any. A target that fails is reported in its Result (and not
// run again); the others still run.
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
	out := make([]Result, len(cfg.Targets))
	for i, target := range cfg.Targets {
		out[i] = Result{Target: target, BrokerRSS: -1, CoordRSS: -1}
	}
	err := compare.TakeTurns(ctx, cfg.Rounds, len(out), func(round, i int) bool {
		r := &out[i]
		runRound(ctx, cfg, filepath.Join(dir, fmt.Sprintf("round-%d", round)), r, round, max(cfg.Rounds, 1))
		if r.Err != nil {
			fmt.Fprintf(compare.Progress(cfg.Progress), "  %s failed: %v\n", r.Target, r.Err)
		}
		return r.Err != nil
	})
	return out, err
}

// runRound starts r's target, runs the load's phases against it and adds
// their report to r; after the last round it reads the processes' memory.
func runRound(ctx context.Context, cfg Config, dir string, r *Result, round, rounds int) {
	target := r.Target
	p := compare.Progress(cfg.Progress)
	fmt.Fprintf(p, "%s, round %d of %d: starting\n", target, round, rounds)
	spec := testpeer.BrokersSpec{Kind: target, Dir: dir, Brokers: cfg.Brokers, Replication: cfg.Load.Replication, Sluice: cfg.Sluice, Kafka: cfg.Kafka, KafkaHeap: cfg.KafkaHeap}
	var sec *saslSSL
	if cfg.Security == SecuritySASLSSL {
		var err error
		if sec, err = newSASLSSL(filepath.Join(dir, target+"-pki"), cfg.Brokers); err != nil {
			r.Err = err
			return
		}
		sec.apply(&spec)
	}
	t, err := testpeer.StartBrokers(ctx, spec)
	if err != nil {
		r.Err = err
		return
	}
	defer func() {
		t.Stop()
		fmt.Fprintf(p, "%s: stopped\n", target)
	}()
	l := cfg.Load
	l.Brokers = t.Addrs
	l.Progress = cfg.Progress
	if sec != nil {
		if l.Brokers, l.ClientOpts, err = sec.login(ctx, t); err != nil {
			r.Err = fmt.Errorf("%w\nbroker logs:\n%s", err, t.Tails(10))
			return
		}
	}
	rep, err := l.Run(ctx)
	if err == nil && rep != nil {
		err = rep.Err()
	}
	if rep != nil {
		r.Rounds = append(r.Rounds, rep)
	}
	if err != nil {
		r.Err = fmt.Errorf("%w\nbroker logs:\n%s", err, t.Tails(10))
		return
	}
	if round < rounds {
		return
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
}

// Stat is one phase of one target over its rounds: the median of each
// round's records/s, MB/s, p50 and p99 (each taken on its own), and the
// errors of all rounds. Acks is the phase's ("" for the consumer phase).
type Stat struct {
	Rounds                  int
	Acks                    string
	RecordsPerSec, MBPerSec float64
	P50, P99                time.Duration
	Errors                  uint64
}

// Stat returns the phase called name over r's rounds; ok is false if no
// round has it.
func (r *Result) Stat(name string) (st Stat, ok bool) {
	var recs, mbs []float64
	var p50, p99 []time.Duration
	for _, rep := range r.Rounds {
		ph := rep.Phase(name)
		if ph == nil {
			continue
		}
		st.Rounds++
		st.Acks = ph.Acks
		st.Errors += ph.Errors
		if ph.Records == 0 {
			continue
		}
		recs, mbs = append(recs, ph.RecordsPerSec()), append(mbs, ph.MBPerSec())
		if ph.Latency.Count() > 0 {
			p50 = append(p50, ph.Latency.Quantile(0.5))
			p99 = append(p99, ph.Latency.Quantile(0.99))
		}
	}
	st.RecordsPerSec, st.MBPerSec = compare.Median(recs), compare.Median(mbs)
	st.P50, st.P99 = compare.Median(p50), compare.Median(p99)
	return st, st.Rounds > 0
}

// phaseNames lists the phases of the results' reports, in order.
func phaseNames(results ...*Result) []string {
	var names []string
	for _, r := range results {
		if r == nil {
			continue
		}
		for _, rep := range r.Rounds {
			for _, ph := range rep.Phases {
				if !slices.Contains(names, ph.Name) {
					names = append(names, ph.Name)
				}
			}
		}
	}
	return names
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
	names := phaseNames(s, k)
	phase := func(r *Result, name string) *Stat {
		if r == nil {
			return nil
		}
		st, ok := r.Stat(name)
		if !ok {
			return nil
		}
		return &st
	}
	tw := compare.NewTable(w)
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
	tw = compare.NewTable(w)
	fmt.Fprintf(tw, "%-36s\tsluice\tkafka\tsluice/kafka\t\n", "memory after the phases")
	fmt.Fprintf(tw, "%-36s\t%s\t%s\t%s\t\n", "RSS MiB brokers (kafka: the JVMs)", compare.MiB(rss(s, false)), compare.MiB(rss(k, false)), compare.Ratio(float64(rss(s, false)), float64(rss(k, false))))
	fmt.Fprintf(tw, "%-36s\t%s\t%s\t%s\t\n", "RSS MiB coordinator (kafka: in JVM)", compare.MiB(rss(s, true)), "-", "-")
	fmt.Fprintf(tw, "%-36s\t%s\t%s\t%s\t\n", "RSS MiB total", compare.MiB(total(s)), compare.MiB(total(k)), compare.Ratio(float64(total(s)), float64(total(k))))
	return tw.Flush()
}

func rate(st *Stat) string {
	if st == nil || st.RecordsPerSec == 0 {
		return "-"
	}
	return compare.Rate(st.RecordsPerSec, st.Errors)
}

func mbps(st *Stat) string {
	if st == nil || st.RecordsPerSec == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", st.MBPerSec)
}

func ratio(s, k *Stat) string {
	if s == nil || k == nil {
		return "-"
	}
	return compare.Ratio(s.RecordsPerSec, k.RecordsPerSec)
}

// quant is a produce latency quantile; a consumer phase (no acks) has none.
func quant(st *Stat, q float64) string {
	if st == nil || st.Acks == "" {
		return "-"
	}
	d := st.P50
	if q > 0.5 {
		d = st.P99
	}
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// SummaryRows are the headline rows of a comparison for `sluice-bench
// summary`: records/s of every phase and the p99 of every producer phase,
// then the total RSS, sluice next to Kafka, labelled with the brokers and
// replication factor the run used and, for SASL_SSL, ", SASL_SSL". The
// goal is Kafka's throughput or more, with a lower p99 and less memory.
func SummaryRows(results []Result, brokers, replication int, security string) []compare.Row {
	var s, k *Result
	for i := range results {
		switch results[i].Target {
		case TargetSluice:
			s = &results[i]
		case TargetKafka:
			k = &results[i]
		}
	}
	setup := compare.Plural(max(brokers, 1), "broker")
	if replication > 1 {
		setup += fmt.Sprintf(" rf %d", replication)
	}
	setup += securitySetup(security)
	names := phaseNames(s, k)
	phase := func(r *Result, name string) *Stat {
		if r == nil || r.Err != nil {
			return nil
		}
		st, ok := r.Stat(name)
		if !ok {
			return nil
		}
		return &st
	}
	perSec := func(st *Stat) float64 {
		if st == nil {
			return 0
		}
		return st.RecordsPerSec
	}
	p99 := func(st *Stat) float64 {
		if st == nil {
			return 0
		}
		return float64(st.P99) / float64(time.Millisecond)
	}
	const anchor = "Kafka 3.9"
	var rows []compare.Row
	for _, name := range names {
		sp, kp := phase(s, name), phase(k, name)
		rows = append(rows, compare.Row{Component: "broker", Measure: fmt.Sprintf("%s rec/s, %s", name, setup),
			Sluice: perSec(sp), Anchor: anchor, AnchorValue: perSec(kp), Goal: ">=1x"})
		if (sp != nil && sp.Acks != "") || (kp != nil && kp.Acks != "") {
			rows = append(rows, compare.Row{Component: "broker", Measure: fmt.Sprintf("%s p99 ms, %s", name, setup),
				Sluice: p99(sp), Anchor: anchor, AnchorValue: p99(kp), Goal: "<1x"})
		}
	}
	total := func(r *Result) float64 {
		if r == nil || r.BrokerRSS < 0 {
			return 0
		}
		return float64(r.BrokerRSS+max(r.CoordRSS, 0)) / (1 << 20)
	}
	rows = append(rows, compare.Row{Component: "broker", Measure: "RSS MiB total, " + setup,
		Sluice: total(s), Anchor: anchor, AnchorValue: total(k), Goal: "<1x"})
	return rows
}
