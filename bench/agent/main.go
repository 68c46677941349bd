package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/bench/cli"
	"github.com/sluicelogs/sluice/bench/compare"
)

// Main is `sluice-bench agent`: it parses args, runs the comparison and
// prints the table to stdout (progress to stderr).
func Main(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := cli.New("agent", stderr, "the coordinator, broker and agent processes", "the files, configurations and process logs")
	files := fs.String("files", "100:1000000,500:300000", "comma-separated size:lines pairs: one file of that many lines of that many bytes (newline included) per pair")
	targets := fs.Targets("shippers", TargetRsyslog)
	partitions := fs.Int("partitions", 1, "partitions of each topic")
	limit := fs.Duration("limit", 5*time.Minute, "give up on a run whose lines have not all arrived after this long")
	rsyslogd := fs.String("rsyslogd", "rsyslogd", "the rsyslogd binary (Debian packages rsyslog and rsyslog-kafka)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of each sluice agent run to this path, suffixed with the run's number (e.g. agent.prof.1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *partitions < 1 || *limit <= 0 {
		return errors.New("-partitions and -limit must be positive")
	}
	cfg := Config{Partitions: *partitions, Limit: *limit, Rsyslogd: *rsyslogd, Dir: fs.Dir(), Progress: stderr, CPUProfile: *cpuProfile}
	for _, f := range strings.Split(*files, ",") {
		s, n, ok := strings.Cut(strings.TrimSpace(f), ":")
		size, err1 := strconv.Atoi(s)
		lines, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || size < 2 || lines < 1 {
			return fmt.Errorf("-files %q: want size:lines pairs (size at least 2) separated by commas", *files)
		}
		cfg.Files = append(cfg.Files, File{Size: size, Lines: lines})
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

	machine := compare.Machine(ctx)
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
	if err := fs.AppendSummary(SummaryRows(results)); err != nil {
		failed = append(failed, err.Error())
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
