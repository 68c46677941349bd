package abench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/internal/benchcmp"
)

// Main is `sluice bench agent`: it parses args, runs the comparison and
// prints the table to stdout (progress to stderr). sluiceBinary turns the
// -sluice flag into the binary for the sluice processes ("" means the
// running executable; a missing path is built).
func Main(ctx context.Context, stdout, stderr io.Writer, args []string, sluiceBinary func(path string) (string, error)) error {
	fs := flag.NewFlagSet("sluice bench agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	files := fs.String("files", "100:1000000,500:300000", "comma-separated size:lines pairs: one file of that many lines of that many bytes (newline included) per pair")
	targets := fs.String("targets", "sluice,rsyslog", "comma-separated shippers: sluice, rsyslog")
	partitions := fs.Int("partitions", 1, "partitions of each topic")
	limit := fs.Duration("limit", 5*time.Minute, "give up on a run whose lines have not all arrived after this long")
	sluiceBin := fs.String("sluice", "", "sluice binary for the coordinator, broker and agent processes (default: this binary; a missing path is built with go build)")
	rsyslogd := fs.String("rsyslogd", "rsyslogd", "the rsyslogd binary (Debian packages rsyslog and rsyslog-kafka)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of each sluice agent run to this path, suffixed with the run's number (e.g. agent.prof.1)")
	keep := fs.String("dir", "", "keep the files, configurations and process logs here (default: a temporary directory, removed)")
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
	if *partitions < 1 || *limit <= 0 {
		return errors.New("-partitions and -limit must be positive")
	}
	cfg := Config{Partitions: *partitions, Limit: *limit, Rsyslogd: *rsyslogd, Dir: *keep, Progress: stderr, CPUProfile: *cpuProfile}
	for _, f := range strings.Split(*files, ",") {
		s, n, ok := strings.Cut(strings.TrimSpace(f), ":")
		size, err1 := strconv.Atoi(s)
		lines, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || size < 2 || lines < 1 {
			return fmt.Errorf("-files %q: want size:lines pairs (size at least 2) separated by commas", *files)
		}
		cfg.Files = append(cfg.Files, File{Size: size, Lines: lines})
	}
	for _, t := range strings.Split(*targets, ",") {
		switch t = strings.TrimSpace(t); t {
		case TargetSluice, TargetRsyslog:
			cfg.Targets = append(cfg.Targets, t)
		default:
			return fmt.Errorf("-targets: unknown target %q (want sluice, rsyslog)", t)
		}
	}
	bin, err := sluiceBinary(*sluiceBin)
	if err != nil {
		return err
	}
	cfg.Sluice = bin

	machine := benchcmp.Machine(ctx)
	results, err := Compare(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nsluice agent vs rsyslog imfile → omkafka — %s\n", machine)
	fmt.Fprintf(stdout, "%s; one pre-written file per row into a fresh %d-partition topic of one sluice broker (standalone coordinator + broker processes);\n",
		RsyslogVersion(ctx, cfg.Rsyslogd), cfg.Partitions)
	fmt.Fprintln(stdout, "no compression, acks=all on both; time from starting the shipper until the topic's end offsets sum to the line count.")
	fmt.Fprintln(stdout, "sluice ships each line as an ECS JSON event; rsyslog's template sends just the message (%msg%), so sluice writes more bytes.")
	fmt.Fprintln(stdout)
	if err := WriteTable(stdout, results); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "lines/s, MiB/s (of file bytes, newlines included): higher is better; CPU s/GiB: the shipper's user+system CPU per GiB")
	fmt.Fprintln(stdout, "of file, lower is better; lines/CPU s: lines per second of shipper CPU; sluice/rsyslog is sluice divided by rsyslog.")
	var failed []string
	if *summary != "" {
		if err := benchcmp.AppendSummary(*summary, SummaryRows(results)); err != nil {
			failed = append(failed, err.Error())
		}
	}
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, fmt.Sprintf("%s %s: %v", r.Target, r.File.Name(), r.Err))
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}
