package indexer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sluicelogs/sluice/bench/cli"
	"github.com/sluicelogs/sluice/bench/compare"
)

// Main is `sluice-bench indexer`: it parses args, runs both phases and
// prints the table to stdout (progress to stderr).
func Main(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := cli.New("indexer", stderr, "the coordinator, broker and indexer processes", "data directories and process logs")
	events := fs.Int("events", 200_000, "nginx access-log lines produced to the topic and indexed by each phase")
	warmup := fs.Int("warmup", 20_000, "lines a sluice indexer process indexes into a separate index before the phases (warms Elasticsearch up, installs the index template); at least 1")
	esScript := fs.String("elasticsearch", "deploy/elasticsearch/run.sh", "the script that runs the Elasticsearch node")
	esHeap := fs.String("es-java-opts", "-Xms1g -Xmx1g", "ES_JAVA_OPTS for the Elasticsearch JVM")
	pipeline := fs.String("pipeline", "examples/pipelines/nginx.yml", "the pipeline both phases run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !ceilingBuilt {
		return ErrNoCeiling // before minutes of setup: the table needs both phases
	}
	if *events < 1 || *warmup < 1 {
		return errors.New("-events and -warmup must be positive")
	}
	for _, p := range []string{*esScript, *pipeline} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%w (run from the repository root, after `make peers`)", err)
		}
	}
	bin, err := fs.Sluice(ctx)
	if err != nil {
		return err
	}
	cfg := Config{
		Events: *events, Warmup: *warmup, Sluice: bin, Elasticsearch: *esScript, ESJavaOpts: *esHeap,
		Pipeline: *pipeline, Dir: fs.Dir(), Progress: stderr,
	}
	machine := compare.Machine(ctx)
	r, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nsluice indexer vs its ceiling (raw esutil.BulkIndexer from memory) — %s\n", machine)
	fmt.Fprintf(stdout, "%d nginx lines through %s into Elasticsearch %s (one node, ES_JAVA_OPTS=%q, 1 shard, 0 replicas, daily indices);\n",
		cfg.Events, cfg.Pipeline, r.ESVersion, cfg.ESJavaOpts)
	fmt.Fprintf(stdout, "bulk: %d workers × %d flush bytes in both phases; topic: 3 partitions on a sluice coordinator + broker (processes); indexer: a process\n\n",
		r.Workers, r.FlushBytes)
	if err := WriteTable(stdout, r); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "events/s: higher is better; ceiling: pipeline run beforehand, untimed, then bulk until acknowledged + refresh;")
	fmt.Fprintln(stdout, "indexer: from its group holding the partitions until offsets committed for all events (committed only once acknowledged) + refresh.")
	fmt.Fprintf(stdout, "CPU s: the bench process for the ceiling (bulk encoding and HTTP only), the indexer process for the indexer; indexer startup to group ready: %v\n", r.IndexerStartup.Round(1e6))
	return fs.AppendSummary(SummaryRows(r))
}
