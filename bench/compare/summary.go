package compare

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Row is one headline figure of a comparison: what `sluice-bench <x>
// -summary FILE` appends to FILE and `sluice-bench summary FILE` prints.
// A value that was not measured (a failed or skipped run, or no anchor) is
// zero or negative and shows as "-".
type Row struct {
	Component   string  // coordinator, broker, indexer, agent, e2e
	Measure     string  // what, with its unit and setting: "create ops/s, 1 member"
	Sluice      float64 // sluice's value
	Anchor      string  // what sluice is compared with: "ZooKeeper 3.8"; "" for none
	AnchorValue float64 // the anchor's value, in the same unit
	// Goal is "" for none, or an operator (<, <=, >, >=) and a number:
	// followed by "x" it is on the ratio sluice/anchor (">=1x", "<1x" for
	// a lower latency), else on sluice's own value ("<2000").
	Goal string
}

// summaryHeader is the first line of a summary file, a comment.
const summaryHeader = "# component\tmeasure\tsluice\tanchor\tanchor value\tsluice/anchor\tgoal"

// Ratio is Sluice/AnchorValue, or 0 unless both were measured.
func (r Row) Ratio() float64 {
	if !measured(r.Sluice) || !measured(r.AnchorValue) {
		return 0
	}
	return r.Sluice / r.AnchorValue
}

// Met reports whether the row meets its goal; ok is false when it has no
// goal or the values the goal needs were not measured.
func (r Row) Met() (met, ok bool) {
	g, err := parseGoal(r.Goal)
	if err != nil || g.op == "" {
		return false, false
	}
	v := r.Sluice
	if g.onRatio {
		v = r.Ratio()
	}
	if !measured(v) {
		return false, false
	}
	switch g.op {
	case "<":
		return v < g.value, true
	case "<=":
		return v <= g.value, true
	case ">":
		return v > g.value, true
	}
	return v >= g.value, true
}

func measured(v float64) bool { return v > 0 && !math.IsInf(v, 0) }

type goal struct {
	op      string // "" for no goal
	value   float64
	onRatio bool
}

func parseGoal(s string) (goal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return goal{}, nil
	}
	var g goal
	for _, op := range []string{"<=", ">=", "<", ">"} {
		if strings.HasPrefix(s, op) {
			g.op, s = op, strings.TrimSpace(s[len(op):])
			break
		}
	}
	if g.op == "" {
		return goal{}, fmt.Errorf("goal %q: want <, <=, > or >= and a number", s)
	}
	if rest, ok := strings.CutSuffix(s, "x"); ok {
		g.onRatio, s = true, rest
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return goal{}, fmt.Errorf("goal %q: want a number after the operator", s)
	}
	g.value = v
	return g, nil
}

// validate rejects a row that cannot be written as one TSV line or whose
// goal does not parse.
func (r Row) validate() error {
	if r.Component == "" || r.Measure == "" {
		return errors.New("a summary row needs a component and a measure")
	}
	for _, s := range []string{r.Component, r.Measure, r.Anchor, r.Goal} {
		if strings.ContainsAny(s, "\t\n") {
			return fmt.Errorf("summary row %s %q: a tab or newline in %q", r.Component, r.Measure, s)
		}
	}
	if _, err := parseGoal(r.Goal); err != nil {
		return fmt.Errorf("summary row %s %q: %w", r.Component, r.Measure, err)
	}
	return nil
}

// AppendSummary appends rows to the TSV file at path, creating it (with a
// header comment) if it does not exist: component, measure, sluice, anchor,
// anchor value, sluice/anchor, goal; "-" for what was not measured. With
// no rows it only creates the file, so a bench can check the path before it
// runs.
func AppendSummary(path string, rows []Row) error {
	var b strings.Builder
	for _, r := range rows {
		if err := r.validate(); err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Component, r.Measure, tsvNum(r.Sluice),
			dash(r.Anchor), tsvNum(r.AnchorValue), Ratio(r.Sluice, r.AnchorValue), dash(r.Goal))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	st, err := f.Stat()
	if err == nil && st.Size() == 0 {
		_, err = io.WriteString(f, summaryHeader+"\n")
	}
	if err == nil {
		_, err = io.WriteString(f, b.String())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("summary %s: %w", path, err)
	}
	return nil
}

// ReadSummary reads the rows AppendSummary wrote to path, in order.
func ReadSummary(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 7 {
			return nil, fmt.Errorf("%s:%d: %d columns, want 7", path, n, len(c))
		}
		r := Row{Component: c[0], Measure: c[1], Anchor: undash(c[3]), Goal: undash(c[6])}
		if r.Sluice, err = parseNum(c[2]); err == nil {
			r.AnchorValue, err = parseNum(c[4])
		}
		if err == nil {
			err = r.validate()
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("summary %s: %w", path, err)
	}
	return rows, nil
}

// WriteSummary prints rows as one aligned table: the component (once per
// run of rows), the measure, sluice's value, the anchor and its value, the
// ratio, the goal and whether it is met.
func WriteSummary(w io.Writer, rows []Row) error {
	cells := [][]string{{"component", "measure", "sluice", "anchor", "anchor value", "sluice/anchor", "goal", "met"}}
	prev := ""
	for _, r := range rows {
		comp := r.Component
		if comp == prev {
			comp = ""
		}
		prev = r.Component
		met := "-"
		if m, ok := r.Met(); ok && m {
			met = "yes"
		} else if ok {
			met = "NO"
		}
		ratio := "-"
		if v := r.Ratio(); v > 0 {
			ratio = fmt.Sprintf("%.2f×", v)
		}
		cells = append(cells, []string{comp, r.Measure, Num(r.Sluice), dash(r.Anchor), Num(r.AnchorValue), ratio, goalText(r.Goal), met})
	}
	// Text columns (component, measure, anchor, goal, met) are aligned
	// left, numbers right.
	left := []bool{true, true, false, true, false, false, true, true}
	width := make([]int, len(left))
	for _, row := range cells {
		for i, c := range row {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, row := range cells {
		var line strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i > 0 {
				line.WriteString("  ")
			}
			if left[i] {
				line.WriteString(c + pad)
			} else {
				line.WriteString(pad + c)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Num formats a measured value with three significant figures or more
// (whole numbers from 100 up), or "-" if it was not measured.
func Num(v float64) string {
	switch {
	case !measured(v):
		return "-"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// tsvNum is v with at most three decimals, or "-" if it was not measured.
func tsvNum(v float64) string {
	if !measured(v) {
		return "-"
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

func parseNum(s string) (float64, error) {
	if s == "-" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q: want a number or -", s)
	}
	return v, nil
}

// goalText is a goal as the table shows it: ">=1x" as "≥ 1×".
func goalText(s string) string {
	g, err := parseGoal(s)
	if err != nil || g.op == "" {
		return dash(s)
	}
	op := map[string]string{"<": "<", "<=": "≤", ">": ">", ">=": "≥"}[g.op]
	v := strconv.FormatFloat(g.value, 'f', -1, 64)
	if g.onRatio {
		return op + " " + v + "×"
	}
	return op + " " + v
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func undash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
