// Command sluice-bench runs the benchmarks of sluice side by side with the
// programs it replaces (Apache ZooKeeper, Apache Kafka, raw
// esutil.BulkIndexer, rsyslog) and prints their tables; `make bench` drives
// it. It runs sluice as processes of a separate sluice binary (-sluice), so
// the product binary links none of the bench code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sluicelogs/sluice/bench/agent"
	"github.com/sluicelogs/sluice/bench/attack"
	"github.com/sluicelogs/sluice/bench/broker"
	"github.com/sluicelogs/sluice/bench/coordinator"
	"github.com/sluicelogs/sluice/bench/e2e"
	"github.com/sluicelogs/sluice/bench/indexer"
)

// benches returns the subcommands: each bench package's Main, and summary.
func benches() map[string]func(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	return map[string]func(ctx context.Context, stdout, stderr io.Writer, args []string) error{
		"coordinator": coordinator.Main,
		"broker":      broker.Main,
		"agent":       agent.Main,
		"indexer":     indexer.Main,
		"e2e":         e2e.Main,
		"attack":      attack.Main,
		"summary":     summary,
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches `sluice-bench <what>` and returns the process exit code.
func run(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	bench, ok := benches()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sluice-bench: unknown bench %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := bench(ctx, stdout, stderr, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "sluice-bench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: sluice-bench coordinator|broker|agent|indexer|e2e|attack [flags]\n       sluice-bench summary FILE\n\n")
	fmt.Fprintf(w, "A component side by side with its anchor (ZooKeeper, Kafka, raw BulkIndexer, rsyslog), or (attack) the listeners\n")
	fmt.Fprintf(w, "under hostile clients, each appending its headline rows to -summary FILE; `summary FILE` prints all of them in\n")
	fmt.Fprintf(w, "one table.\n\n")
	fmt.Fprintf(w, "Run `sluice-bench <which> -h` for its flags.\n")
}
