package pipelines

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestPainlessCondition runs translated Painless conditions on events:
// want "true", "false" or "error: substring".
func TestPainlessCondition(t *testing.T) {
	ev := func() Event {
		e, err := DecodeEvent([]byte(`{"message":"GET /index.html","tags":["web","x"],"http":{"response":{"status_code":404}},
			"n":null,"s":"","f":2.5,"big":12345678901234567890,"m":{"k":1},"u":"ÄB 😀","@timestamp":"t"}`))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	cases := []struct{ src, want string }{
		{`ctx.http?.response?.status_code >= 400`, "true"},
		{`ctx.http.response.status_code >= 500`, "false"},
		{`ctx.missing?.response?.status_code >= 400`, "error: "},         // null >= 400
		{`ctx.missing.response == null`, "error: cannot fetch response"}, // NullPointerException
		{`ctx.missing?.response == null`, "true"},
		{`ctx.missing == null && ctx.n == null && ctx.message != null`, "true"},
		{`ctx.tags.contains('x')`, "true"},
		{`ctx.tags.contains('y') || !ctx.tags.contains('web')`, "false"},
		{`ctx.message.contains('index')`, "true"},
		{`ctx.message.startsWith('GET ') && ctx.message.endsWith('.html')`, "true"},
		{`ctx.message.startsWith("POST")`, "false"},
		{`ctx['@timestamp'] == 't'`, "true"},
		{`ctx['http']['response']['status_code'] == 404`, "true"},
		{`ctx.http.response.status_code == 404.0`, "true"},
		{`ctx.http.response.status_code == '404'`, "false"},
		{`ctx.f > 2 && ctx.f < 3`, "true"},
		{`ctx.big > 1`, "true"},
		{`ctx.message.length() == 15`, "true"},
		{`ctx.u.length() == 5`, "true"}, // UTF-16 units: the emoji counts 2
		{`ctx.tags.size() == 2 && ctx.m.size() == 1`, "true"},
		{`ctx.s.isEmpty() && !ctx.tags.isEmpty()`, "true"},
		{`ctx.message.equals('GET /index.html')`, "true"},
		{`ctx.m.k.equals(1)`, "true"},
		{`ctx.m.k.equals(1.0)`, "false"}, // Java's equals: Integer is not Double
		{`ctx.message.toLowerCase() == 'get /index.html'`, "true"},
		{`ctx.u.toUpperCase() == 'ÄB 😀'`, "true"},
		{`ctx.m.containsKey('k') && !ctx.containsKey('nope')`, "true"},
		{`ctx.missing?.contains('x') == null`, "true"},
		{`ctx.missing.contains('x')`, "error: null pointer"},
		{`ctx.n`, "error: cannot cast null to boolean"},
		{`ctx.message`, "error: cannot cast String to boolean"},
		{`!ctx.n`, "error: cannot cast null"},
		{`ctx.m.size()`, "error: cannot cast Number"},
		{`ctx.f.contains('x')`, "error: contains() is a method of String and List"},
		{`(ctx.tags.size() > 1 ? 'a' : 'b') == 'a'`, "true"},
		{`['web', 'x'] == ctx.tags && ['k': 1] == ctx.m && [:].isEmpty() && [].size() == 0`, "true"},
		{`['x', 'y'].contains(ctx.tags[1])`, "true"},
		{`ctx.m.k == ctx.f - 1.5 && ctx.m.k != ctx.f && ctx.n == ctx.missing && ctx.big != ctx.m.k`, "true"},
		{`ctx.message + '!' == 'GET /index.html!'`, "true"},
		{`ctx.f + 1 == 3.5 && ctx.m.k + 1 == 2 && -ctx.m.k == -1 && ctx.m.k * 3 == 3`, "true"},
		{`ctx.tags[0] == 'web' && ctx.tags[-1] == 'x'`, "true"},
		{`return ctx.tags.contains('x');`, "true"},
		{`true`, "true"},
		{`(ctx.missing == null) && (ctx.tags != null)`, "true"},
		{`ctx.m.k == 1 // a comment`, "true"},
		{`ctx.message < ctx.u`, "error: cannot compare String"},
		{`ctx.message >= 'A'`, "error: cannot compare String"},
		{`ctx.m.k < ctx.f`, "true"},
		{`ctx.n <= ctx.f`, "error: null pointer"},
		{`ctx.m.k / 2 == 0 && 7 / 2 == 3 && -7 / 2 == -3 && 7 % 3 == 1 && -7 % 3 == -1 && ctx.f / 2 == 1.25 && 7.5 % 2 == 1.5`, "true"},
		{`ctx.m.k / 0 == 0`, "error: / by zero"},
		{`ctx.message / 2 == 0`, "error: cannot compare String"},
	}
	for _, c := range cases {
		prog, err := compilePainlessCondition(c.src, nil)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		ok, err := evalCondition(prog, ev())
		got := "false"
		switch {
		case err != nil:
			got = "error: " + err.Error()
		case ok:
			got = "true"
		}
		if got != c.want && !(strings.HasPrefix(c.want, "error: ") && strings.HasPrefix(got, c.want)) {
			t.Errorf("%s: got %s, want %s", c.src, got, c.want)
		}
	}
}

// TestPainlessTranslation pins the expr code of a few conditions.
func TestPainlessTranslation(t *testing.T) {
	cases := []struct{ src, want string }{
		{`ctx.http?.response?.status_code >= 400`, `(((($env)["http"])?.["response"])?.["status_code"]) >= (400)`},
		{`ctx.tags.contains('x')`, `__pl_m_contains(false, ($env)["tags"], "x")`},
		{`ctx.a == null || !ctx.b`, `((($env)["a"]) == (nil)) || (!(__pl_bool(($env)["b"])))`},
		{`ctx.a != ctx.b`, `!__pl_eq(($env)["a"], ($env)["b"])`},
		{`ctx['a b'] + 1.5`, `__pl_bool(__pl_add(($env)["a b"], 1.5e+00))`},
	}
	for _, c := range cases {
		n, err := parsePainlessExpr(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		got, err := translatePainlessCondition(n)
		if err != nil || got != c.want {
			t.Errorf("%s:\n got  %s (%v)\n want %s", c.src, got, err, c.want)
		}
	}
}

// TestPainlessRefused: constructs outside the subset fail to compile,
// naming what is unsupported.
func TestPainlessRefused(t *testing.T) {
	cases := []struct{ src, want string }{
		{`ctx.a instanceof String`, "instanceof is not in the supported Painless subset"},
		{`ctx.a === 1`, "operator === is not"},
		{`ctx.a =~ /x/`, "operator =~ is not"},
		{`ctx.message.substring(1) == 'x'`, "method substring()"},
		{`ctx.message.startsWith()`, "startsWith() takes 1 argument(s), not 0"},
		{`doc['a'].value == 1`, `"doc" (the subset reads ctx and params only)`},
		{`ctx.a == 0x10`, "octal and hexadecimal"},
		{`ctx.a == 'x\n'`, "unsupported escape"},
		{`ctx.a == 'x`, "unterminated string"},
		{`ctx.a == 1 ctx.b`, "want the end of the condition"},
		{`ctx.a.`, "want a field or method name"},
		{`ctx.a ?: 1`, "operator ?: is not"},
		{`ctx.a += 1`, "want the end of the condition"},
		{`[ctx.a: 1]`, "a map key that is not a string literal"},
		{`['a': 1, 2]`, "column 10: a map key that is not a string literal"},
		{`ctx.a++ > 1`, "operator ++ is not"},
		{`ctx.list.stream().anyMatch(x -> x == 1)`, "method stream()"},
		{`(` + strings.Repeat("(", 200) + `true` + strings.Repeat(")", 201), "nested deeper than"},
	}
	for _, c := range cases {
		_, err := compilePainlessCondition(c.src, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error with %q", c.src, err, c.want)
		}
	}
}

// TestIsPainless: a condition naming ctx is Painless, others expr.
func TestIsPainless(t *testing.T) {
	for src, want := range map[string]bool{
		`ctx.a == 1`:                         true,
		`ctx?.a == null`:                     true,
		`ctx['a'] != null`:                   true,
		`a == 1`:                             false,
		`$env["ctx"] == 1`:                   false,
		`'ctx' == a`:                         false,
		`http?.response?.status_code >= 500`: false,
		`false`:                              false,
	} {
		if got := isPainless(src); got != want {
			t.Errorf("isPainless(%q) = %v", src, got)
		}
	}
}

// TestScriptProcessor runs script processors.
func TestScriptProcessor(t *testing.T) {
	cases := []struct {
		name, def string
		in        string
		want      string // the event as JSON, or "error: substring"
	}{
		{"assign and concatenate", `{source: "ctx.full = ctx.first + ' ' + ctx.last; ctx.n = 1; ctx.f = 1.5; ctx.b = true"}`,
			`{"first":"a","last":"b"}`, `{"b":true,"f":1.5,"first":"a","full":"a b","last":"b","n":1}`},
		{"nested, brackets and remove", `{source: "ctx.http.code = ctx.status; ctx['a.b'] = 2; ctx.remove('status'); ctx.http.remove('x')"}`,
			`{"status":200,"http":{"x":1}}`, `{"a.b":2,"http":{"code":200}}`},
		{"if else with params", `{source: "if (ctx.level == params.warn) { ctx.sev = params.n } else if (ctx.level == 'error') { ctx.sev = 3 } else ctx.sev = 0", params: {warn: w, n: 2}}`,
			`{"level":"w"}`, `{"level":"w","sev":2}`},
		{"else if", `{source: "if (ctx.level == params.warn) { ctx.sev = params.n } else if (ctx.level == 'error') { ctx.sev = 3 } else ctx.sev = 0", params: {warn: w, n: 2}}`,
			`{"level":"error"}`, `{"level":"error","sev":3}`},
		{"else", `{source: "if (ctx.level == params.warn) { ctx.sev = params.n } else if (ctx.level == 'error') { ctx.sev = 3 } else ctx.sev = 0", params: {warn: w, n: 2}}`,
			`{}`, `{"sev":0}`},
		{"list add and set", `{source: "ctx.tags.add('new'); ctx.tags[0] = 'first'; ctx.count = ctx.tags.size()"}`,
			`{"tags":["a","b"]}`, `{"count":3,"tags":["first","b","new"]}`},
		{"numbers concatenated as Java writes them", `{source: "ctx.s = '' + ctx.i + '/' + ctx.f + '/' + ctx.w + '/' + ctx.e + '/' + ctx.missing + '/' + (ctx.i + 1)"}`,
			`{"i":7,"f":2.50,"w":2.0,"e":1e10}`, `{"e":1e10,"f":2.50,"i":7,"s":"7/2.5/2.0/1.0E10/null/8","w":2.0}`},
		{"list and map literals, compound assignment", `{source: "ctx.event = ['kind': 'event', 'type': ['info', 1], 'x': [:]]; ctx.l = []; ctx.n += 2; ctx.n *= 3; ctx.s += '!'; ctx.l.add(ctx.event.type.size())"}`,
			`{"n":1,"s":"a"}`, `{"event":{"kind":"event","type":["info",1],"x":{}},"l":[2],"n":9,"s":"a!"}`},
		{"null pointer", `{source: "ctx.a.b = 1"}`, `{}`, "error: null pointer"},
		{"through a missing object", `{source: "ctx.x = ctx.a.b.c"}`, `{}`, "error: cannot fetch"},
		{"condition not boolean", `{source: "if (ctx.a) { ctx.b = 1 }"}`, `{"a":"yes"}`, "error: cannot cast String to boolean"},
		{"concatenating an object", `{source: "ctx.s = 'x' + ctx.o"}`, `{"o":{"a":1}}`, "error: concatenating a Map"},
		{"empty", `{source: ""}`, `{}`, "error: missing required option source"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse("test.yml", []byte("processors:\n  - script: "+c.def+"\n"), Options{})
			if err != nil {
				if strings.HasPrefix(c.want, "error: ") && strings.Contains(err.Error(), c.want[7:]) {
					return
				}
				t.Fatal(err)
			}
			ev, err := DecodeEvent([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := p.Run(ev)
			if strings.HasPrefix(c.want, "error: ") {
				if err == nil || !strings.Contains(err.Error(), c.want[7:]) {
					t.Fatalf("got %v, want an error with %q", err, c.want[7:])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(c.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %s\nwant %s", b, c.want)
			}
		})
	}
}

// TestPainlessLoadErrors: what the subset lacks is refused at load, with
// file, line and processor.
func TestPainlessLoadErrors(t *testing.T) {
	cases := []struct{ def, want string }{
		{"processors:\n  - set: {field: a, value: 1}\n  - set: {field: b, value: 2, if: \"ctx.a instanceof Integer\"}\n",
			"test.yml:3: processor set#1: if: painless: column 7: instanceof is not in the supported Painless subset"},
		{"processors:\n  - script:\n      source: |\n        for (def t : ctx.tags) { ctx.x = t }\n",
			`test.yml:4: processor script#0: source: painless: column 1: "for" is not in the supported Painless subset`},
		{"processors:\n  - script:\n      source: |\n        ctx.a = 1;\n        ctx.b = ctx.a & 2\n",
			"test.yml:5: processor script#0: source: painless: column 15: operator & is not in the supported Painless subset"},
		{"processors:\n  - script: {source: 'def x = 1', lang: painless}\n",
			`test.yml:2: processor script#0: source: painless: column 1: "def" is not`},
		{"processors:\n  - script: {source: 'ctx.a = 1', lang: mustache}\n",
			`test.yml:2: processor script#0: lang: "mustache" is not supported (only painless)`},
		{"processors:\n  - script: {id: my-stored}\n",
			"test.yml:2: processor script#0: id: stored scripts are not supported"},
		{"processors:\n  - script: {source: 'ctx.a = 1', options: {}}\n",
			"test.yml:2: processor script#0: unknown option options"},
		{"processors:\n  - drop: {if: {source: 'ctx.a.b()', lang: painless}}\n",
			"test.yml:2: processor drop#0: if: painless: column 7: method b()"},
		{"processors:\n  - drop: {if: {source: 'ctx.a == 1', bogus: 1}}\n",
			"test.yml:2: processor drop#0: if.unknown option bogus"},
		{"processors:\n  - script: {source: 'params.a = 1'}\n",
			"test.yml:2: processor script#0: source: painless: column 10: assigning to params"},
		{"processors:\n  - script: {source: 'ctx.a == 1'}\n",
			"a statement that is neither an assignment nor a method call"},
	}
	for _, c := range cases {
		_, err := Parse("test.yml", []byte(c.def), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant an error with %q", c.def, err, c.want)
		}
	}
}

// TestPainlessIfObject: if: as a script object with params, as
// Elasticsearch takes it.
func TestPainlessIfObject(t *testing.T) {
	p := mustParse(t, `processors:
  - set: {field: slow, value: true, if: {source: "ctx.took > params.limit", lang: painless, params: {limit: 100}}}
`)
	for in, want := range map[string]bool{`{"took":150}`: true, `{"took":50}`: false} {
		ev, _ := DecodeEvent([]byte(in))
		out, _, err := p.Run(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, got := out["slow"]; got != want {
			t.Errorf("%s: slow set %v, want %v", in, got, want)
		}
	}
}

// TestConditionFailureGoesUp: a condition that fails is handled by
// neither its processor's on_failure nor ignore_failure (the node's
// condition wraps both), for Painless and expr conditions alike; the
// pipeline's on_failure sees processor type "conditional".
func TestConditionFailureGoesUp(t *testing.T) {
	for _, cond := range []string{`ctx.x.y == 1`, `x.y == 1`} {
		p := mustParse(t, `processors:
  - set: {field: a, value: 1, if: '`+cond+`', on_failure: [{set: {field: handled, value: true}}]}
  - set: {field: b, value: 1}
`)
		_, _, err := p.Run(Event{})
		var pe *ProcessorError
		if !errors.As(err, &pe) || pe.Type != "conditional" || pe.Processor != "set#0" {
			t.Errorf("%s: got %v, want a failure of set#0 typed conditional", cond, err)
		}
		p = mustParse(t, `processors:
  - set: {field: a, value: 1, if: '`+cond+`', ignore_failure: true}
on_failure:
  - set: {field: type, value: '{{_ingest.on_failure_processor_type}}'}
`)
		out, _, err := p.Run(Event{})
		if err != nil || out["type"] != "conditional" {
			t.Errorf("%s: got %v, %v; want the pipeline's on_failure with type conditional", cond, out, err)
		}
	}
}

// TestPainlessRunErrors: run-time errors of Painless conditions and
// scripts do not show expr's excerpt of the translation.
func TestPainlessRunErrors(t *testing.T) {
	for _, def := range []string{
		"processors:\n  - script: {source: 'ctx.x = ctx.a.b'}\n",
		"processors:\n  - set: {field: x, value: 1, if: 'ctx.a.b == 1'}\n",
	} {
		_, _, err := mustParse(t, def).Run(Event{})
		if err == nil || !strings.Contains(err.Error(), "cannot fetch b from <nil>") || strings.Contains(err.Error(), "$env") {
			t.Errorf("%s: got %v, want the error without the translation", def, err)
		}
	}
}
