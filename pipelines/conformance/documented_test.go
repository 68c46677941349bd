package conformance

import (
	"slices"
	"testing"
)

// documentedCase is a behaviour Elasticsearch documents for an option or
// a processor OpenSearch 2.19 lacks, so no node can check it: the expected outcomes are
// written from Elasticsearch's documented semantics.
type documentedCase struct {
	name     string
	pipeline string
	docs     []string
	want     []string // outcomes, as in conformanceCase
}

var documented = []documentedCase{
	{
		// set's copy_from (Elasticsearch 7.11+) copies the value, objects
		// included, instead of rendering a template; the copy is
		// independent of its source.
		name: "set copy_from",
		pipeline: `processors:
  - set: {field: b, copy_from: a}
  - append: {field: b.x, value: 3}
  - set: {field: c, copy_from: missing, ignore_empty_value: true}`,
		docs: []string{`{"a":{"x":[1,2]}}`},
		want: []string{`{"a":{"x":[1,2]},"b":{"x":[1,2,3]}}`},
	},
	{
		// dot_expander's field "*" (Elasticsearch 7.16+) expands every
		// top-level field with a dot in its name.
		name: "dot_expander all fields",
		pipeline: `processors:
  - dot_expander: {field: '*'}`,
		docs: []string{`{"foo.bar":"value","baz.qux.x":1,"plain":2,"foo":{"other":3}}`},
		want: []string{`{"baz":{"qux":{"x":1}},"foo":{"bar":"value","other":3},"plain":2}`},
	},
}

// TestElasticsearchDocumented runs the documented cases through sluice only.
func TestElasticsearchDocumented(t *testing.T) {
	for _, c := range documented {
		t.Run(c.name, func(t *testing.T) {
			got := runSluice(t, conformanceCase{name: c.name, pipeline: c.pipeline, docs: c.docs})
			if !slices.Equal(got, c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}
