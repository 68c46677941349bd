package pipelines

import (
	"reflect"
	"strings"
	"testing"
)

// TestNodeSemantics pins behaviours where sluice used to differ from a real
// ingest node (the conformance suite's former differences, checked there
// against OpenSearch); each case fails without its fix. The definition is
// the processors: list, want the event after it, or err a substring of the
// error.
func TestNodeSemantics(t *testing.T) {
	cases := []struct {
		name  string
		procs string
		in    Event
		want  Event
		err   string
	}{
		{"rename failure keeps the source", `- rename: {field: a, target_field: b.c, ignore_failure: true}`,
			Event{"a": int64(1), "b": "scalar"}, Event{"a": int64(1), "b": "scalar"}, ""},
		{"rename failure keeps a nested source", `- rename: {field: a.x, target_field: b.c, ignore_failure: true}`,
			Event{"a": map[string]any{"x": int64(1)}, "b": "scalar"}, Event{"a": map[string]any{"x": int64(1)}, "b": "scalar"}, ""},
		{"append of one value to a missing field makes a list", `- append: {field: tags, value: x}`,
			Event{}, Event{"tags": []any{"x"}}, ""},
		{"append to a missing field keeps duplicates", `- append: {field: tags, value: [x, y, x], allow_duplicates: false}`,
			Event{}, Event{"tags": []any{"x", "y", "x"}}, ""},
		{"append dedupes new values against each other", `- append: {field: tags, value: [x, y, y], allow_duplicates: false}`,
			Event{"tags": "x"}, Event{"tags": []any{"x", "y"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, "processors:\n"+indentYAML(c.procs))
			out, _, err := p.Run(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q (event %v)", err, c.err, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(out, c.want) {
				t.Fatalf("got  %#v\nwant %#v", out, c.want)
			}
		})
	}
}
