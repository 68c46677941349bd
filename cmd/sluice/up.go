package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/up"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// runUp is `sluice up`: coordinator, broker, indexer and agent in one
// process.
func runUp(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice up", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("c", up.DefaultConfigFile, "the configuration (optional when it is the default and missing; every section optional)")
	var f up.Flags
	fs.StringVar(&f.Data, "data", "", "folder of every component's state and the log (default ./data, or sluice.yml's data)")
	var tails stringList
	fs.Var(&tails, "tail", "tail the files of this glob, as input ID=GLOB or GLOB (the id is the file name up to its first wildcard or dot: logs/nginx*.log → nginx); repeatable")
	fs.StringVar(&f.Pipelines, "pipelines", "", "folder of pipelines: the events of input ID go through ID.yml when it is there, else unchanged")
	fs.StringVar(&f.ES, "es", "", "Elasticsearch URL (default http://127.0.0.1:9200)")
	fs.StringVar(&f.Index, "index", "", "index name, with %{+yyyy.MM.dd} and %{[field]} (default logs-%{+yyyy.MM.dd})")
	fs.StringVar(&f.CoordinatorAddr, "coordinator-addr", "", "the coordinator's client address, ZooKeeper protocol (default 127.0.0.1:2181)")
	fs.StringVar(&f.BrokerAddr, "broker-addr", "", "the broker's address, Kafka protocol (default 127.0.0.1:9092)")
	stopAfter := fs.Duration("stop-after", 0, "stop by itself after this long, as Ctrl-C does (0: run until Ctrl-C)")
	toStderr := fs.Bool("e", false, "log to stderr (else to sluice.log in the data folder)")
	logEnv := *e // its stderr becomes sluice.log without -e
	logger := logFlags(fs, &logEnv)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: sluice up [flags]\n\n"+
			"Runs a coordinator, a broker, an indexer and an agent in one process: tails the\n"+
			"files, runs the pipelines and indexes into Elasticsearch, printing a live line\n"+
			"(events read, shipped, indexed, consumer lag). Ctrl-C stops it with nothing lost.\n\n"+
			"Example: sluice up --tail 'examples/logs/nginx*.log' --pipelines examples/pipelines\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	f.Tail = tails
	explicit := false
	fs.Visit(func(fl *flag.Flag) { explicit = explicit || fl.Name == "c" })
	cfg, err := up.Load(*cfgPath, !explicit, f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return err
	}
	logPath := "stderr"
	if !*toStderr {
		logPath = filepath.Join(cfg.Data, "sluice.log")
		lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return err
		}
		defer lf.Close()
		logEnv.stderr = lf
	}
	log, err := logger()
	if err != nil {
		return err
	}
	if *stopAfter > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *stopAfter)
		defer cancel()
	}
	fmt.Fprintf(e.stdout, "sluice up %s: log in %s; Ctrl-C stops\n", version, logPath)
	return up.Run(ctx, cfg, up.Options{
		Version:  version,
		Log:      log,
		Out:      e.stdout,
		Terminal: isTerminal(e.stdout),
		Every:    10 * time.Second,
	})
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
