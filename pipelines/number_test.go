package pipelines

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestNumbersFromJSON: numbers decoded as json.Number (DecodeEvent, the
// json processor) work in conditions, convert, append and templates as
// int64 and float64 do, and keep their text where nothing computes.
func TestNumbersFromJSON(t *testing.T) {
	cases := []struct {
		name, procs string
		in          string // JSON
		want        Event
	}{
		{"compare an integer beyond 2^53", `- set: {field: x, value: y, if: 'n > 9007199254740992 && n == 9007199254740993'}`,
			`{"n":9007199254740993}`, Event{"n": json.Number("9007199254740993"), "x": "y"}},
		{"compare a float written with an exponent", `- set: {field: x, value: y, if: 'n == 1000 && n >= 999.5 && -n < 0'}`,
			`{"n":1e3}`, Event{"n": json.Number("1e3"), "x": "y"}},
		{"nested, optional and ??", `- set: {field: x, value: y, if: '(http?.response?.status_code ?? 0) >= 400 && http.response.status_code in [404, 500]'}`,
			`{"http":{"response":{"status_code":404}}}`, Event{"http": map[string]any{"response": map[string]any{"status_code": json.Number("404")}}, "x": "y"}},
		{"$env and arithmetic", `- set: {field: x, value: y, if: '$env["a.b"] + 1 == 3.5'}`,
			`{"a.b":2.5}`, Event{"a.b": json.Number("2.5"), "x": "y"}},
		{"beyond int64 compares as a float", `- set: {field: x, value: y, if: 'n > 9223372036854775807.0'}`,
			`{"n":12345678901234567890}`, Event{"n": json.Number("12345678901234567890"), "x": "y"}},
		{"false condition", `- set: {field: x, value: y, if: 'n < 0'}`, `{"n":-0}`, Event{"n": json.Number("-0")}},
		{"convert integer text to float", `- convert: {field: n, type: float}`, `{"n":2}`, Event{"n": 2.0}},
		{"convert a float literal to double keeps it", `- convert: {field: n, type: double}`, `{"n":1.0e+2}`, Event{"n": json.Number("1.0e+2")}},
		{"convert to long", `- convert: {field: n, type: long}`, `{"n":[9007199254740993, 2.0]}`, Event{"n": []any{int64(9007199254740993), int64(2)}}},
		{"convert to string", `- convert: {field: n, type: string}`, `{"n":1.50}`, Event{"n": "1.50"}},
		{"template", `- set: {field: s, value: 'n={{n}}'}`, `{"n":0.10}`, Event{"n": json.Number("0.10"), "s": "n=0.10"}},
		{"append dedupes by value, integer apart from float", `- append: {field: l, value: [2, 2.0, 3], allow_duplicates: false}`,
			`{"l":[2, 3.0]}`, Event{"l": []any{json.Number("2"), json.Number("3.0"), 2.0, int64(3)}}},
		{"sort decoded and made integers together", `- append: {field: l, value: [5]}
- sort: {field: l}`,
			`{"l":[10, -1, 3]}`, Event{"l": []any{json.Number("-1"), json.Number("3"), int64(5), json.Number("10")}}},
		{"community_id reads decoded ports", `- community_id: {}`,
			`{"source":{"ip":"66.35.250.204","port":80},"destination":{"ip":"128.232.110.120","port":34855},"network":{"transport":"TCP"}}`,
			Event{"source": map[string]any{"ip": "66.35.250.204", "port": json.Number("80")}, "destination": map[string]any{"ip": "128.232.110.120", "port": json.Number("34855")},
				"network": map[string]any{"transport": "TCP", "community_id": "1:LQU9qZlK+B5F3KDmev6m5PMibrg="}}},
		{"json processor keeps numbers", `- json: {field: m, target_field: d}`,
			`{"m":"{\"a\":9007199254740993,\"b\":2.0}"}`, Event{"m": `{"a":9007199254740993,"b":2.0}`, "d": map[string]any{"a": json.Number("9007199254740993"), "b": json.Number("2.0")}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, "processors:\n"+indentYAML(c.procs))
			ev, err := DecodeEvent([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := p.Run(ev)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, c.want) {
				t.Fatalf("got  %#v\nwant %#v", out, c.want)
			}
		})
	}
}

func TestConvertNumberErrors(t *testing.T) {
	for _, c := range []struct{ procs, in, err string }{
		{`- convert: {field: n, type: long}`, `{"n":12345678901234567890}`, "does not fit a long"},
		{`- convert: {field: n, type: integer}`, `{"n":9007199254740993}`, "does not fit an integer"},
		{`- convert: {field: n, type: long}`, `{"n":2.5}`, "not a whole number"},
		{`- convert: {field: n, type: integer}`, `{"n":" 42 "}`, "unable to convert [ 42 ] to integer"},
		{`- convert: {field: n, type: boolean}`, `{"n":" true"}`, "[ true] is not a boolean value"},
		{`- lowercase: {field: n}`, `{"n":2.5}`, "is a number, not a string"},
		{`- lowercase: {field: n}`, `{"n":2}`, "is a integer, not a string"},
	} {
		p := mustParse(t, "processors:\n"+indentYAML(c.procs))
		ev, err := DecodeEvent([]byte(c.in))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := p.Run(ev); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s on %s: error %v, want %q", c.procs, c.in, err, c.err)
		}
	}
}

// TestDecodeEvent: json.Unmarshal's errors, trailing data refused, null
// a nil event.
func TestDecodeEvent(t *testing.T) {
	for in, want := range map[string]string{
		``:          "unexpected end of JSON input",
		`{"a":`:     "unexpected end of JSON input",
		`{"a":1} x`: "invalid character 'x' after top-level value",
		`{"a":1}{}`: "invalid character '{' after top-level value",
		`[1]`:       "cannot unmarshal array",
		`"s"`:       "cannot unmarshal string",
	} {
		if _, err := DecodeEvent([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
	if ev, err := DecodeEvent([]byte(" null ")); err != nil || ev != nil {
		t.Errorf("null: %v, %v", ev, err)
	}
	if ev, err := DecodeEvent([]byte("{\"a\":1}\n")); err != nil || ev["a"] != json.Number("1") {
		t.Errorf("trailing newline: %v, %v", ev, err)
	}
}
