package ibench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sluicelogs/sluice/internal/benchcmp"
)

// Main is `sluice bench indexer`: it parses args, runs both phases and
// prints the table to stdout (progress to stderr). sluiceBinary turns the
// -sluice flag into the binary for the sluice processes ("" means the
// running executable; a missing path is built).
func Main(ctx context.Context, stdout, stderr io.Writer, args []string, sluiceBinary func(path string) (string, error)) error {
	fs := flag.NewFlagSet("sluice bench indexer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	events := fs.Int("events", 200_000, "nginx access-log lines produced to the topic and indexed by each phase")
	warmup := fs.Int("warmup", 20_000, "lines a sluice indexer process indexes into a separate index before the phases (warms Elasticsearch up, installs the index template); at least 1")
	sluiceBin := fs.String("sluice", "", "sluice binary for the coordinator, broker and indexer processes (default: this binary; a missing path is built with go build)")
	esScript := fs.String("elasticsearch", "deploy/elasticsearch/run.sh", "the script that runs the Elasticsearch node")
	esHeap := fs.String("es-java-opts", "-Xms1g -Xmx1g", "ES_JAVA_OPTS for the Elasticsearch JVM")
	pipeline := fs.String("pipeline", "examples/pipelines/nginx.yml", "the pipeline both phases run")
	keep := fs.String("dir", "", "keep data directories and process logs here (default: a temporary directory, removed)")
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
	if *events < 1 || *warmup < 1 {
		return errors.New("-events and -warmup must be positive")
	}
	for _, p := range []string{*esScript, *pipeline} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%w (run from the repository root, after `make peers`)", err)
		}
	}
	bin, err := sluiceBinary(*sluiceBin)
	if err != nil {
		return err
	}
	cfg := Config{
		Events: *events, Warmup: *warmup, Sluice: bin, Elasticsearch: *esScript, ESJavaOpts: *esHeap,
		Pipeline: *pipeline, Dir: *keep, Progress: stderr,
	}
	machine := benchcmp.Machine(ctx)
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
	if *summary != "" {
		return benchcmp.AppendSummary(*summary, SummaryRows(r))
	}
	return nil
}
