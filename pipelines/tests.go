package pipelines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// testCase is one entry of a definition's tests: input events, and the
// output events expected from them (those not dropped, in order), or an
// expected error.
type testCase struct {
	name    string
	line    int
	now     time.Time // zero: the pipeline's clock
	input   []Event
	output  []Event
	hasOut  bool
	dropped bool   // every input is expected to be dropped
	errText string // expected error (substring), "" for none
}

// TestResult is the outcome of one declared test.
type TestResult struct {
	Name   string
	Line   int // line of the test in the definition
	Passed bool
	Diff   string // on failure: expected (-) against actual (+), or why
}

// Tests reports how many tests the definition declares.
func (p *Pipeline) Tests() int { return len(p.tests) }

// RunTests runs the tests the definition declares.
func (p *Pipeline) RunTests() []TestResult {
	out := make([]TestResult, 0, len(p.tests))
	for i := range p.tests {
		out = append(out, p.runTest(&p.tests[i]))
	}
	return out
}

func (p *Pipeline) runTest(tc *testCase) TestResult {
	res := TestResult{Name: tc.name, Line: tc.line}
	st := &state{now: p.now}
	if !tc.now.IsZero() {
		now := tc.now
		st.now = func() time.Time { return now }
	}
	var got []Event
	var errs []string
	nDropped := 0
	for _, in := range tc.input {
		ev, dropped, err := p.runWith(in.Clone(), st)
		switch {
		case err != nil:
			errs = append(errs, err.Error())
		case dropped:
			nDropped++
		default:
			got = append(got, ev)
		}
	}
	var why []string
	if tc.errText != "" {
		if len(errs) == 0 {
			why = append(why, fmt.Sprintf("expected an error containing %q, got none", tc.errText))
		}
		for _, e := range errs {
			if !strings.Contains(e, tc.errText) {
				why = append(why, fmt.Sprintf("expected an error containing %q, got: %s", tc.errText, e))
			}
		}
	} else {
		for _, e := range errs {
			why = append(why, "unexpected error: "+e)
		}
	}
	if tc.dropped && nDropped != len(tc.input) {
		why = append(why, fmt.Sprintf("expected the event to be dropped; %d of %d were", nDropped, len(tc.input)))
	}
	if tc.hasOut {
		want, have := canonical(tc.output), canonical(got)
		if want != have {
			why = append(why, "output differs (- expected, + actual):\n"+lineDiff(want, have))
		}
	}
	res.Passed = len(why) == 0
	res.Diff = strings.Join(why, "\n")
	return res
}

// canonical renders events as indented JSON with sorted keys and floats
// as the node writes them (ForJSON: 2.0, 1.0E10), the form in which
// expected and actual are compared and diffed.
func canonical(evs []Event) string {
	var b bytes.Buffer
	for _, ev := range evs {
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(ForJSON(ev)); err != nil {
			fmt.Fprintf(&b, "<%v>\n", err)
		}
	}
	return b.String()
}

// lineDiff is a line diff of a and b by longest common subsequence.
func lineDiff(a, b string) string {
	x, y := strings.Split(strings.TrimSuffix(a, "\n"), "\n"), strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			out.WriteString("  " + x[i] + "\n")
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out.WriteString("- " + x[i] + "\n")
			i++
		default:
			out.WriteString("+ " + y[j] + "\n")
			j++
		}
	}
	return out.String()
}

// tests reads the tests: list of a definition.
func (d *defBuilder) tests(n *yaml.Node) []testCase {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "tests", "want a list of tests")
		return nil
	}
	var out []testCase
	for i, item := range n.Content {
		key := fmt.Sprintf("tests[%d]", i)
		if item.Kind != yaml.MappingNode {
			d.errorf(item, key, "want a mapping with name, input and output")
			continue
		}
		tc := testCase{name: fmt.Sprintf("test #%d", i), line: item.Line}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := item.Content[j], item.Content[j+1]
			switch k.Value {
			case "name":
				tc.name = v.Value
			case "now":
				t, err := time.Parse(time.RFC3339Nano, v.Value)
				if err != nil {
					d.errorf(v, key+".now", "want an RFC 3339 time: %v", err)
				}
				tc.now = t
			case "input":
				tc.input = d.events(v, key+".input", true)
			case "output":
				tc.output, tc.hasOut = d.events(v, key+".output", false), true
			case "dropped":
				if err := v.Decode(&tc.dropped); err != nil {
					d.errorf(v, key+".dropped", "want true or false")
				}
			case "error":
				tc.errText = v.Value
			default:
				d.errorf(k, key+"."+k.Value, "unknown key (want name, now, input, output, dropped or error)")
			}
		}
		if len(tc.input) == 0 {
			d.errorf(item, key, "a test needs an input")
		}
		out = append(out, tc)
	}
	return out
}

// events reads one event or a list of them; for inputs a string stands for
// an event whose message it is.
func (d *defBuilder) events(n *yaml.Node, key string, input bool) []Event {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []Event
	for _, it := range items {
		var v any
		if err := it.Decode(&v); err != nil {
			d.errorf(it, key, "%v", err)
			continue
		}
		switch x := normalize(v).(type) {
		case map[string]any:
			out = append(out, Event(x))
		case string:
			if input {
				out = append(out, Event{"message": x})
				continue
			}
			d.errorf(it, key, "want an event (a mapping)")
		default:
			d.errorf(it, key, "want an event (a mapping)")
		}
	}
	return out
}
