package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sluicelogs/sluice/bench/cli"
	"github.com/sluicelogs/sluice/bench/compare"
)

// Main is `sluice-bench e2e`: it parses args, runs the measurement and
// prints the table to stdout (progress to stderr).
func Main(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := cli.New("e2e", stderr, "`sluice up`", "data directories and process logs")
	rate := fs.Int("rate", 5000, "lines appended per second")
	duration := fs.Duration("duration", 20*time.Second, "how long lines are appended")
	samples := fs.Int("samples", 10000, "lines timed from append to _search, spread evenly")
	esScript := fs.String("elasticsearch", "deploy/elasticsearch/run.sh", "the script that runs the Elasticsearch node")
	esHeap := fs.String("es-java-opts", "-Xms1g -Xmx1g", "ES_JAVA_OPTS for the Elasticsearch JVM")
	pipelines := fs.String("pipelines", "examples/pipelines", "folder holding app-json.yml, the pipeline the lines go through")
	anchors := fs.Bool("anchors", true, "also run Apache Kafka and ZooKeeper with the same produce load and report their memory")
	kafka := fs.String("kafka", "deploy/kafka/run.sh", "the script that runs Apache Kafka (KRaft, one node)")
	kafkaHeap := fs.String("kafka-heap", "-Xms1g -Xmx1g", "KAFKA_HEAP_OPTS for the Kafka JVM")
	zookeeper := fs.String("zookeeper", "deploy/zookeeper/run.sh", "the script that runs Apache ZooKeeper")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate < 1 || *samples < 1 || *duration <= 0 {
		return errors.New("-rate, -samples and -duration must be positive")
	}
	for _, p := range []string{*esScript, *pipelines} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%w (run from the repository root, after `make peers`)", err)
		}
	}
	bin, err := fs.Sluice(ctx)
	if err != nil {
		return err
	}
	cfg := Config{Rate: *rate, Duration: *duration, Samples: *samples, Sluice: bin, Elasticsearch: *esScript,
		ESJavaOpts: *esHeap, Pipelines: *pipelines, Dir: fs.Dir(), Progress: stderr}
	machine := compare.Machine(ctx)
	r, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	anchorRSS := int64(-1)
	if *anchors {
		dir := fs.Dir()
		if dir == "" {
			d, err := os.MkdirTemp("", "sluice-bench-e2e-anchors-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(d)
			dir = d
		}
		fmt.Fprintln(stderr, "running Apache Kafka and ZooKeeper with the same produce load")
		if anchorRSS, err = AnchorsRSS(ctx, cfg, Anchors{Kafka: *kafka, KafkaHeap: *kafkaHeap, ZooKeeper: *zookeeper}, dir); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "\nsluice end to end (`sluice up`: coordinator, broker, agent, indexer in one process) — %s\n", machine)
	fmt.Fprintf(stdout, "%d JSON lines at %d lines/s appended to a file → agent → broker → indexer (app-json pipeline) → Elasticsearch %s (refresh 1s)\n\n",
		r.Lines, cfg.Rate, r.ESVersion)
	tw := compare.NewTable(stdout)
	fmt.Fprintln(tw, "measure\tp50\tp99\tmax\tseen/timed\tgoal\t")
	fmt.Fprintf(tw, "line appended → returned by _search\t%s\t%s\t%s\t%d/%d\tp99 < 2s\t\n", r.Quantile(0.50).Round(time.Millisecond),
		r.Quantile(0.99).Round(time.Millisecond), r.Quantile(1).Round(time.Millisecond), len(r.Latencies), r.Samples)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	tw = compare.NewTable(stdout)
	fmt.Fprintln(tw, "peak RSS (MiB)\tsluice up\tKafka + ZooKeeper JVMs\tsluice/anchors\tgoal\t")
	anchorCell, ratio := "not run", "-"
	if anchorRSS > 0 {
		anchorCell, ratio = compare.MiB(anchorRSS), fmt.Sprintf("%.2f×", float64(r.UpRSS)/float64(anchorRSS))
	}
	fmt.Fprintf(tw, "same load\t%s\t%s\t%s\tsluice up < 150 MB\t\n", compare.MiB(r.UpRSS), anchorCell, ratio)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "sluice up holds the coordinator, broker, agent and indexer; the anchors' column is only Kafka 3.9 (KRaft) and ZooKeeper 3.8")
	fmt.Fprintln(stdout, "carrying the same produce load (Filebeat and Logstash are not on this machine), so the real stack's memory is higher still.")
	if err := fs.AppendSummary(SummaryRows(r, anchorRSS)); err != nil {
		return err
	}
	if len(r.Latencies) < r.Samples {
		return fmt.Errorf("%d of %d timed lines never became searchable within 60s of the end", r.Samples-len(r.Latencies), r.Samples)
	}
	return nil
}
