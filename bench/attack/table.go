package attack

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/bench/compare"
)

// WriteTable prints one row per attack: nodes up, RSS idle and peak
// against idle + budget, the normal client's p99 unloaded and under
// attack, and whether each goal was met; then what each attack did and
// what it met.
func WriteTable(w io.Writer, results []*Result) error {
	tw := compare.NewTable(w)
	fmt.Fprintln(tw, "attack\tport\tnodes up\tidle RSS MiB\tpeak RSS MiB\tbudget MiB\tRSS goal\tp99 unloaded\tp99 attacked\tp99 goal\tclient errors\tnode CPU %\t")
	for _, r := range results {
		a := r.Attack
		if r.Err != nil {
			fmt.Fprintf(tw, "%s\t%s\tnot run\t-\t-\t%s\t-\t-\t-\t-\t-\t-\t\n", a.Name, a.Port, mib(a.Budget))
			continue
		}
		up := fmt.Sprintf("%d/%d", r.Nodes-len(r.Down), r.Nodes)
		if len(r.Down) > 0 {
			up += " DOWN"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%.0f/%.0f\t\n", a.Name, a.Port, up, mib(r.IdleRSS), mib(r.PeakRSS),
			mib(a.Budget), met(r.RSSMet()), ms(r.Unloaded.Quantile(0.99)), ms(r.Loaded.Quantile(0.99)), met(r.P99Met()),
			r.UnloadedErrors, r.LoadedErrors, 100*r.UnloadedCPU, 100*r.LoadedCPU)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("\nRSS goal: peak ≤ idle + budget (the attacked node: the broker; the coordinator; member 1 of the ensemble); p99 goal: the normal\n")
	b.WriteString("client's p99 under attack ≤ 2× its p99 just before, unloaded (each request one sample); client errors: unloaded/attacked;\n")
	b.WriteString("node CPU %: the attacked node's user+system time, unloaded/attacked, in % of one core (the attacker shares the cores).\n\n")
	for _, r := range results {
		a := r.Attack
		fmt.Fprintf(&b, "%s: %s. Budget %s MiB (%s).\n", a.Name, a.Does, mib(a.Budget), a.BudgetFrom)
		switch {
		case r.Err != nil:
			fmt.Fprintf(&b, "  not run: %v\n", r.Err)
		default:
			if r.Saw != "" {
				fmt.Fprintf(&b, "  attacker saw: %s\n", r.Saw)
			}
			for _, d := range r.Down {
				fmt.Fprintf(&b, "  DOWN: %s\n", d)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func ms(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// SummaryRows are the headline rows of each attack that ran: its peak
// RSS against idle + budget, the client's p99 under attack against
// unloaded, and, if a node went down, how many did.
func SummaryRows(results []*Result) []compare.Row {
	var rows []compare.Row
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		name := r.Attack.Name
		rows = append(rows,
			compare.Row{Component: "attack", Measure: "peak RSS MiB, " + name, Sluice: float64(r.PeakRSS) / (1 << 20),
				Anchor: "idle + budget", AnchorValue: float64(r.IdleRSS+r.Attack.Budget) / (1 << 20), Goal: "<=1x"},
			compare.Row{Component: "attack", Measure: "client p99 ms, " + name, Sluice: msf(r.Loaded.Quantile(0.99)),
				Anchor: "unloaded", AnchorValue: msf(r.Unloaded.Quantile(0.99)), Goal: "<=2x"})
		if len(r.Down) > 0 {
			rows = append(rows, compare.Row{Component: "attack", Measure: "nodes down, " + name, Sluice: float64(len(r.Down)), Goal: "<=0"})
		}
	}
	return rows
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
