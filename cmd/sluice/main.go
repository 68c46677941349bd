// Command sluice is the one binary of the sluice log pipeline. Each role and
// admin tool is a subcommand; today it has the ones listed by `sluice help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand: run gets the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what every subcommand is given instead of reaching for globals.
type env struct {
	stdin          io.Reader // nil reads as empty
	stdout, stderr io.Writer
}

func commands() map[string]command {
	return map[string]command{
		"version":          {"print the version of sluice", runVersion},
		"broker":           {"run a broker (Kafka protocol) from a server.properties", runBroker},
		"coordinator":      {"run a coordinator member (ZooKeeper protocol) from a zoo.cfg; `coordinator status` prints its mode", runCoordinator},
		"topics":           {"create, list, describe, alter or delete topics, as kafka-topics.sh does", runTopics},
		"console-producer": {"send lines of stdin as records to a topic, as kafka-console-producer.sh does", runConsoleProducer},
		"console-consumer": {"print the records of a topic, as kafka-console-consumer.sh does", runConsoleConsumer},
		"groups":           {"list, describe (with lag) or delete consumer groups, as kafka-consumer-groups.sh does", runGroups},
		"agent":            {"tail log files and ship every line to Kafka topics (agent.yml, like filebeat.yml); `agent test config|output`", runAgent},
		"indexer":          {"consume topics, run pipelines and bulk-index into Elasticsearch (`indexer -c indexer.yml`)", runIndexer},
		"up":               {"coordinator, broker, indexer and agent in one process: tail files into Elasticsearch (`up --tail GLOB --pipelines DIR`)", runUp},
		"pipeline":         {"`pipeline test FILE…` runs the tests of pipeline definitions; `pipeline run FILE` transforms ndjson events of stdin", runPipeline},
		"certs":            {"make a CA and node/client certificates (PEM) for SSL listeners, and print the server.properties lines (`certs --dir DIR --node NAME=HOST,…`)", runCerts},
		"keystore":         {"keep secrets for ${NAME} in agent.yml and indexer.yml: `keystore create|add NAME|list|remove NAME… --path FILE`, as filebeat keystore", runKeystore},
		"zk":               {"a zkCli.sh-like shell: `zk -server host:port [ls|get|stat|create|set|delete|deleteall …]`, or commands from stdin", runZk},
	}
}

// hiddenCommands run like commands but are not listed by `sluice help`.
func hiddenCommands() map[string]command {
	return map[string]command{
		"generate": {"append realistic nginx/syslog/JSON lines to files (`generate --dir DIR --rate 50`), for make run", runGenerate},
		"bench":    {"moved to its own binary, sluice-bench", runBench},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, e *env, args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		c, ok = hiddenCommands()[args[0]]
	}
	if !ok {
		fmt.Fprintf(e.stderr, "sluice: unknown command %q\n\n", args[0])
		usage(e.stderr, cmds)
		return 2
	}
	if err := c.run(ctx, e, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var code exitCode
		if errors.As(err, &code) { // the subcommand has said why already
			return int(code)
		}
		fmt.Fprintf(e.stderr, "sluice %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "sluice — a log pipeline: agent → broker (Kafka protocol) → indexer → Elasticsearch\n\nUsage: sluice <command> [flags]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nRun `sluice <command> -h` for a command's flags.\n")
}

// logFlags adds the logging flags of the long-running subcommands and
// returns a function that builds the logger from them.
func logFlags(fs *flag.FlagSet, e *env) func() (*slog.Logger, error) {
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	format := fs.String("log-format", "text", "log format: text or json")
	return func() (*slog.Logger, error) {
		var lv slog.Level
		if err := lv.UnmarshalText([]byte(*level)); err != nil {
			return nil, fmt.Errorf("-log-level %q: %w", *level, err)
		}
		opts := &slog.HandlerOptions{Level: lv}
		switch *format {
		case "text":
			return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
		case "json":
			return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
		}
		return nil, fmt.Errorf("-log-format %q: want text or json", *format)
	}
}

// runBench is what is left of `sluice bench`: the benches are their own
// binary now, so that this one links none of their code.
func runBench(_ context.Context, e *env, _ []string) error {
	fmt.Fprintln(e.stderr, "sluice bench has moved to its own binary: `make bench`, or `go build -o bin/sluice-bench ./cmd/sluice-bench && bin/sluice-bench -h`")
	return exitCode(2)
}

func runVersion(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice version", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "sluice %s\n", version)
	return err
}
