package kbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/internal/benchcmp"
)

// Main is `sluice bench broker`: it parses args, runs the comparison and
// prints the table to stdout (progress to stderr). sluiceBinary turns the
// -sluice flag into the binary for the sluice processes ("" means the
// running executable; a missing path is built).
func Main(ctx context.Context, stdout, stderr io.Writer, args []string, sluiceBinary func(path string) (string, error)) error {
	fs := flag.NewFlagSet("sluice bench broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 5*time.Second, "length of each producer phase (one per record size and acks setting)")
	warmup := fs.Duration("warmup", 3*time.Second, "untimed acks=all produce and a consume before the phases (JIT, caches); 0 skips it")
	rounds := fs.Int("rounds", 3, "times the phases run against each target (each started afresh), the targets taking turns; the table shows the median of the rounds")
	partitions := fs.Int("partitions", 3, "partitions of each topic")
	brokers := fs.Int("brokers", 1, "brokers of each target: sluice broker processes (with a standalone coordinator for 1, a 3-member coordinator ensemble for more), Kafka KRaft JVMs (each broker and controller)")
	rf := fs.Int("rf", 1, "replication factor of each topic (and the brokers' default.replication.factor); at most -brokers. A phase starts once every partition's ISR is full")
	acksFlag := fs.String("acks", "1,all", "comma-separated acks settings to run: 1 (leader only, not idempotent), all (the ISR, idempotent)")
	sizes := fs.String("sizes", "100,1024", "comma-separated record value sizes in bytes; the consumer phase reads the largest size's acks=1 topic")
	maxBuffered := fs.Int("max-buffered", 4096, "records the producer keeps buffered or in flight (kgo.MaxBufferedRecords); Produce blocks beyond it")
	linger := fs.Duration("linger", 0, "producer linger (kgo.ProducerLinger); 0 sends as soon as a request slot is free")
	targets := fs.String("targets", "sluice,kafka", "comma-separated targets: sluice, kafka")
	sluiceBin := fs.String("sluice", "", "sluice binary for the coordinator and broker processes (default: this binary; a missing path is built with go build)")
	kafkaScript := fs.String("kafka", "deploy/kafka/run.sh", "the script that runs Apache Kafka (KRaft, one node)")
	kafkaHeap := fs.String("kafka-heap", "-Xms1g -Xmx1g", "KAFKA_HEAP_OPTS for each Kafka JVM")
	keep := fs.String("dir", "", "keep data directories and process logs here (default: a temporary directory, removed)")
	cpuprofile := fs.String("cpuprofile", "", "after the table, run the load once more against sluice brokers inside this process (their coordinator as processes) and write its CPU profile here")
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
	cfg := Config{
		Brokers: *brokers, Rounds: *rounds,
		Load: Load{
			Partitions: *partitions, Replication: *rf, Duration: *duration, Warmup: *warmup, MaxBuffered: *maxBuffered, Linger: *linger,
		},
		Kafka: *kafkaScript, KafkaHeap: *kafkaHeap, Dir: *keep, Progress: stderr,
	}
	if *partitions < 1 || *duration <= 0 || *maxBuffered < 1 || *brokers < 1 || *rf < 1 {
		return errors.New("-partitions, -brokers, -rf, -duration and -max-buffered must be positive")
	}
	if *rf > *brokers {
		return fmt.Errorf("-rf %d is more than -brokers %d", *rf, *brokers)
	}
	for _, a := range strings.Split(*acksFlag, ",") {
		switch a = strings.TrimSpace(a); a {
		case "1":
			cfg.Load.Acks = append(cfg.Load.Acks, AcksLeader)
		case "all", "-1":
			cfg.Load.Acks = append(cfg.Load.Acks, AcksAll)
		default:
			return fmt.Errorf("-acks: unknown setting %q (want 1, all)", a)
		}
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-sizes %q: want positive numbers separated by commas", *sizes)
		}
		cfg.Load.Sizes = append(cfg.Load.Sizes, n)
	}
	for _, t := range strings.Split(*targets, ",") {
		switch t = strings.TrimSpace(t); t {
		case TargetSluice, TargetKafka:
			cfg.Targets = append(cfg.Targets, t)
		default:
			return fmt.Errorf("-targets: unknown target %q (want sluice, kafka)", t)
		}
	}
	bin, err := sluiceBinary(*sluiceBin)
	if err != nil {
		return err
	}
	cfg.Sluice = bin
	if slices.Contains(cfg.Targets, TargetKafka) {
		if _, err := os.Stat(cfg.Kafka); err != nil {
			return fmt.Errorf("-kafka: %w (run from the repository root, after `make peers`)", err)
		}
		fmt.Fprintf(stderr, "kafka: KAFKA_HEAP_OPTS=%q\n", cfg.KafkaHeap)
	}

	machine := benchcmp.Machine(ctx)
	results, err := Compare(ctx, cfg)
	if err != nil {
		return err
	}
	l := cfg.Load
	l.defaults()
	fmt.Fprintf(stdout, "\nsluice broker vs Apache Kafka 3.9 — %s\n", machine)
	fmt.Fprintf(stdout, "franz-go %s, one producer client per phase, %v per phase, %s, %d partitions × %s (full ISR before each phase), min.insync.replicas=1,\n",
		franzVersion(), l.Duration, benchcmp.Plural(max(cfg.Brokers, 1), "broker"), l.Partitions, benchcmp.Plural(l.Replication, "replica"))
	fmt.Fprintf(stdout, "no compression, max %d records buffered, linger %v, warm-up %v;\n", l.MaxBuffered, l.Linger, l.Warmup)
	fmt.Fprintf(stdout, "%s, the targets taking turns: rec/s, MB/s, p50 and p99 are each the median of the rounds, RSS is after the last;\n", benchcmp.Plural(max(*rounds, 1), "round"))
	if cfg.Brokers > 1 {
		fmt.Fprintf(stdout, "sluice: %d broker processes + a %d-member coordinator ensemble; Kafka: %d KRaft JVMs (each broker+controller), KAFKA_HEAP_OPTS=%q each\n\n",
			cfg.Brokers, CoordinatorMembers(cfg.Brokers), cfg.Brokers, cfg.KafkaHeap)
	} else {
		fmt.Fprintf(stdout, "sluice: standalone coordinator + broker processes; Kafka: one KRaft JVM (broker+controller), KAFKA_HEAP_OPTS=%q\n\n", cfg.KafkaHeap)
	}
	if err := WriteTable(stdout, results); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "rec/s, MB/s (10^6 B of record values per second): higher is better; p50/p99: produce call to acknowledgement,")
	fmt.Fprintln(stdout, "including the wait in the client buffer; RSS: lower is better; sluice/kafka is sluice divided by Kafka.")
	var failed []string
	if *summary != "" {
		if err := benchcmp.AppendSummary(*summary, SummaryRows(results, cfg.Brokers, l.Replication)); err != nil {
			failed = append(failed, err.Error())
		}
	}
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", r.Target, r.Err))
		}
	}
	if *cpuprofile != "" {
		fmt.Fprintf(stderr, "profile pass: %d sluice broker(s) in-process, CPU profile to %s\n", cfg.Brokers, *cpuprofile)
		l := cfg.Load
		l.Progress = stderr
		if err := ProfileSluice(ctx, l, cfg.Brokers, cfg.Sluice, *cpuprofile); err != nil {
			failed = append(failed, "profile pass: "+err.Error())
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// franzVersion is the franz-go release this binary was built with.
func franzVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/twmb/franz-go" {
				return d.Version
			}
		}
	}
	return "(version unknown)"
}
