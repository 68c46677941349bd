package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
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
	sources := fs.String("sources", "file,journald,syslog-tcp,syslog-udp", "comma-separated sources: file (pre-written files: imfile), journald (a pre-written journal file: imjournal), syslog-tcp and syslog-udp (RFC 3164 messages from the bench: imtcp, imudp)")
	messages := fs.String("messages", fmt.Sprintf("%d:%d", DefaultMessages.Size, DefaultMessages.Lines), "size:lines of the journald and syslog sources: that many journal entries or messages of that many bytes (the MESSAGE field, or the whole syslog message with its header, plus a newline)")
	udpRate := fs.Int("udp-rate", DefaultUDPRate, "syslog-udp messages per second offered (an unpaced sender loses datagrams in the kernel; the row's lines/s is this rate)")
	idle := fs.Duration("idle", 5*time.Second, "after the rows, run an agent with one input of each kind, let it idle this long after its few lines arrived and read its RSS; 0 skips it")
	rsyslogQueues := fs.String("rsyslog-queues", QueueMemory+","+QueueDisk, "comma-separated queues rsyslog runs with for the syslog sources, a run each: memory (its default, lost when it is killed), disk (the ruleset's queue in files, as sluice's disk queue)")
	kill := fs.Int("kill", 50000, "with syslog-tcp among the sources: messages of the kill test of each shipper (accepted while the broker is stopped, the shipper killed with SIGKILL and started again: how many arrive); 0 skips it")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of each sluice agent run to this path, suffixed with the run's number (e.g. agent.prof.1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *partitions < 1 || *limit <= 0 {
		return errors.New("-partitions and -limit must be positive")
	}
	if *udpRate < 1 || *idle < 0 || *kill < 0 {
		return errors.New("-udp-rate must be positive, -idle and -kill not negative")
	}
	cfg := Config{Partitions: *partitions, Limit: *limit, Rsyslogd: *rsyslogd, Dir: fs.Dir(), Progress: stderr, CPUProfile: *cpuProfile,
		UDPRate: *udpRate, Idle: *idle, Kill: *kill}
	for _, f := range strings.Split(*files, ",") {
		w, err := parseWorkload("-files", f)
		if err != nil {
			return err
		}
		cfg.Files = append(cfg.Files, w)
	}
	var err error
	if cfg.Messages, err = parseWorkload("-messages", *messages); err != nil {
		return err
	}
	if cfg.Sources, err = ParseSources(*sources); err != nil {
		return err
	}
	for _, q := range strings.Split(*rsyslogQueues, ",") {
		switch q = strings.TrimSpace(q); q {
		case QueueMemory, QueueDisk:
			if !slices.Contains(cfg.RsyslogQueues, q) {
				cfg.RsyslogQueues = append(cfg.RsyslogQueues, q)
			}
		default:
			return fmt.Errorf("-rsyslog-queues: unknown queue %q (want memory, disk)", q)
		}
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
	rep, err := Compare(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nsluice agent vs rsyslog (imfile, imjournal, imtcp, imudp) → omkafka — %s\n", machine)
	fmt.Fprintf(stdout, "%s; one workload per row into a fresh %d-partition topic of one sluice broker (standalone coordinator + broker processes);\n",
		RsyslogVersion(ctx, cfg.Rsyslogd), cfg.Partitions)
	fmt.Fprintln(stdout, "no compression, acks=all on both; time from starting the shipper until the topic's end offsets sum to the line count.")
	fmt.Fprintln(stdout, "sluice ships each line as an ECS JSON event; rsyslog's template sends just the message (%msg%), so sluice writes more bytes.")
	fmt.Fprintln(stdout, "file: a pre-written file; journald: a pre-written journal file (sluice reads the file itself; through a journalctl child, whose CPU counts, when it cannot);")
	fmt.Fprintf(stdout, "syslog-tcp: RFC 3164 messages sent as fast as the shipper takes them; syslog-udp: the same at a fixed %d messages/s offered,\n", cfg.UDPRate)
	fmt.Fprintln(stdout, "so its lines/s is the offered rate and lines/CPU s is the figure that matters. For these two rsyslog runs once per queue:")
	fmt.Fprintln(stdout, "memory (its default, lost when rsyslogd is killed) and disk (its ruleset's queue in files, queue.type=\"Disk\": every message")
	fmt.Fprintln(stdout, "written and read back before omkafka, as sluice's syslog input does with its disk queue); the summary's goal (2x) is on the")
	fmt.Fprintln(stdout, "disk rows: with its memory queue rsyslog does not keep what it accepted (see the kill test below).")
	fmt.Fprintln(stdout)
	if err := WriteTable(stdout, rep.Results); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "lines/s, MiB/s (of line or message bytes, newlines included): higher is better; CPU s/GiB: the user+system CPU of the shipper's")
	fmt.Fprintln(stdout, "process tree per GiB, lower is better; lines/CPU s: lines per second of that CPU; sluice/rsyslog is sluice divided by rsyslog.")
	if err := WriteKills(stdout, rep.Kills); err != nil {
		return err
	}
	if rep.Idle != nil {
		WriteIdle(stdout, rep.Idle)
	}
	var failed []string
	if err := fs.AppendSummary(SummaryRows(rep.Results, rep.Idle)); err != nil {
		failed = append(failed, err.Error())
	}
	for _, r := range rep.Results {
		if r.Err != nil {
			failed = append(failed, fmt.Sprintf("%s %s %s: %v", r.Target, r.Source, r.File.Name(), r.Err))
		}
	}
	for _, k := range rep.Kills {
		if k.Err != nil {
			failed = append(failed, fmt.Sprintf("kill test of %s %s: %v", k.Target, k.Queue, k.Err))
		}
	}
	if rep.Idle != nil && rep.Idle.Err != nil {
		failed = append(failed, "idle agent: "+rep.Idle.Err.Error())
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// parseWorkload reads a size:lines pair of flag name.
func parseWorkload(name, text string) (File, error) {
	s, n, ok := strings.Cut(strings.TrimSpace(text), ":")
	size, err1 := strconv.Atoi(s)
	lines, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || size < 2 || lines < 1 {
		return File{}, fmt.Errorf("%s %q: want size:lines pairs (size at least 2) separated by commas", name, text)
	}
	return File{Size: size, Lines: lines}, nil
}
