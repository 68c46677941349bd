package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
)

// exportedCase runs the exported nginx pipeline of the pipelines tests
// (testdata/exported/nginx-access.json, as GET _ingest/pipeline returns
// it) on both sides, as the body of its PUT.
func exportedCase() conformanceCase {
	b, err := os.ReadFile("../testdata/exported/nginx-access.json")
	if err != nil {
		panic(err)
	}
	var wrapped map[string]json.RawMessage
	if err := json.Unmarshal(b, &wrapped); err != nil {
		panic(err)
	}
	return conformanceCase{
		name:     "exported nginx pipeline with Painless",
		pipeline: string(wrapped["nginx-access"]),
		docs: []string{
			`{"message":"10.1.2.3 - bob [17/May/2015:08:05:32 +0000] \"GET /api/v1/items HTTP/1.1\" 200 512 \"https://example.com/\" \"curl/8.5.0\""}`,
			`{"message":"66.249.66.1 - - [17/May/2015:08:05:33 +0000] \"GET /missing HTTP/1.1\" 404 0 \"-\" \"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\""}`,
			`{"message":"10.1.2.3 - - [17/May/2015:08:05:34 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36\""}`,
		},
	}
}

// conditionCases makes a case for each condition: a set processor under
// it, run on docs. (A condition that fails fails the document: the
// processor's on_failure does not handle it, on the node.)
func conditionCases(name string, conds, docs []string) []conformanceCase {
	out := make([]conformanceCase, len(conds))
	for i, c := range conds {
		out[i] = conformanceCase{
			name:     fmt.Sprintf("%s %d", name, i),
			pipeline: "processors:\n  - set: {field: r, value: true, if: " + strconv.Quote(c) + "}",
			docs:     docs,
		}
	}
	return out
}

// painlessCases check each construct of the Painless subset (if:
// conditions and the script processor) against the node's own Painless.
// A condition that fails records "error" through on_failure, so one
// document shows every condition's outcome.
var painlessCases = slices.Concat(conditionCases("painless if: fields, null safety, comparisons", []string{
	`ctx.http?.response?.status_code >= 400`,
	`ctx.http.response.status_code >= 400`,
	`ctx.http?.response?.status_code == null`,
	`ctx['@timestamp'] != null && ctx['http'] != null`,
	`!(ctx.a == null) || ctx.n > 1 && ctx.n < 10`,
	`ctx.n == 2.0`,
	`ctx.code == '404'`,
	`ctx.missing`,
	`ctx.f > 2 && ctx.f <= 2.5 && -ctx.n < 0 && ctx.n * 2 == 4`,
	`(ctx.n != null ? ctx.n : 0) == 2`,
	`ctx.code > 400 && ctx.code < 500`,
	`ctx.message`,
	`ctx.a.b == null`,
	`return ctx.n == 2;`,
	`ctx.message < 'n'`,
	`ctx.n <= ctx.f`,
	`ctx.n / 2 == 1 && ctx.n % 2 == 0 && ctx.f / 2 > 1.2 && -7 / 2 == -3 && -7 % 3 == -1 && 7.5 % 2 == 1.5`,
	`ctx.code / 0 == 1`,
}, []string{
	`{"http":{"response":{"status_code":404}},"@timestamp":"t","n":2,"code":404,"f":2.5,"message":"m"}`,
	`{"http":{"response":{}},"a":"x","n":null,"code":"404","f":1,"message":""}`,
	`{"a":{"b":1},"n":20,"code":404.0,"message":true}`,
	`{}`,
}), conditionCases("painless if: methods", []string{
	`ctx.tags.contains('x')`,
	`ctx.message.startsWith('GET ')`,
	`ctx.message.endsWith(".html")`,
	`ctx.message.length() == 15`,
	`ctx.u?.length() == 3`,
	`ctx.tags.size() == 2`,
	`ctx.s.isEmpty()`,
	`ctx.message.equals('GET /index.html')`,
	`ctx.n.equals(2)`,
	`ctx.message.toLowerCase() == 'get /index.html'`,
	`ctx.message.toUpperCase().contains('INDEX')`,
	`ctx.m.containsKey('k')`,
	`ctx.nope?.contains('x') == null`,
	`ctx.tags[0] == 'a'`,
	`ctx.message + '!' == 'GET /index.html!'`,
	`ctx.message.trim() == 'GET /index.html'`,
	`ctx.nope?.contains('x')`,
	`ctx.tags?.contains('x') == true`,
	`['GET /index.html', 'x'].contains(ctx.message) && ['k': null] == ctx.m`,
	`ctx.n == ctx.m.size() * 2 && ctx.m != ctx.tags`,
}, []string{
	`{"tags":["a","x"],"message":"GET /index.html","u":"a😀","s":"","n":2,"m":{"k":null}}`,
	`{"tags":"axe","message":" POST /x\t","s":"y","n":2.0,"m":{}}`,
	`{"tags":["b"],"message":"","u":"abc","s":[],"n":"2","m":[]}`,
	`{}`,
}), []conformanceCase{exportedCase(),
	{
		name: "painless script: assignments, if/else, params, remove",
		pipeline: `processors:
  - script:
      lang: painless
      source: |
        ctx.full = ctx.first + ' ' + ctx.last;
        if (ctx.level == params.warn) { ctx.sev = params.n } else if (ctx.level == 'error') { ctx.sev = 3 } else { ctx.sev = 0 }
        ctx.remove('first');
        ctx.kind = ctx.sev >= 2 ? 'bad' : 'ok';
        ctx.nested.copy = ctx['last']
      params: {warn: w, n: 2}`,
		docs: []string{
			`{"first":"a","last":"b","level":"w","nested":{}}`,
			`{"first":"a","level":"error","nested":{"x":1}}`,
			`{"first":1,"last":2.5,"level":"x","nested":{}}`,
			`{"first":"a","last":"b","level":"w"}`,
		},
	},
	{
		name: "painless script: numbers, strings, lists",
		pipeline: `processors:
  - script:
      source: >-
        ctx.s = '' + ctx.i + '/' + ctx.f + '/' + ctx.w + '/' + (ctx.f * 4e9) + '/' + (ctx.f * 4e-6) + '/' + ctx.t + '/' + ctx.missing;
        ctx.sum = ctx.i + 1; ctx.fsum = ctx.f + 1; ctx.neg = -ctx.i; ctx.dbl = ctx.i * 2;
        ctx.half = ctx.i / 2; ctx.rem = ctx.i % 2; ctx.fhalf = ctx.f / 2; ctx.frem = ctx.f % 2;
        ctx.low = ctx.msg.toLowerCase(); ctx.trimmed = ctx.pad.trim(); ctx.len = ctx.msg.length();
        ctx.tags.add('new'); ctx.tags[0] = 'first'; ctx.count = ctx.tags.size();
        ctx.other?.add('z')`,
		docs: []string{
			`{"i":7,"f":2.5,"w":2.0,"t":true,"msg":"MiXeD","pad":"  p \t","tags":["a","b"]}`,
			`{"i":-3,"f":0.01,"w":0.5,"t":false,"msg":"","pad":"","tags":[],"other":["y"]}`,
		},
	},
	{
		name: "painless script: failures",
		pipeline: `processors:
  - script: {source: 'ctx.a.b = 1', on_failure: [{set: {field: f1, value: true}}]}
  - script: {source: 'ctx.x = ctx.a.b.c', on_failure: [{set: {field: f2, value: true}}]}
  - script: {source: 'if (ctx.flag) { ctx.y = 1 }', on_failure: [{set: {field: f3, value: true}}]}
  - script: {source: 'ctx.z = ctx.n + 1', on_failure: [{set: {field: f4, value: true}}]}
  - script: {source: 'ctx.tags.add(1)', on_failure: [{set: {field: f5, value: true}}]}`,
		docs: []string{`{"flag":"yes","n":null,"tags":"t"}`, `{"a":{"b":{"c":5}},"flag":true,"n":1,"tags":[]}`},
	},
	{
		name: "painless script: concatenating an object",
		pipeline: `processors:
  - script: {source: "ctx.s = 'x' + ctx.o"}`,
		docs: []string{`{"o":{"a":1}}`},
		diff: "painless-concat",
		ours: []string{outError},
	},
	{
		name: "painless script: list and map literals, compound assignment",
		pipeline: `processors:
  - script:
      source: >-
        ctx.event = ['kind': 'event', 'type': ['info', 1, 2.5], 'x': [:]]; ctx.l = [];
        ctx.n += 2; ctx.n *= 3; ctx.n -= 1; ctx.n /= 2; ctx.n %= 3; ctx.s += '!'; ctx.l.add(ctx.event.type.size())`,
		docs: []string{`{"n":1,"s":"a"}`, `{"n":1.5,"s":null}`, `{}`},
	},
	{
		name: "painless script: list equality",
		pipeline: `processors:
  - script: {source: "ctx.eq = ctx.tags == ['a', 'x']; ctx.ne = ctx.tags != ['a']; ctx.meq = ctx.m == ['k': 1]"}`,
		docs: []string{`{"tags":["a","x"],"m":{"k":1}}`},
	},
	{
		name: "painless if: a list field equals a list",
		pipeline: `processors:
  - set: {field: r, value: true, if: "ctx.tags == ['a', 'x']"}`,
		docs: []string{`{"tags":["a","x"]}`},
		diff: "painless-list-eq",
		ours: []string{`{"r":true,"tags":["a","x"]}`},
	},
	{
		name: "painless script: integer arithmetic",
		pipeline: `processors:
  - script: {source: "ctx.p = ctx.i * 1000000000; ctx.q = ctx.i * 10"}`,
		docs: []string{`{"i":10}`},
		diff: "painless-int64",
		ours: []string{`{"i":10,"p":10000000000,"q":100}`},
	},
	{
		name: "painless if: script object with params",
		pipeline: `processors:
  - set: {field: slow, value: true, if: {source: 'ctx.took > params.min', lang: painless, params: {min: 100}}}`,
		docs: []string{`{"took":150}`, `{"took":50}`, `{}`},
	},
	{
		name: "a failing condition skips the processor's on_failure and ignore_failure",
		pipeline: `processors:
  - set: {field: a, value: 1, if: 'ctx.x.y == 1', on_failure: [{set: {field: handled, value: true}}]}
  - set: {field: b, value: 1, if: 'ctx.x.y == 1', ignore_failure: true}`,
		docs: []string{`{}`, `{"x":{"y":1}}`},
	},
	{
		name: "a failing condition goes to the pipeline's on_failure",
		pipeline: `processors:
  - set: {field: a, value: 1, if: 'ctx.x.y == 1', on_failure: [{set: {field: handled, value: true}}]}
on_failure:
  - set: {field: failed, value: true}
  - set: {field: type, value: '{{_ingest.on_failure_processor_type}}'}`,
		docs: []string{`{}`},
	},
})
