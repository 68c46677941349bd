package coordinator

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
	TargetSluice    = testpeer.KindSluice
	TargetZooKeeper = testpeer.KindZooKeeper
)

// Config is a side-by-side run: the same Load against every target with
// every member count.
type Config struct {
	Targets   []string // TargetSluice, TargetZooKeeper
	Members   []int    // e.g. 1 and 3
	Load      Load     // the workload; Servers is set per target
	Rounds    int      // times the phases run against each target, interleaved; the table shows medians (default 1)
	Znodes    int      // znodes the fill phase creates before RSS is read; 0 skips it
	Sluice    string   // the sluice binary
	ZooKeeper string   // deploy/zookeeper/run.sh
	JavaOpts  string   // ZK_JAVA_OPTS, e.g. "-Xms2g -Xmx2g"
	Dir       string   // for data directories and logs; a temporary one if empty
	Progress  io.Writer
}

// Result is what one target with one member count measured.
type Result struct {
	Target    string
	Members   int
	Rounds    []*Report // one per round that ran
	Fill      *Phase
	RSSBefore []int64 // per member, before the fill phase
	RSSAfter  []int64 // per member, after it
	Err       error
}

// Compare runs cfg.Load against each target and member count in turn, each
// started fresh and stopped afterwards, cfg.Rounds times: round k of every
// target runs before round k+1 of any, so that a busy spell of a shared
// machine falls on one round of each rather than on all of one target's.
// The memory phase runs after the last round. A target that fails is
// reported in its Result (and not run again); the others still run.
func Compare(ctx context.Context, cfg Config) ([]Result, error) {
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "zkbench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	var out []Result
	for _, members := range cfg.Members {
		first := len(out)
		for _, target := range cfg.Targets {
			out = append(out, Result{Target: target, Members: members})
		}
		err := compare.TakeTurns(ctx, cfg.Rounds, len(cfg.Targets), func(round, i int) bool {
			r := &out[first+i]
			runRound(ctx, cfg, filepath.Join(dir, fmt.Sprintf("round-%d", round)), r, round, max(cfg.Rounds, 1))
			if r.Err != nil {
				fmt.Fprintf(compare.Progress(cfg.Progress), "  %s with %d members failed: %v\n", r.Target, members, r.Err)
			}
			return r.Err != nil
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// runRound starts r's target, runs the load's phases against it and adds
// their report to r; after the last round, the memory phase.
func runRound(ctx context.Context, cfg Config, dir string, r *Result, round, rounds int) {
	target, members := r.Target, r.Members
	p := compare.Progress(cfg.Progress)
	fmt.Fprintf(p, "%s, %d member(s), round %d of %d: starting\n", target, members, round, rounds)
	c, err := testpeer.StartEnsemble(ctx, testpeer.EnsembleSpec{Kind: target, Members: members, Dir: dir, Sluice: cfg.Sluice, ZooKeeper: cfg.ZooKeeper, JavaOpts: cfg.JavaOpts})
	if err != nil {
		r.Err = err
		return
	}
	defer func() {
		c.Stop()
		fmt.Fprintf(p, "%s, %d member(s): stopped\n", target, members)
	}()
	l := cfg.Load
	l.Servers = c.Addrs()
	l.Progress = cfg.Progress
	rep, err := l.Run(ctx)
	if rep != nil {
		r.Rounds = append(r.Rounds, rep)
	}
	if r.Err = err; err != nil || cfg.Znodes <= 0 || round < rounds {
		return
	}
	// Memory is measured on a fresh start, so that the 1 KiB znodes and the
	// log of the phases above do not count.
	c.Stop()
	fmt.Fprintf(p, "%s, %d member(s): restarting empty for the memory phase\n", target, members)
	c, err = testpeer.StartEnsemble(ctx, testpeer.EnsembleSpec{Kind: target, Members: members, Dir: filepath.Join(dir, "memory"), Sluice: cfg.Sluice, ZooKeeper: cfg.ZooKeeper, JavaOpts: cfg.JavaOpts})
	if err != nil {
		r.Err = err
		return
	}
	l.Servers = c.Addrs()
	if r.RSSBefore, r.Err = c.RSS(); r.Err != nil {
		return
	}
	f, err := l.Fill(ctx, fmt.Sprintf("/zkbench-fill-%d", time.Now().UnixNano()), cfg.Znodes)
	r.Fill = &f
	if err != nil {
		r.Err = err
		return
	}
	r.RSSAfter, r.Err = c.RSS()
}

// Stat is one phase of one target over its rounds: the median of each
// round's ops/s, p50 and p99 (each taken on its own), and the errors of
// all rounds.
type Stat struct {
	Rounds    int
	OpsPerSec float64
	P50, P99  time.Duration
	Errors    uint64
}

// Stat returns the phase called name over r's rounds (for "fill", the fill
// phase); ok is false if no round has it.
func (r *Result) Stat(name string) (st Stat, ok bool) {
	var phases []*Phase
	if name == "fill" {
		if r.Fill != nil {
			phases = append(phases, r.Fill)
		}
	} else {
		for _, rep := range r.Rounds {
			if p := rep.Phase(name); p != nil {
				phases = append(phases, p)
			}
		}
	}
	if len(phases) == 0 {
		return Stat{}, false
	}
	var ops []float64
	var p50, p99 []time.Duration
	for _, p := range phases {
		st.Errors += p.Errors
		if p.Ops == 0 {
			continue
		}
		ops = append(ops, p.OpsPerSec())
		if p.Latency.Count() > 0 {
			p50 = append(p50, p.Latency.Quantile(0.5))
			p99 = append(p99, p.Latency.Quantile(0.99))
		}
	}
	st.Rounds = len(phases)
	st.OpsPerSec, st.P50, st.P99 = compare.Median(ops), compare.Median(p50), compare.Median(p99)
	return st, true
}

// WriteTable prints one row per (phase, members): ops/s of sluice and
// ZooKeeper, their ratio and both latencies; then the memory rows.
func WriteTable(w io.Writer, results []Result) error {
	find := func(target string, members int) *Result {
		for i := range results {
			if results[i].Target == target && results[i].Members == members {
				return &results[i]
			}
		}
		return nil
	}
	var members []int
	for _, r := range results {
		if !slices.Contains(members, r.Members) {
			members = append(members, r.Members)
		}
	}
	tw := compare.NewTable(w)
	fmt.Fprintf(tw, "%-26s\tmembers\tsluice ops/s\tzk ops/s\tsluice/zk\tsluice p50\tsluice p99\tzk p50\tzk p99\t\n", "phase")
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
	for _, name := range []string{"create", "setData", "getData", "fill"} {
		for _, m := range members {
			s, z := phase(find(TargetSluice, m), name), phase(find(TargetZooKeeper, m), name)
			if s == nil && z == nil {
				continue
			}
			label := name
			if name == "fill" {
				label = "fill (znodes/s, multi×100)"
			}
			fmt.Fprintf(tw, "%-26s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", label, m,
				rate(s), rate(z), ratio(s, z), quant(s, 0.5), quant(s, 0.99), quant(z, 0.5), quant(z, 0.99))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = compare.NewTable(w)
	fmt.Fprintf(tw, "%-26s\tmembers\tsluice\tzk\tsluice/zk\t\n", "memory, fresh start")
	for _, m := range members {
		s, z := find(TargetSluice, m), find(TargetZooKeeper, m)
		sa, za := largest(s), largest(z)
		if sa < 0 && za < 0 {
			continue
		}
		s0, z0 := atStart(s), atStart(z)
		fmt.Fprintf(tw, "%-26s\t%d\t%s\t%s\t%s\t\n", "RSS MiB empty", m, compare.MiB(s0), compare.MiB(z0), compare.Ratio(float64(s0), float64(z0)))
		fmt.Fprintf(tw, "%-26s\t%d\t%s\t%s\t%s\t\n", "RSS MiB after fill, max", m, compare.MiB(sa), compare.MiB(za), compare.Ratio(float64(sa), float64(za)))
		sg, zg := growth(s), growth(z)
		fmt.Fprintf(tw, "%-26s\t%d\t%s\t%s\t%s\t\n", "RSS growth B/znode", m, num(sg), num(zg), compare.Ratio(sg, zg))
	}
	return tw.Flush()
}

func rate(st *Stat) string {
	if st == nil || st.OpsPerSec == 0 {
		return "-"
	}
	return compare.Rate(st.OpsPerSec, st.Errors)
}

func ratio(s, z *Stat) string {
	if s == nil || z == nil {
		return "-"
	}
	return compare.Ratio(s.OpsPerSec, z.OpsPerSec)
}

func quant(st *Stat, q float64) string {
	d := time.Duration(0)
	if st != nil {
		d = st.P50
		if q > 0.5 {
			d = st.P99
		}
	}
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// largest is the largest member's RSS after the fill phase, or -1.
func largest(r *Result) int64 {
	if r == nil || len(r.RSSAfter) == 0 {
		return -1
	}
	return slices.Max(r.RSSAfter)
}

// atStart is the RSS of the member largest after the fill, before it, or -1.
func atStart(r *Result) int64 {
	if r == nil || len(r.RSSAfter) == 0 || len(r.RSSBefore) != len(r.RSSAfter) {
		return -1
	}
	return r.RSSBefore[slices.Index(r.RSSAfter, slices.Max(r.RSSAfter))]
}

// growth is how much the largest member's RSS grew per znode in the fill
// phase, or -1.
func growth(r *Result) float64 {
	if r == nil || r.Fill == nil || r.Fill.Ops == 0 || len(r.RSSAfter) == 0 || len(r.RSSBefore) != len(r.RSSAfter) {
		return -1
	}
	i := slices.Index(r.RSSAfter, slices.Max(r.RSSAfter))
	return float64(r.RSSAfter[i]-r.RSSBefore[i]) / float64(r.Fill.Ops)
}

func num(f float64) string {
	if f == -1 {
		return "-"
	}
	return fmt.Sprintf("%.0f", f)
}

// SummaryRows are the headline rows of a comparison for `sluice-bench
// summary`: ops/s and p99 of create, setData and getData, and the RSS after
// the fill, per member count, sluice next to ZooKeeper. The goal is
// ZooKeeper's throughput or more, with a lower p99 and less memory.
func SummaryRows(results []Result) []compare.Row {
	find := func(target string, members int) *Result {
		for i := range results {
			if results[i].Target == target && results[i].Members == members {
				return &results[i]
			}
		}
		return nil
	}
	var members []int
	for _, r := range results {
		if !slices.Contains(members, r.Members) {
			members = append(members, r.Members)
		}
	}
	opsPerSec := func(r *Result, name string) float64 {
		if r == nil {
			return 0
		}
		st, _ := r.Stat(name)
		return st.OpsPerSec
	}
	p99 := func(r *Result, name string) float64 {
		if r == nil {
			return 0
		}
		st, _ := r.Stat(name)
		return float64(st.P99) / float64(time.Millisecond)
	}
	const anchor = "ZooKeeper 3.8"
	var rows []compare.Row
	for _, m := range members {
		s, z := find(TargetSluice, m), find(TargetZooKeeper, m)
		who := compare.Plural(m, "member")
		for _, name := range []string{"create", "setData", "getData"} {
			rows = append(rows,
				compare.Row{Component: "coordinator", Measure: fmt.Sprintf("%s ops/s, %s", name, who), Sluice: opsPerSec(s, name), Anchor: anchor, AnchorValue: opsPerSec(z, name), Goal: ">=1x"},
				compare.Row{Component: "coordinator", Measure: fmt.Sprintf("%s p99 ms, %s", name, who), Sluice: p99(s, name), Anchor: anchor, AnchorValue: p99(z, name), Goal: "<1x"})
		}
		if sa, za := largest(s), largest(z); sa > 0 || za > 0 {
			rows = append(rows, compare.Row{Component: "coordinator", Measure: "RSS MiB after fill, " + who,
				Sluice: float64(sa) / (1 << 20), Anchor: anchor, AnchorValue: float64(za) / (1 << 20), Goal: "<1x"})
		}
	}
	return rows
}
