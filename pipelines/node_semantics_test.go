package pipelines

import (
	"encoding/json"
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
		{"user_agent writes no os.full without an OS version", `- user_agent: {field: ua, properties: [os]}`,
			Event{"ua": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"}, Event{"ua": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", "user_agent": map[string]any{"os": map[string]any{"name": "Linux"}}}, ""},
		{"append of one value to a missing field makes a list", `- append: {field: tags, value: x}`,
			Event{}, Event{"tags": []any{"x"}}, ""},
		{"append to a missing field keeps duplicates", `- append: {field: tags, value: [x, y, x], allow_duplicates: false}`,
			Event{}, Event{"tags": []any{"x", "y", "x"}}, ""},
		{"append dedupes new values against each other", `- append: {field: tags, value: [x, y, y], allow_duplicates: false}`,
			Event{"tags": "x"}, Event{"tags": []any{"x", "y"}}, ""},
		{"set a list element", `- set: {field: s.0, value: first}`,
			Event{"s": []any{"a", "b"}}, Event{"s": []any{"first", "b"}}, ""},
		{"set a list element with a sign and a leading zero", `- set: {field: s.+01, value: x}`,
			Event{"s": []any{"a", "b"}}, Event{"s": []any{"a", "x"}}, ""},
		{"set a list element out of range", `- set: {field: s.2, value: x}`,
			Event{"s": []any{"a", "b"}}, nil, "out of bounds"},
		{"set a negative list index", `- set: {field: s.-1, value: x}`,
			Event{"s": []any{"a", "b"}}, nil, "out of bounds"},
		{"set a non-numeric list index", `- set: {field: s.x, value: x}`,
			Event{"s": []any{"a", "b"}}, nil, "not an integer"},
		{"set under a null parent fails", `- set: {field: a.b, value: x}`,
			Event{"a": nil}, nil, "[a] is null"},
		{"set under a null grandparent fails", `- set: {field: a.b.c, value: x}`,
			Event{"a": map[string]any{"b": nil}}, nil, "[a.b] is null"},
		{"remove a list element", `- remove: {field: r.1}`,
			Event{"r": []any{"a", "b", "c"}}, Event{"r": []any{"a", "c"}}, ""},
		{"remove a nested list element twice", `- remove: {field: [o.r.0, o.r.0]}`,
			Event{"o": map[string]any{"r": []any{"a", "b", "c"}}}, Event{"o": map[string]any{"r": []any{"c"}}}, ""},
		{"remove a list element out of range", `- remove: {field: r.1}`,
			Event{"r": []any{"a"}}, nil, "not present"},
		{"append to a list element", `- append: {field: o.list.0, value: y}`,
			Event{"o": map[string]any{"list": []any{[]any{"x"}, "z"}}}, Event{"o": map[string]any{"list": []any{[]any{"x", "y"}, "z"}}}, ""},
		{"append to a scalar list element", `- append: {field: l.0, value: y}`,
			Event{"l": []any{"x"}}, Event{"l": []any{[]any{"x", "y"}}}, ""},
		{"rename a list element", `- rename: {field: l.0, target_field: z}`,
			Event{"l": []any{"a", "b"}}, Event{"l": []any{"b"}, "z": "a"}, ""},
		{"set ignore_empty_value sets a literal empty string", `- set: {field: out, value: '', ignore_empty_value: true}
- set: {field: out2, value: '{{missing}}', ignore_empty_value: true}
- set: {field: out3, value: '{{n}}', ignore_empty_value: true}`,
			Event{"n": nil}, Event{"n": nil, "out": ""}, ""},
		{"date UNIX_MS refuses a fraction", `- date: {field: t, formats: [UNIX_MS]}`,
			Event{"t": "1700000000123.5"}, nil, "unable to parse date"},
		{"date UNIX_MS refuses an exponent", `- date: {field: t, formats: [UNIX_MS]}`,
			Event{"t": "1.7e12"}, nil, "unable to parse date"},
		{"date UNIX_MS takes a sign", `- date: {field: t, formats: [UNIX_MS]}`,
			Event{"t": "-1000"}, Event{"t": "-1000", "@timestamp": "1969-12-31T23:59:59.000Z"}, ""},
		{"kv strips brackets before trim_value, one at each end", `- kv: {field: m, field_split: ',', value_split: ':', trim_value: ' ', strip_brackets: true}`,
			Event{"m": `a: (v1),b:((v2)),c:(v3],d:"v4,e:(`},
			Event{"m": `a: (v1),b:((v2)),c:(v3],d:"v4,e:(`, "a": "(v1", "b": "(v2)", "c": "v3", "d": "v4", "e": ""}, ""},
		{"user_agent keeps a fourth version component; no os.full without an OS version", `- user_agent: {field: ua}`,
			Event{"ua": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36"},
			Event{"ua": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36", "user_agent": map[string]any{
				"original": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36", "name": "Chrome", "version": "120.0.6099.144",
				"os": map[string]any{"name": "Linux"}, "device": map[string]any{"name": "Other"}}}, ""},
		{"template escapes {{field}}, not {{{field}}} nor {{&field}}", `- set: {field: out, value: '{{m}}|{{{m}}}|{{& m}}'}
- set: {field: one, value: '{{ m }}'}`,
			Event{"m": "a\"b\\c\nd\x01"}, Event{"m": "a\"b\\c\nd\x01", "out": `a\"b\\c\nd\u0001|` + "a\"b\\c\nd\x01|a\"b\\c\nd\x01", "one": `a\"b\\c\nd\u0001`}, ""},
		{"date UNIX: a negative fraction", `- date: {field: t, formats: [UNIX]}`,
			Event{"t": "-1.5"}, Event{"t": "-1.5", "@timestamp": "1969-12-31T23:59:58.500Z"}, ""},
		{"date UNIX: an exponent and spaces", `- date: {field: t, formats: [UNIX]}`,
			Event{"t": " 1.7e9 "}, Event{"t": " 1.7e9 ", "@timestamp": "2023-11-14T22:13:20.000Z"}, ""},
		{"date UNIX: a year of five digits is signed", `- date: {field: t, formats: [UNIX]}`,
			Event{"t": "1e15"}, Event{"t": "1e15", "@timestamp": "+31690708-07-05T01:46:40.000Z"}, ""},
		{"date UNIX: Go's own spellings fail", `- date: {field: t, formats: [UNIX]}`,
			Event{"t": "inf"}, nil, "unable to parse date"},
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

// TestEscapeJSONString checks that an escaped value is a JSON string's
// content: quoted, it decodes to the value again.
func TestEscapeJSONString(t *testing.T) {
	var all []byte
	for c := 0; c < 0x80; c++ {
		all = append(all, byte(c))
	}
	for _, s := range []string{"", "plain", "é \u2028 /", string(all), `\"`, "\x00"} {
		esc := escapeJSONString(s)
		var back string
		if err := json.Unmarshal([]byte(`"`+esc+`"`), &back); err != nil || back != s {
			t.Errorf("escapeJSONString(%q) = %q: decodes to %q, %v", s, esc, back, err)
		}
	}
	if got := escapeJSONString("\x1f\b"); got != `\u001F\b` {
		t.Errorf("escapeJSONString: %q, want upper-case hex and short escapes", got)
	}
}
