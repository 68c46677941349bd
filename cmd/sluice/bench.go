package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/agent/abench"
	"github.com/sluicelogs/sluice/broker/kbench"
	"github.com/sluicelogs/sluice/coordinator/zkbench"
	"github.com/sluicelogs/sluice/indexer/ibench"
	"github.com/sluicelogs/sluice/internal/benchcmp"
	"github.com/sluicelogs/sluice/up/upbench"
)

// runBench dispatches `sluice bench <what>`: a component next to its
// anchor, or the summary of such runs.
func runBench(ctx context.Context, e *env, args []string) error {
	switch {
	case len(args) > 0 && args[0] == "coordinator":
		return benchCoordinator(ctx, e, args[1:])
	case len(args) > 0 && args[0] == "broker":
		return kbench.Main(ctx, e.stdout, e.stderr, args[1:], func(path string) (string, error) { return sluiceBinary(ctx, e, path) })
	case len(args) > 0 && args[0] == "indexer":
		return ibench.Main(ctx, e.stdout, e.stderr, args[1:], func(path string) (string, error) { return sluiceBinary(ctx, e, path) })
	case len(args) > 0 && args[0] == "agent":
		return abench.Main(ctx, e.stdout, e.stderr, args[1:], func(path string) (string, error) { return sluiceBinary(ctx, e, path) })
	case len(args) > 0 && args[0] == "e2e":
		return upbench.Main(ctx, e.stdout, e.stderr, args[1:], func(path string) (string, error) { return sluiceBinary(ctx, e, path) })
	case len(args) > 0 && args[0] == "summary":
		return benchSummary(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "Usage: sluice bench coordinator|broker|agent|indexer|e2e [flags]\n       sluice bench summary FILE\n\nRun `sluice bench <which> -h` for its flags.\n")
	return errors.New("want `bench coordinator`, `bench broker`, `bench agent`, `bench indexer`, `bench e2e` or `bench summary FILE`")
}

// benchSummary is `sluice bench summary FILE`: the rows the benches
// appended to FILE with -summary, as one table.
func benchSummary(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice bench summary", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: sluice bench summary FILE\n\nPrints the rows that `sluice bench <x> -summary FILE` appended to FILE as one table.\n")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("bench summary: want one FILE")
	}
	rows, err := benchcmp.ReadSummary(fs.Arg(0))
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("bench summary: no rows in %s", fs.Arg(0))
	}
	fmt.Fprintf(e.stdout, "\nsluice vs its anchors, %s — %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), benchcmp.Machine(ctx))
	if err := benchcmp.WriteSummary(e.stdout, rows); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "sluice/anchor is sluice divided by the anchor; goals with × are on that ratio, the others on sluice's own value;")
	fmt.Fprintln(e.stdout, "\"-\": no anchor, or not measured (a skipped or failed run). Each component's own table has every figure.")
	return nil
}

// benchCoordinator runs the same ZooKeeper-protocol load against sluice
// coordinators and Apache ZooKeeper 3.8 started as processes on this
// machine, and prints one table comparing them.
func benchCoordinator(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice bench coordinator", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	clients := fs.Int("clients", 32, "concurrent clients, each its own session and connection, one request in flight each")
	duration := fs.Duration("duration", 5*time.Second, "length of each of the create, setData and getData phases")
	ops := fs.Int("ops", 0, "operations per phase over all clients instead of -duration (0: use -duration)")
	warmup := fs.Duration("warmup", 2*time.Second, "untimed create+getData load before the phases (JIT, caches)")
	rounds := fs.Int("rounds", 3, "times the phases run against each target (each started afresh), the targets taking turns; the table shows the median of the rounds")
	dataSize := fs.Int("data-size", 1024, "bytes of data written by create and setData")
	znodes := fs.Int("znodes", 1_000_000, "small znodes created (pipelined multi requests) before resident memory is read; 0 skips the memory phase")
	members := fs.String("members", "1,3", "comma-separated member counts: 1 is standalone, more is an ensemble")
	targets := fs.String("targets", "sluice,zookeeper", "comma-separated targets: sluice, zookeeper")
	sluiceBin := fs.String("sluice", "", "sluice binary for the coordinator members (default: this binary; a missing path is built with go build)")
	zkScript := fs.String("zookeeper", "deploy/zookeeper/run.sh", "the script that runs one Apache ZooKeeper member")
	javaOpts := fs.String("zk-java-opts", "-Xms2g -Xmx2g", "ZK_JAVA_OPTS for the ZooKeeper JVMs (heap for 1M znodes)")
	keep := fs.String("dir", "", "keep data directories and member logs here (default: a temporary directory, removed)")
	cpuprofile := fs.String("cpuprofile", "", "after the table, run the load once more against a sluice standalone coordinator inside this process and write its CPU profile here")
	summary := benchcmp.SummaryFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if *summary != "" {
		if err := benchcmp.AppendSummary(*summary, nil); err != nil {
			return err
		}
	}
	cfg := zkbench.Config{
		Load: zkbench.Load{
			Clients: *clients, Duration: *duration, Ops: *ops, Warmup: *warmup, DataSize: *dataSize,
		},
		Rounds: *rounds, Znodes: *znodes, ZooKeeper: *zkScript, JavaOpts: *javaOpts, Dir: *keep, Progress: e.stderr,
	}
	for _, m := range strings.Split(*members, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(m))
		if err != nil || n < 1 {
			return fmt.Errorf("-members %q: want positive numbers separated by commas", *members)
		}
		cfg.Members = append(cfg.Members, n)
	}
	for _, t := range strings.Split(*targets, ",") {
		switch t = strings.TrimSpace(t); t {
		case zkbench.TargetSluice, zkbench.TargetZooKeeper:
			cfg.Targets = append(cfg.Targets, t)
		default:
			return fmt.Errorf("-targets: unknown target %q (want sluice, zookeeper)", t)
		}
	}
	bin, err := sluiceBinary(ctx, e, *sluiceBin)
	if err != nil {
		return err
	}
	cfg.Sluice = bin
	if _, err := os.Stat(cfg.ZooKeeper); err != nil && slices.Contains(cfg.Targets, zkbench.TargetZooKeeper) {
		return fmt.Errorf("-zookeeper: %w (run from the repository root, after `make peers`)", err)
	}

	machine := zkbench.Machine(ctx)
	results, err := zkbench.Compare(ctx, cfg)
	if err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "\nsluice coordinator vs Apache ZooKeeper 3.8 — %s\n", machine)
	load := fmt.Sprintf("%v per phase", *duration)
	if *ops > 0 {
		load = fmt.Sprintf("%d ops per phase", *ops)
	}
	fmt.Fprintf(w, "%d clients (closed loop, one request in flight each, spread round-robin over the members), %s, %d-byte data, warm-up %v;\n", *clients, load, *dataSize, *warmup)
	fmt.Fprintf(w, "%s, the targets taking turns: ops/s, p50 and p99 are each the median of the rounds;\n", benchcmp.Plural(max(*rounds, 1), "round"))
	fmt.Fprintf(w, "fill: %d znodes of 16 bytes, 1000 per parent, multi of 100 creates, 8 sessions × 4 in flight; ZooKeeper heap: %s; tickTime=2000\n\n", *znodes, *javaOpts)
	if err := zkbench.WriteTable(w, results); err != nil {
		return err
	}
	fmt.Fprintln(w, "ops/s: higher is better; RSS: lower is better; sluice/zk is sluice divided by ZooKeeper.")
	var failed []string
	if *summary != "" {
		if err := benchcmp.AppendSummary(*summary, zkbench.SummaryRows(results)); err != nil {
			failed = append(failed, err.Error())
		}
	}
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, fmt.Sprintf("%s with %d members: %v", r.Target, r.Members, r.Err))
		}
	}
	if *cpuprofile != "" {
		fmt.Fprintf(e.stderr, "profile pass: sluice standalone in-process, CPU profile to %s\n", *cpuprofile)
		l := cfg.Load
		l.Progress = e.stderr
		if err := zkbench.ProfileSluice(ctx, l, *znodes, *cpuprofile); err != nil {
			failed = append(failed, "profile pass: "+err.Error())
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// sluiceBinary returns the binary for coordinator members: path, built if
// missing, or else this very executable.
func sluiceBinary(ctx context.Context, e *env, path string) (string, error) {
	if path == "" {
		return os.Executable()
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err == nil {
		return abs, nil
	}
	root, err := zkbench.ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("-sluice %s is missing and cannot be built: %w", path, err)
	}
	fmt.Fprintf(e.stderr, "building %s\n", abs)
	return abs, zkbench.BuildSluice(ctx, root, abs)
}
