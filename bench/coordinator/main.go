package coordinator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/bench/cli"
	"github.com/sluicelogs/sluice/bench/compare"
)

// Main is `sluice-bench coordinator`: it runs the same ZooKeeper-protocol
// load against sluice coordinators and Apache ZooKeeper 3.8 started as
// processes on this machine, and prints one table comparing them to stdout
// (progress to stderr).
func Main(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := cli.New("coordinator", stderr, "the coordinator members", "data directories and member logs")
	clients := fs.Int("clients", 32, "concurrent clients, each its own session and connection, one request in flight each")
	duration := fs.Duration("duration", 5*time.Second, "length of each of the create, setData and getData phases")
	ops := fs.Int("ops", 0, "operations per phase over all clients instead of -duration (0: use -duration)")
	warmup := fs.Duration("warmup", 2*time.Second, "untimed create+getData load before the phases (JIT, caches)")
	rounds := fs.Int("rounds", 3, "times the phases run against each target (each started afresh), the targets taking turns; the table shows the median of the rounds")
	dataSize := fs.Int("data-size", 1024, "bytes of data written by create and setData")
	znodes := fs.Int("znodes", 1_000_000, "small znodes created (pipelined multi requests) before resident memory is read; 0 skips the memory phase")
	members := fs.String("members", "1,3", "comma-separated member counts: 1 is standalone, more is an ensemble")
	targets := fs.Targets("targets", TargetZooKeeper)
	zkScript := fs.String("zookeeper", "deploy/zookeeper/run.sh", "the script that runs one Apache ZooKeeper member")
	javaOpts := fs.String("zk-java-opts", "-Xms2g -Xmx2g", "ZK_JAVA_OPTS for the ZooKeeper JVMs (heap for 1M znodes)")
	cpuprofile := fs.String("cpuprofile", "", "after the table, run the load once more against a sluice standalone coordinator inside this process and write its CPU profile here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := Config{
		Load: Load{
			Clients: *clients, Duration: *duration, Ops: *ops, Warmup: *warmup, DataSize: *dataSize,
		},
		Rounds: *rounds, Znodes: *znodes, ZooKeeper: *zkScript, JavaOpts: *javaOpts, Dir: fs.Dir(), Progress: stderr,
	}
	for _, m := range strings.Split(*members, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(m))
		if err != nil || n < 1 {
			return fmt.Errorf("-members %q: want positive numbers separated by commas", *members)
		}
		cfg.Members = append(cfg.Members, n)
	}
	targetList, err := targets()
	if err != nil {
		return err
	}
	cfg.Targets = targetList
	bin, err := fs.Sluice(ctx)
	if err != nil {
		return err
	}
	cfg.Sluice = bin
	if _, err := os.Stat(cfg.ZooKeeper); err != nil && slices.Contains(cfg.Targets, TargetZooKeeper) {
		return fmt.Errorf("-zookeeper: %w (run from the repository root, after `make peers`)", err)
	}

	machine := compare.Machine(ctx)
	results, err := Compare(ctx, cfg)
	if err != nil {
		return err
	}
	w := stdout
	fmt.Fprintf(w, "\nsluice coordinator vs Apache ZooKeeper 3.8 — %s\n", machine)
	load := fmt.Sprintf("%v per phase", *duration)
	if *ops > 0 {
		load = fmt.Sprintf("%d ops per phase", *ops)
	}
	fmt.Fprintf(w, "%d clients (closed loop, one request in flight each, spread round-robin over the members), %s, %d-byte data, warm-up %v;\n", *clients, load, *dataSize, *warmup)
	fmt.Fprintf(w, "%s, the targets taking turns: ops/s, p50 and p99 are each the median of the rounds;\n", compare.Plural(max(*rounds, 1), "round"))
	fmt.Fprintf(w, "fill: %d znodes of 16 bytes, 1000 per parent, multi of 100 creates, 8 sessions × 4 in flight; ZooKeeper heap: %s; tickTime=2000\n\n", *znodes, *javaOpts)
	if err := WriteTable(w, results); err != nil {
		return err
	}
	fmt.Fprintln(w, "ops/s: higher is better; RSS: lower is better; sluice/zk is sluice divided by ZooKeeper.")
	var failed []string
	if err := fs.AppendSummary(SummaryRows(results)); err != nil {
		failed = append(failed, err.Error())
	}
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, fmt.Sprintf("%s with %d members: %v", r.Target, r.Members, r.Err))
		}
	}
	if *cpuprofile != "" {
		fmt.Fprintf(stderr, "profile pass: sluice standalone in-process, CPU profile to %s\n", *cpuprofile)
		l := cfg.Load
		l.Progress = stderr
		if err := ProfileSluice(ctx, l, *znodes, *cpuprofile); err != nil {
			failed = append(failed, "profile pass: "+err.Error())
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}
