package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/bench/cli"
	"github.com/sluicelogs/sluice/bench/compare"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// Main is `sluice-bench broker`: it parses args, runs the comparison and
// prints the table to stdout (progress to stderr).
func Main(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := cli.New("broker", stderr, "the coordinator and broker processes", "data directories and process logs")
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
	targets := fs.Targets("targets", TargetKafka)
	kafkaScript := fs.String("kafka", "deploy/kafka/run.sh", "the script that runs Apache Kafka (KRaft, one node)")
	kafkaHeap := fs.String("kafka-heap", "-Xms1g -Xmx1g", "KAFKA_HEAP_OPTS for each Kafka JVM")
	security := fs.String("security", SecurityPlaintext, "comma-separated client security of the runs, one table each: plaintext, sasl_ssl (a SASL_SSL listener on every broker of both targets, TLS with a PEM key store and SCRAM-SHA-512; the load client logs in over it, replication stays PLAINTEXT on both)")
	cpuprofile := fs.String("cpuprofile", "", "after the table, run the load once more against sluice brokers inside this process (their coordinator as processes) and write its CPU profile here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := Config{
		Brokers: *brokers, Rounds: *rounds,
		Load: Load{
			Partitions: *partitions, Replication: *rf, Duration: *duration, Warmup: *warmup, MaxBuffered: *maxBuffered, Linger: *linger,
		},
		Kafka: *kafkaScript, KafkaHeap: *kafkaHeap, Dir: fs.Dir(), Progress: stderr,
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
	securities, err := ParseSecurity(*security)
	if err != nil {
		return err
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
	if slices.Contains(cfg.Targets, TargetKafka) {
		if _, err := os.Stat(cfg.Kafka); err != nil {
			return fmt.Errorf("-kafka: %w (run from the repository root, after `make peers`)", err)
		}
		fmt.Fprintf(stderr, "kafka: KAFKA_HEAP_OPTS=%q\n", cfg.KafkaHeap)
	}

	machine := compare.Machine(ctx)
	runs := make([][]Result, len(securities))
	for i, sec := range securities {
		fmt.Fprintf(stderr, "client security %s\n", sec)
		c := cfg
		c.Security = sec
		if runs[i], err = Compare(ctx, c); err != nil {
			return err
		}
	}
	l := cfg.Load
	l.defaults()
	fmt.Fprintf(stdout, "\nsluice broker vs Apache Kafka 3.9 — %s\n", machine)
	fmt.Fprintf(stdout, "franz-go %s, one producer client per phase, %v per phase, %s, %d partitions × %s (full ISR before each phase), min.insync.replicas=1,\n",
		franzVersion(), l.Duration, compare.Plural(max(cfg.Brokers, 1), "broker"), l.Partitions, compare.Plural(l.Replication, "replica"))
	fmt.Fprintf(stdout, "no compression, max %d records buffered, linger %v, warm-up %v;\n", l.MaxBuffered, l.Linger, l.Warmup)
	fmt.Fprintf(stdout, "%s, the targets taking turns: rec/s, MB/s, p50 and p99 are each the median of the rounds, RSS is after the last;\n", compare.Plural(max(*rounds, 1), "round"))
	if cfg.Brokers > 1 {
		fmt.Fprintf(stdout, "sluice: %d broker processes + a %d-member coordinator ensemble; Kafka: %d KRaft JVMs (each broker+controller), KAFKA_HEAP_OPTS=%q each\n",
			cfg.Brokers, testpeer.CoordinatorMembers(cfg.Brokers), cfg.Brokers, cfg.KafkaHeap)
	} else {
		fmt.Fprintf(stdout, "sluice: standalone coordinator + broker processes; Kafka: one KRaft JVM (broker+controller), KAFKA_HEAP_OPTS=%q\n", cfg.KafkaHeap)
	}
	for i, sec := range securities {
		fmt.Fprintf(stdout, "\nclient security: %s\n\n", SecurityTitle(sec))
		if err := WriteTable(stdout, runs[i]); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "rec/s, MB/s (10^6 B of record values per second): higher is better; p50/p99: produce call to acknowledgement,")
	fmt.Fprintln(stdout, "including the wait in the client buffer; RSS: lower is better; sluice/kafka is sluice divided by Kafka.")
	if len(securities) > 1 {
		fmt.Fprintln(stdout)
		if err := WriteSecurityRatios(stdout, securities, runs); err != nil {
			return err
		}
	}
	var failed []string
	for i, sec := range securities {
		if err := fs.AppendSummary(SummaryRows(runs[i], cfg.Brokers, l.Replication, sec)); err != nil {
			failed = append(failed, err.Error())
		}
		for _, r := range runs[i] {
			if r.Err != nil {
				failed = append(failed, fmt.Sprintf("%s %s: %v", r.Target, sec, r.Err))
			}
		}
	}
	if *cpuprofile != "" {
		sec := securities[len(securities)-1]
		fmt.Fprintf(stderr, "profile pass: %d sluice broker(s) in-process, client security %s, CPU profile to %s\n", cfg.Brokers, sec, *cpuprofile)
		l := cfg.Load
		l.Progress = stderr
		if err := ProfileSluice(ctx, l, cfg.Brokers, cfg.Sluice, sec, *cpuprofile); err != nil {
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
