package pipelines

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func mustParse(t testing.TB, def string) *Pipeline {
	t.Helper()
	p, err := Parse("test.yml", []byte(def), Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("definition:\n%s\nerror: %v", def, err)
	}
	return p
}

// TestProcessors runs each processor on an event: the definition is the
// processors: list, want the event after it (nil when dropped), or err a
// substring of the error.
func TestProcessors(t *testing.T) {
	cases := []struct {
		name  string
		procs string
		in    Event
		want  Event
		err   string
	}{
		// grok
		{"grok stock pattern with types", `- grok: {field: message, patterns: ['%{IP:client.ip} %{INT:n:int} %{NUMBER:f:float} %{WORD:w}']}`,
			Event{"message": "10.0.0.1 42 1.5 hi"},
			Event{"message": "10.0.0.1 42 1.5 hi", "client": map[string]any{"ip": "10.0.0.1"}, "n": int64(42), "f": 1.5, "w": "hi"}, ""},
		{"grok first matching pattern wins", `- grok: {field: message, patterns: ['^x=%{INT:x}$', '^%{WORD:word}$']}`,
			Event{"message": "hello"}, Event{"message": "hello", "word": "hello"}, ""},
		{"grok pattern_definitions", `- grok: {field: message, patterns: ['%{ID:id}'], pattern_definitions: {ID: '[A-Z]{3}-%{INT}'}}`,
			Event{"message": "ref ABC-12"}, Event{"message": "ref ABC-12", "id": "ABC-12"}, ""},
		{"grok unanchored match in the middle", `- grok: {field: message, patterns: ['user=%{USERNAME:user.name}']}`,
			Event{"message": "a b user=bob c"}, Event{"message": "a b user=bob c", "user": map[string]any{"name": "bob"}}, ""},
		{"grok no match", `- grok: {field: message, patterns: ['%{INT:n}']}`,
			Event{"message": "abc"}, nil, "matches none of the grok patterns"},
		{"grok missing field", `- grok: {field: message, patterns: ['%{INT:n}']}`,
			Event{}, nil, "field [message] not present"},
		{"grok ignore_missing", `- grok: {field: message, patterns: ['%{INT:n}'], ignore_missing: true}`,
			Event{}, Event{}, ""},
		{"grok not a string", `- grok: {field: message, patterns: ['%{INT:n}']}`,
			Event{"message": int64(3)}, nil, "is a integer, not a string"},
		{"grok named group in a definition", `- grok: {field: message, patterns: ['(?P<code>\d+)']}`,
			Event{"message": "e 404"}, Event{"message": "e 404", "code": "404"}, ""},

		// dissect
		{"dissect", `- dissect: {field: message, pattern: '%{client} [%{ts}] "%{method} %{path}" %{?skip} %{status}'}`,
			Event{"message": `1.2.3.4 [now] "GET /a" x 200`},
			Event{"message": `1.2.3.4 [now] "GET /a" x 200`, "client": "1.2.3.4", "ts": "now", "method": "GET", "path": "/a", "status": "200"}, ""},
		{"dissect append and padding", `- dissect: {field: message, pattern: '%{a->} %{+a} %{b}', append_separator: '-'}`,
			Event{"message": "x    y z"}, Event{"message": "x    y z", "a": "x-y", "b": "z"}, ""},
		{"dissect reference keys", `- dissect: {field: message, pattern: '%{*k}=%{&k}'}`,
			Event{"message": "color=red"}, Event{"message": "color=red", "color": "red"}, ""},
		{"dissect no match", `- dissect: {field: message, pattern: '%{a}|%{b}'}`,
			Event{"message": "nope"}, nil, "unable to find match"},

		// json, kv
		{"json into target", `- json: {field: message, target_field: doc}`,
			Event{"message": `{"a":{"b":2},"c":[1,2.5]}`}, Event{"message": `{"a":{"b":2},"c":[1,2.5]}`, "doc": map[string]any{"a": map[string]any{"b": json.Number("2")}, "c": []any{json.Number("1"), json.Number("2.5")}}}, ""},
		{"json add_to_root", `- json: {field: message, add_to_root: true}`,
			Event{"message": `{"a":1}`}, Event{"message": `{"a":1}`, "a": json.Number("1")}, ""},
		{"json invalid", `- json: {field: message}`, Event{"message": `{`}, nil, "is not JSON"},
		{"kv", `- kv: {field: message, field_split: ' ', value_split: '=', target_field: kv, trim_value: '"', exclude_keys: [secret]}`,
			Event{"message": `a=1 b="two" secret=x a=3`}, Event{"message": `a=1 b="two" secret=x a=3`, "kv": map[string]any{"a": []any{"1", "3"}, "b": "two"}}, ""},

		// date
		{"date java pattern with zone", `- date: {field: t, formats: ['dd/MMM/yyyy:HH:mm:ss Z']}`,
			Event{"t": "17/May/2015:08:05:32 +0200"}, Event{"t": "17/May/2015:08:05:32 +0200", "@timestamp": "2015-05-17T06:05:32.000Z"}, ""},
		{"date timezone applies without zone", `- date: {field: t, formats: ['yyyy-MM-dd HH:mm:ss,SSS'], timezone: Europe/Paris, target_field: ts}`,
			Event{"t": "2024-07-01 10:00:00,250"}, Event{"t": "2024-07-01 10:00:00,250", "ts": "2024-07-01T10:00:00.250+02:00"}, ""},
		{"date output in timezone when the text has a zone", `- date: {field: t, formats: [ISO8601], timezone: America/New_York}`,
			Event{"t": "2024-01-15T12:00:00Z"}, Event{"t": "2024-01-15T12:00:00Z", "@timestamp": "2024-01-15T07:00:00.000-05:00"}, ""},
		{"date ISO8601 variants", `- date: {field: t, formats: [ISO8601]}`,
			Event{"t": "2024-01-15T12:00:00.123456+01:00"}, Event{"t": "2024-01-15T12:00:00.123456+01:00", "@timestamp": "2024-01-15T11:00:00.123Z"}, ""},
		{"date ISO8601 date only", `- date: {field: t, formats: [ISO8601]}`,
			Event{"t": "2024-01-15"}, Event{"t": "2024-01-15", "@timestamp": "2024-01-15T00:00:00.000Z"}, ""},
		{"date UNIX with fraction", `- date: {field: t, formats: [UNIX]}`,
			Event{"t": "1431849932.5"}, Event{"t": "1431849932.5", "@timestamp": "2015-05-17T08:05:32.500Z"}, ""},
		{"date UNIX number", `- date: {field: t, formats: [UNIX]}`,
			Event{"t": int64(1431849932)}, Event{"t": int64(1431849932), "@timestamp": "2015-05-17T08:05:32.000Z"}, ""},
		{"date UNIX_MS", `- date: {field: t, formats: [UNIX_MS]}`,
			Event{"t": "1431849932123"}, Event{"t": "1431849932123", "@timestamp": "2015-05-17T08:05:32.123Z"}, ""},
		{"date TAI64N", `- date: {field: t, formats: [TAI64N]}`,
			Event{"t": "@4000000052f88ea32489532c"}, Event{"t": "@4000000052f88ea32489532c", "@timestamp": "2014-02-10T08:32:25.612Z"}, ""},
		{"date second format", `- date: {field: t, formats: [UNIX, 'EEE MMM d HH:mm:ss yyyy']}`,
			Event{"t": "Tue Mar 5 07:00:00 2024"}, Event{"t": "Tue Mar 5 07:00:00 2024", "@timestamp": "2024-03-05T07:00:00.000Z"}, ""},
		{"date without year takes the clock's", `- date: {field: t, formats: ['MMM d HH:mm:ss']}`,
			Event{"t": "Feb 2 01:02:03"}, Event{"t": "Feb 2 01:02:03", "@timestamp": "2024-02-02T01:02:03.000Z"}, ""},
		{"date output_format", `- date: {field: t, formats: [ISO8601], output_format: 'yyyy/MM/dd HH:mm'}`,
			Event{"t": "2024-01-15T12:30:00Z"}, Event{"t": "2024-01-15T12:30:00Z", "@timestamp": "2024/01/15 12:30"}, ""},
		{"date unparsable", `- date: {field: t, formats: [ISO8601]}`, Event{"t": "yesterday"}, nil, "unable to parse date [yesterday]"},
		{"date missing", `- date: {field: t, formats: [ISO8601]}`, Event{}, nil, "field [t] not present"},

		// set, append, rename, remove
		{"set template", `- set: {field: a.b, value: '{{host.name}}:{{ port }}'}`,
			Event{"host": map[string]any{"name": "h"}, "port": int64(80)}, Event{"host": map[string]any{"name": "h"}, "port": int64(80), "a": map[string]any{"b": "h:80"}}, ""},
		{"set typed value and no override", `- set: {field: n, value: 5, override: false}
- set: {field: m, value: [1, x]}`,
			Event{"n": "keep"}, Event{"n": "keep", "m": []any{int64(1), "x"}}, ""},
		{"set copy_from", `- set: {field: b, copy_from: a}`, Event{"a": map[string]any{"x": int64(1)}}, Event{"a": map[string]any{"x": int64(1)}, "b": map[string]any{"x": int64(1)}}, ""},
		{"set missing template field renders empty", `- set: {field: a, value: 'x{{nope}}y'}`, Event{}, Event{"a": "xy"}, ""},
		{"append", `- append: {field: tags, value: [b, '{{x}}']}`, Event{"tags": "a", "x": "c"}, Event{"tags": []any{"a", "b", "c"}, "x": "c"}, ""},
		{"append without duplicates", `- append: {field: tags, value: a, allow_duplicates: false}`, Event{"tags": []any{"a"}}, Event{"tags": []any{"a"}}, ""},
		{"append without duplicates, objects compared by content", `- append: {field: o, value: {k: v}, allow_duplicates: false}`,
			Event{"o": map[string]any{"k": "v"}}, Event{"o": []any{map[string]any{"k": "v"}}}, ""},
		{"append without duplicates, a different object", `- append: {field: o, value: {k: w}, allow_duplicates: false}`,
			Event{"o": []any{map[string]any{"k": "v"}, "s"}}, Event{"o": []any{map[string]any{"k": "v"}, "s", map[string]any{"k": "w"}}}, ""},
		{"append without duplicates, lists in lists", `- append: {field: l, value: [[1, {a: [2]}]], allow_duplicates: false}`,
			Event{"l": []any{[]any{int64(1), map[string]any{"a": []any{int64(2)}}}}}, Event{"l": []any{[]any{int64(1), map[string]any{"a": []any{int64(2)}}}}}, ""},
		{"append without duplicates, 1 is not 1.0", `- append: {field: n, value: 1.0, allow_duplicates: false}`,
			Event{"n": []any{int64(1), nil}}, Event{"n": []any{int64(1), nil, 1.0}}, ""},
		{"rename nested", `- rename: {field: a.b, target_field: c.d}`, Event{"a": map[string]any{"b": int64(1)}}, Event{"a": map[string]any{}, "c": map[string]any{"d": int64(1)}}, ""},
		{"rename target exists", `- rename: {field: a, target_field: b}`, Event{"a": int64(1), "b": int64(2)}, nil, "field [b] already exists"},
		{"rename missing", `- rename: {field: a, target_field: b}`, Event{}, nil, "field [a] not present"},
		{"rename ignore_missing", `- rename: {field: a, target_field: b, ignore_missing: true}`, Event{}, Event{}, ""},
		{"remove list", `- remove: {field: [a, b.c]}`, Event{"a": int64(1), "b": map[string]any{"c": int64(2), "d": int64(3)}}, Event{"b": map[string]any{"d": int64(3)}}, ""},
		{"remove missing", `- remove: {field: a}`, Event{}, nil, "field [a] not present"},
		{"remove keep", `- remove: {keep: [a.b, c]}`, Event{"a": map[string]any{"b": int64(1), "x": int64(2)}, "y": int64(3)}, Event{"a": map[string]any{"b": int64(1)}}, ""},

		// convert
		{"convert integer", `- convert: {field: a, type: integer}`, Event{"a": "42"}, Event{"a": int64(42)}, ""},
		{"convert integer hex", `- convert: {field: a, type: integer}`, Event{"a": "0x1F"}, Event{"a": int64(31)}, ""},
		{"convert integer overflow", `- convert: {field: a, type: integer}`, Event{"a": "3000000000"}, nil, "unable to convert [3000000000] to integer"},
		{"convert long", `- convert: {field: a, type: long}`, Event{"a": "3000000000"}, Event{"a": int64(3000000000)}, ""},
		{"convert float list", `- convert: {field: a, type: float, target_field: b}`, Event{"a": []any{"1.5", int64(2)}}, Event{"a": []any{"1.5", int64(2)}, "b": []any{1.5, 2.0}}, ""},
		{"convert double", `- convert: {field: a, type: double}`, Event{"a": "-1e3"}, Event{"a": -1000.0}, ""},
		{"convert boolean", `- convert: {field: a, type: boolean}`, Event{"a": "TRUE"}, Event{"a": true}, ""},
		{"convert boolean bad", `- convert: {field: a, type: boolean}`, Event{"a": "yes"}, nil, "[yes] is not a boolean"},
		{"convert string", `- convert: {field: a, type: string}`, Event{"a": 2.5}, Event{"a": "2.5"}, ""},
		{"convert ip", `- convert: {field: a, type: ip}`, Event{"a": "2001:DB8::1"}, Event{"a": "2001:db8::1"}, ""},
		{"convert ip bad", `- convert: {field: a, type: ip}`, Event{"a": "example.com"}, nil, "is not an IP address"},
		{"convert auto", `- convert: {field: a, type: auto}
- convert: {field: b, type: auto}
- convert: {field: c, type: auto}
- convert: {field: d, type: auto}`, Event{"a": "7", "b": "7.5", "c": "false", "d": "x"}, Event{"a": int64(7), "b": 7.5, "c": false, "d": "x"}, ""},
		{"convert missing ignored", `- convert: {field: a, type: long, ignore_missing: true}`, Event{}, Event{}, ""},

		// strings
		{"lowercase uppercase trim", `- lowercase: {field: a}
- uppercase: {field: b, target_field: c}
- trim: {field: d}`, Event{"a": "MiX", "b": []any{"x", "y"}, "d": "  s \t"}, Event{"a": "mix", "b": []any{"x", "y"}, "c": []any{"X", "Y"}, "d": "s"}, ""},
		{"lowercase not a string", `- lowercase: {field: a}`, Event{"a": int64(1)}, nil, "not a string"},
		{"gsub with groups", `- gsub: {field: a, pattern: '(\d+)-(\d+)', replacement: '$2x$1'}`, Event{"a": "10-20"}, Event{"a": "20x10"}, ""},
		{"split", `- split: {field: a, separator: '\s*,\s*'}`, Event{"a": "x, y,z,,"}, Event{"a": []any{"x", "y", "z"}}, ""},
		{"split preserve_trailing", `- split: {field: a, separator: ',', preserve_trailing: true}`, Event{"a": "x,"}, Event{"a": []any{"x", ""}}, ""},

		// drop, fail, if
		{"drop", `- drop: {}`, Event{"a": int64(1)}, nil, ""},
		{"drop if true", `- drop: {if: 'a > 0'}`, Event{"a": int64(1)}, nil, ""},
		{"drop if false", `- drop: {if: 'a > 5'}`, Event{"a": int64(1)}, Event{"a": int64(1)}, ""},
		{"if on nested and missing fields", `- set: {field: x, value: y, if: 'http?.response?.status_code == 404 && nope == nil'}`,
			Event{"http": map[string]any{"response": map[string]any{"status_code": int64(404)}}}, Event{"http": map[string]any{"response": map[string]any{"status_code": int64(404)}}, "x": "y"}, ""},
		{"if with $env", `- set: {field: x, value: y, if: '$env["@timestamp"] != nil'}`, Event{"@timestamp": "t"}, Event{"@timestamp": "t", "x": "y"}, ""},
		{"if runtime error fails the processor", `- set: {field: x, value: y, if: 'a.b.c == 1'}`, Event{}, nil, "if: "},
		{"fail with template", `- fail: {message: 'bad {{a}}'}`, Event{"a": "thing"}, nil, "bad thing"},

		// failure handling
		{"ignore_failure", `- fail: {message: x, ignore_failure: true}
- set: {field: after, value: 1}`, Event{}, Event{"after": int64(1)}, ""},
		{"on_failure with metadata", `- rename:
    field: a
    target_field: b
    tag: mover
    on_failure:
      - set: {field: error.message, value: '{{_ingest.on_failure_message}}'}
      - set: {field: error.processor, value: '{{_ingest.on_failure_processor_type}}/{{_ingest.on_failure_processor_tag}}'}
- set: {field: after, value: 1}`, Event{}, Event{"error": map[string]any{"message": "field [a] not present", "processor": "rename/mover"}, "after": int64(1)}, ""},
		{"failing on_failure fails", `- fail:
    message: first
    on_failure:
      - fail: {message: 'second after {{_ingest.on_failure_message}}'}`, Event{}, nil, "second after first"},
		{"error names the processor and tag", `- set: {field: a, value: 1}
- fail: {message: boom, tag: t1}`, Event{}, nil, "test.yml: processor fail#1 (tag t1): boom"},

		// fingerprint, user_agent
		{"fingerprint missing", `- fingerprint: {fields: [a]}`, Event{}, nil, "field [a] not present"},
		{"fingerprint ignore_missing", `- fingerprint: {fields: [a], ignore_missing: true}`, Event{}, Event{}, ""},
		{"user_agent", `- user_agent: {field: ua}`, Event{"ua": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"},
			Event{"ua": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", "user_agent": map[string]any{
				"original": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", "name": "Firefox", "version": "121.0",
				"os": map[string]any{"name": "Windows", "version": "10", "full": "Windows 10"}, "device": map[string]any{"name": "Other"}}}, ""},
		{"user_agent properties", `- user_agent: {field: ua, target_field: x, properties: [name]}`, Event{"ua": "curl/8.5.0"},
			Event{"ua": "curl/8.5.0", "x": map[string]any{"name": "curl"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, "processors:\n"+indentYAML(c.procs))
			out, dropped, err := p.Run(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q (event %v)", err, c.err, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.want == nil {
				if !dropped {
					t.Fatalf("not dropped: %v", out)
				}
				return
			}
			if dropped {
				t.Fatal("dropped")
			}
			if !reflect.DeepEqual(out, c.want) {
				t.Fatalf("got  %#v\nwant %#v", out, c.want)
			}
		})
	}
}

func indentYAML(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestFingerprint(t *testing.T) {
	methods := []string{"SHA-1", "SHA-256", "SHA-512", "MD5", "MurmurHash3"}
	lens := []int{28, 44, 88, 24, 8}
	for i, m := range methods {
		p := mustParse(t, "processors:\n  - fingerprint: {fields: [b, a], method: "+m+"}\n")
		out1, _, _ := p.Run(Event{"a": "x", "b": map[string]any{"c": int64(1)}})
		out2, _, _ := p.Run(Event{"b": map[string]any{"c": int64(1)}, "a": "x", "other": "ignored"})
		out3, _, _ := p.Run(Event{"a": "xb", "b": map[string]any{"c": int64(1)}})
		f1, f2, f3 := out1["fingerprint"].(string), out2["fingerprint"].(string), out3["fingerprint"].(string)
		if f1 != f2 || f1 == f3 || len(f1) != lens[i] {
			t.Errorf("%s: %q %q %q", m, f1, f2, f3)
		}
	}
	// MurmurHash3 x86_32 reference values.
	for _, c := range []struct {
		in   string
		want uint32
	}{{"", 0}, {"hello", 0x248bfa47}, {"The quick brown fox jumps over the lazy dog", 0x2e4ff723}} {
		if got := murmur3Sum32([]byte(c.in), 0); got != c.want {
			t.Errorf("murmur3(%q) = %#x, want %#x", c.in, got, c.want)
		}
	}
}

func TestEventPaths(t *testing.T) {
	ev := Event{"a": map[string]any{"l": []any{map[string]any{"x": int64(1)}}}, "s": "str"}
	cases := []struct {
		field string
		want  any
		ok    bool
	}{{"a.l.0.x", int64(1), true}, {"a.l.1.x", nil, false}, {"s.x", nil, false}, {"nope", nil, false}, {"s", "str", true}}
	for _, c := range cases {
		if v, ok := ev.Get(c.field); ok != c.ok || !reflect.DeepEqual(v, c.want) {
			t.Errorf("Get(%q) = %v, %v", c.field, v, ok)
		}
	}
	if err := ev.Set("s.x", 1); err == nil || !strings.Contains(err.Error(), "[s] is a string") {
		t.Errorf("Set through a string: %v", err)
	}
	if err := ev.Set("a.l.0.y", "new"); err != nil {
		t.Fatal(err)
	}
	if v, _ := ev.Get("a.l.0.y"); v != "new" {
		t.Errorf("set in list element: %v", ev)
	}
	if !ev.Remove("a.l.0.y") || ev.Remove("a.zz") {
		t.Error("Remove")
	}
}
