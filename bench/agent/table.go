package agent

import (
	"fmt"
	"io"

	"github.com/sluicelogs/sluice/bench/compare"
)

// row is one line of the table: one workload of one source and one of
// rsyslog's queues, with each target's result (nil if it did not run).
type row struct {
	source          string
	f               File
	queue           string // rsyslog's, "" when it did not run
	sluice, rsyslog *Result
}

// rows groups results by source and workload, in the order they ran: a row
// per rsyslog run (one per queue for a syslog source), each with sluice's
// result for that workload.
func rows(results []Result) []row {
	var out []row
	for i := range results {
		if r := &results[i]; r.Target == TargetRsyslog {
			out = append(out, row{source: r.Source, f: r.File, queue: r.Queue, rsyslog: r})
		}
	}
	for i := range results {
		r := &results[i]
		if r.Target != TargetSluice {
			continue
		}
		found := false
		for j := range out {
			if out[j].source == r.Source && out[j].f == r.File {
				out[j].sluice, found = r, true
			}
		}
		if !found {
			out = append(out, row{source: r.Source, f: r.File, sluice: r})
		}
	}
	return out
}

// WriteTable prints one row per source and workload: lines/s of sluice
// and rsyslog and their ratio, MiB/s, CPU seconds per GiB, and lines per
// CPU second of both with their ratio; then what syslog-udp lost.
func WriteTable(w io.Writer, results []Result) error {
	tw := compare.NewTable(w)
	fmt.Fprintf(tw, "source\t%-16s\trsyslog queue\tsluice lines/s\trsyslog lines/s\tsluice/rsyslog\tsluice MiB/s\trsyslog MiB/s\tsluice CPU s/GiB\trsyslog CPU s/GiB\tsluice lines/CPU s\trsyslog lines/CPU s\tsluice/rsyslog\t\n", "workload")
	for _, x := range rows(results) {
		s, r := x.sluice, x.rsyslog
		queue := x.queue
		if queue == "" {
			queue = "-"
		}
		fmt.Fprintf(tw, "%s\t%-16s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", x.source, x.f.Name(), queue,
			num(s, (*Result).LinesPerSec, "%.0f"), num(r, (*Result).LinesPerSec, "%.0f"), ratio(s, r, (*Result).LinesPerSec),
			num(s, (*Result).MiBPerSec, "%.1f"), num(r, (*Result).MiBPerSec, "%.1f"),
			num(s, (*Result).CPUPerGiB, "%.1f"), num(r, (*Result).CPUPerGiB, "%.1f"),
			num(s, (*Result).LinesPerCPUSec, "%.0f"), num(r, (*Result).LinesPerCPUSec, "%.0f"), ratio(s, r, (*Result).LinesPerCPUSec))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.Source == SourceSyslogUDP && r.Err == nil {
			name := r.Target
			if r.Queue != "" {
				name += " (" + r.Queue + " queue)"
			}
			fmt.Fprintf(w, "%s %s: %d of %d messages arrived, %d lost (%.2f %%)\n", name, r.Source, r.Arrived, r.File.Lines, r.Lost(), 100*float64(r.Lost())/float64(r.File.Lines))
		}
	}
	return nil
}

// WriteIdle prints the idle agent's memory, or why it was not measured.
func WriteIdle(w io.Writer, id *Idle) {
	if id.Err != nil {
		fmt.Fprintf(w, "idle agent with all four inputs: not measured: %v\n", id.Err)
		return
	}
	fmt.Fprintf(w, "idle sluice agent with all four inputs (file, journald, syslog TCP+UDP, container): VmRSS %.1f MiB, VmHWM (peak) %.1f MiB\n", mib(id.RSS), mib(id.HWM))
	if id.Child == "" {
		fmt.Fprintln(w, "no journalctl child: the journald input reads the journal files itself")
		return
	}
	fmt.Fprintf(w, "its %s child (the journald input's reader, a separate process): VmRSS %.1f MiB\n", id.Child, mib(id.ChildRSS))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// num formats m(r), or "-" for a missing or failed run.
func num(r *Result, m func(*Result) float64, format string) string {
	if r == nil || r.Err != nil || m(r) <= 0 {
		return "-"
	}
	return fmt.Sprintf(format, m(r))
}

// ratio is m(s)/m(r), or "-" unless both ran.
func ratio(s, r *Result, m func(*Result) float64) string {
	if s == nil || r == nil {
		return "-"
	}
	return compare.Ratio(m(s), m(r))
}

// anchors name rsyslog's input per source in the summary.
var anchors = map[string]string{
	SourceFile:      "imfile",
	SourceJournald:  "imjournal",
	SourceSyslogTCP: "imtcp",
	SourceSyslogUDP: "imudp",
}

// anchor names rsyslog's configuration of a row in the summary.
func anchor(x row) string {
	if x.queue == QueueDisk {
		return "rsyslog " + anchors[x.source] + "→disk queue→omkafka"
	}
	return "rsyslog " + anchors[x.source] + "→omkafka"
}

// SummaryRows are the headline rows of a comparison for `sluice-bench
// summary`: per workload, lines/s and lines per CPU second, sluice next
// to rsyslog, and the idle agent's RSS. The goal is twice rsyslog's lines
// per CPU second where rsyslog keeps what it was given as sluice does (see
// sameGuarantee), and an idle RSS under 30 MiB; lines/s has none, and
// syslog-udp has no lines/s row (it is the offered rate).
func SummaryRows(results []Result, idle *Idle) []compare.Row {
	value := func(r *Result, m func(*Result) float64) float64 {
		if r == nil {
			return 0
		}
		return m(r)
	}
	var out []compare.Row
	for _, x := range rows(results) {
		s, r := x.sluice, x.rsyslog
		what := fmt.Sprintf("%d B lines", x.f.Size)
		if x.source != SourceFile {
			what = fmt.Sprintf("%s, %d B messages", x.source, x.f.Size)
		}
		if x.source != SourceSyslogUDP {
			out = append(out, compare.Row{Component: "agent", Measure: "lines/s, " + what,
				Sluice: value(s, (*Result).LinesPerSec), Anchor: anchor(x), AnchorValue: value(r, (*Result).LinesPerSec)})
		}
		goal := ""
		if sameGuarantee(x) {
			goal = ">=2x"
		}
		out = append(out, compare.Row{Component: "agent", Measure: "lines per CPU s, " + what,
			Sluice: value(s, (*Result).LinesPerCPUSec), Anchor: anchor(x), AnchorValue: value(r, (*Result).LinesPerCPUSec), Goal: goal})
	}
	if idle != nil {
		rss := 0.0
		if idle.Err == nil {
			rss = mib(idle.RSS)
		}
		out = append(out, compare.Row{Component: "agent", Measure: "idle RSS MiB, all four inputs", Sluice: rss, Goal: "<30"})
	}
	return out
}

// sameGuarantee reports whether rsyslog's run of row x keeps what it was
// given as sluice does: a file or a journal can be read again from where
// each shipper noted it was, whatever the queue; a syslog message cannot,
// and sluice's input writes each to its disk queue before it reads more,
// so rsyslog is held to the goal with its queue on disk, not with its
// memory queue, which a kill loses (the kill test: about three quarters
// of 50,000 accepted messages).
func sameGuarantee(x row) bool {
	switch x.source {
	case SourceSyslogTCP, SourceSyslogUDP:
		return x.queue == QueueDisk
	}
	return true
}
