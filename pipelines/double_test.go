package pipelines

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// TestDoublesAsText: a float64 rendered as text (templates, convert to
// string, join, an object in a template) reads as the node's Java
// Double.toString: 2.0, 1.0E10, 1.0E-5; a json.Number stays as written.
func TestDoublesAsText(t *testing.T) {
	runProcCases(t, []procCase{
		{"template", `- set: {field: t, value: '{{a}} {{b}} {{c}} {{d}} {{n}}'}`,
			Event{"a": 2.0, "b": 1e10, "c": 1e-5, "d": -0.5, "n": json.Number("1e3")},
			Event{"a": 2.0, "b": 1e10, "c": 1e-5, "d": -0.5, "n": json.Number("1e3"), "t": "2.0 1.0E10 1.0E-5 -0.5 1e3"}, ""},
		{"template of an object", `- set: {field: t, value: '{{{o}}}'}`, Event{"o": obj{"x": 2.0, "l": []any{1e7}}},
			Event{"o": obj{"x": 2.0, "l": []any{1e7}}, "t": `{"l":[1.0E7],"x":2.0}`}, ""},
		{"template of special values", `- set: {field: t, value: '{{a}} {{b}} {{c}}'}`,
			Event{"a": math.Inf(1), "b": math.Inf(-1), "c": math.Copysign(0, -1)},
			Event{"a": math.Inf(1), "b": math.Inf(-1), "c": math.Copysign(0, -1), "t": "Infinity -Infinity -0.0"}, ""},
		{"convert to string", `- convert: {field: a, type: string}`, Event{"a": 12345678.0}, Event{"a": "1.2345678E7"}, ""},
		{"join", `- join: {field: l, separator: ','}`, Event{"l": []any{2.0, 0.001, 0.0001}}, Event{"l": "2.0,0.001,1.0E-4"}, ""},
	})
}

// TestForJSON: floats become the json.Number of their Java text, in
// objects and lists too, and the value given is left as it was.
func TestForJSON(t *testing.T) {
	ev := Event{"f": 2.0, "o": obj{"l": []any{1e10, "x", int64(3)}}, "n": json.Number("2.50")}
	b, err := json.Marshal(ForJSON(ev))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"f":2.0,"n":2.50,"o":{"l":[1.0E10,"x",3]}}`; string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if !reflect.DeepEqual(ev, Event{"f": 2.0, "o": obj{"l": []any{1e10, "x", int64(3)}}, "n": json.Number("2.50")}) {
		t.Errorf("ForJSON changed its argument: %v", ev)
	}
}
