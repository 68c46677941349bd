package agent

import (
	"fmt"
	"io"
	"slices"

	"github.com/sluicelogs/sluice/bench/compare"
)

// WriteTable prints one row per file: lines/s of sluice and rsyslog and
// their ratio, MiB/s, CPU seconds per GiB, and lines per CPU second of both
// with their ratio.
func WriteTable(w io.Writer, results []Result) error {
	var files []File
	find := func(target string, f File) *Result {
		for i := range results {
			if results[i].Target == target && results[i].File == f {
				return &results[i]
			}
		}
		return nil
	}
	for _, r := range results {
		if !slices.Contains(files, r.File) {
			files = append(files, r.File)
		}
	}
	tw := compare.NewTable(w)
	fmt.Fprintf(tw, "%-16s\tsluice lines/s\trsyslog lines/s\tsluice/rsyslog\tsluice MiB/s\trsyslog MiB/s\tsluice CPU s/GiB\trsyslog CPU s/GiB\tsluice lines/CPU s\trsyslog lines/CPU s\tsluice/rsyslog\t\n", "file")
	for _, f := range files {
		s, r := find(TargetSluice, f), find(TargetRsyslog, f)
		fmt.Fprintf(tw, "%-16s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", f.Name(),
			num(s, (*Result).LinesPerSec, "%.0f"), num(r, (*Result).LinesPerSec, "%.0f"), ratio(s, r, (*Result).LinesPerSec),
			num(s, (*Result).MiBPerSec, "%.1f"), num(r, (*Result).MiBPerSec, "%.1f"),
			num(s, (*Result).CPUPerGiB, "%.1f"), num(r, (*Result).CPUPerGiB, "%.1f"),
			num(s, (*Result).LinesPerCPUSec, "%.0f"), num(r, (*Result).LinesPerCPUSec, "%.0f"), ratio(s, r, (*Result).LinesPerCPUSec))
	}
	return tw.Flush()
}

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

// SummaryRows are the headline rows of a comparison for `sluice-bench
// summary`: per file, lines/s and lines per CPU second, sluice next to
// rsyslog. The goal is twice rsyslog's lines per CPU second; lines/s has
// none.
func SummaryRows(results []Result) []compare.Row {
	var files []File
	find := func(target string, f File) *Result {
		for i := range results {
			if results[i].Target == target && results[i].File == f {
				return &results[i]
			}
		}
		return nil
	}
	for _, r := range results {
		if !slices.Contains(files, r.File) {
			files = append(files, r.File)
		}
	}
	value := func(r *Result, m func(*Result) float64) float64 {
		if r == nil {
			return 0
		}
		return m(r)
	}
	const anchor = "rsyslog imfile→omkafka"
	var rows []compare.Row
	for _, f := range files {
		s, r := find(TargetSluice, f), find(TargetRsyslog, f)
		rows = append(rows,
			compare.Row{Component: "agent", Measure: fmt.Sprintf("lines/s, %d B lines", f.Size),
				Sluice: value(s, (*Result).LinesPerSec), Anchor: anchor, AnchorValue: value(r, (*Result).LinesPerSec)},
			compare.Row{Component: "agent", Measure: fmt.Sprintf("lines per CPU s, %d B lines", f.Size),
				Sluice: value(s, (*Result).LinesPerCPUSec), Anchor: anchor, AnchorValue: value(r, (*Result).LinesPerCPUSec), Goal: ">=2x"})
	}
	return rows
}
