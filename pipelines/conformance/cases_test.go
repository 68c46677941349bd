package conformance

// coreCases are the cases of the processors sluice first had, each
// with the options logs pipelines use, and the known differences.
// A case with diff set pins a row of the differences table in
// pipelines/doc.go.
var coreCases = []conformanceCase{
	{
		name: "set",
		pipeline: `processors:
  - set: {field: event.kind, value: event}
  - set: {field: copy, value: '{{message}} from {{host.name}}'}
  - set: {field: host.name, value: other, override: false}
  - set: {field: n, value: 7}`,
		docs: []string{`{"message":"hello","host":{"name":"h1"}}`, `{"message":"x"}`},
	},
	{
		name: "set ignore_empty_value template",
		pipeline: `processors:
  - set: {field: out, value: '{{missing}}', ignore_empty_value: true}
  - set: {field: out2, value: '{{present}}', ignore_empty_value: true}`,
		docs: []string{`{"present":"p"}`},
	},
	{
		name: "set ignore_empty_value literal",
		pipeline: `processors:
  - set: {field: out, value: '', ignore_empty_value: true}`,
		docs: []string{`{}`},
	},
	{
		name: "set ignore_empty_value: which values are empty",
		pipeline: `processors:
  - set: {field: out2, value: '{{missing}}', ignore_empty_value: true}
  - set: {field: out3, value: 'x{{missing}}', ignore_empty_value: true}
  - set: {field: out4, value: '{{e}}', ignore_empty_value: true}
  - set: {field: out5, value: '{{n}}', ignore_empty_value: true}
  - set: {field: out6, value: [], ignore_empty_value: true}
  - set: {field: out7, value: ' ', ignore_empty_value: true}
  - set: {field: out8, value: '{{e}}{{n}}', ignore_empty_value: true}`,
		docs: []string{`{"e":"","n":null}`},
	},
	{
		name: "set list index",
		pipeline: `processors:
  - set: {field: s.0, value: first}`,
		docs: []string{`{"s":["a","b"]}`, `{"s":{"0":"m"}}`, `{"s":"scalar"}`, `{"s":null}`, `{"s":[]}`},
	},
	{
		name: "set list index: range, sign, non-numeric",
		pipeline: `processors:
  - set: {field: s.2, value: x, on_failure: [{set: {field: f2, value: true}}]}
  - set: {field: s.-1, value: x, on_failure: [{set: {field: fneg, value: true}}]}
  - set: {field: s.x, value: x, on_failure: [{set: {field: fx, value: true}}]}
  - set: {field: s.+01, value: x}`,
		docs: []string{`{"s":["a","b"]}`},
	},
	{
		name: "set through a list index",
		pipeline: `processors:
  - set: {field: s.1.k, value: x}`,
		docs: []string{`{"s":["a",{"j":1}]}`, `{"s":["a","b"]}`, `{"s":["a",null]}`, `{"s":["a"]}`},
	},
	{
		name: "set under null",
		pipeline: `processors:
  - set: {field: a.b, value: x}
  - set: {field: c.d.e, value: x}`,
		docs: []string{`{"a":null}`, `{"a":{},"c":{"d":null}}`, `{"a":1}`, `{}`},
	},
	{
		name: "append",
		pipeline: `processors:
  - append: {field: tags, value: [b, c]}
  - append: {field: tags, value: b, allow_duplicates: false}
  - append: {field: one, value: '{{message}}'}`,
		docs: []string{`{"tags":["a"],"message":"m","one":"x"}`, `{"tags":"a","message":"m","one":["y"]}`},
	},
	{
		name: "append to a missing field",
		pipeline: `processors:
  - append: {field: tags, value: x}`,
		docs: []string{`{}`, `{"tags":null}`},
	},
	{
		name: "append to a missing field, duplicates and templates",
		pipeline: `processors:
  - append: {field: a, value: [x, y, x], allow_duplicates: false}
  - append: {field: b, value: '{{missing}}'}
  - append: {field: c.d, value: [1]}`,
		docs: []string{`{}`},
	},
	{
		name: "append list index",
		pipeline: `processors:
  - append: {field: o.list.0, value: y}`,
		docs: []string{`{"o":{"list":[["x"]]}}`, `{"o":{"list":["x"]}}`, `{"o":{"list":[]}}`, `{"o":{"list":[null]}}`},
	},
	{
		name: "append list index without duplicates",
		pipeline: `processors:
  - append: {field: o.list.0, value: [y, x], allow_duplicates: false}`,
		docs: []string{`{"o":{"list":[["x"]]}}`, `{"o":{"list":["x"]}}`},
	},
	{
		name: "rename",
		pipeline: `processors:
  - rename: {field: a, target_field: b.c}
  - rename: {field: missing, target_field: z, ignore_missing: true}`,
		docs: []string{`{"a":1}`, `{"a":{"x":"y"},"b":{"d":2}}`},
	},
	{
		name: "rename failure keeps the source",
		pipeline: `processors:
  - rename: {field: a, target_field: b.c, ignore_failure: true}`,
		docs: []string{`{"a":1,"b":"scalar"}`, `{"a":{"x":[1]},"b":"scalar"}`},
	},
	{
		name: "rename failure of a nested source",
		pipeline: `processors:
  - rename: {field: a.x, target_field: b.c, on_failure: [{set: {field: failed, value: true}}]}`,
		docs: []string{`{"a":{"x":1,"y":2},"b":"scalar"}`},
	},
	{
		name: "remove",
		pipeline: `processors:
  - remove: {field: [a, b.c]}
  - remove: {field: gone, ignore_missing: true}`,
		docs: []string{`{"a":1,"b":{"c":2,"d":3},"e":4}`, `{"a":1}`},
	},
	{
		name: "remove list index",
		pipeline: `processors:
  - remove: {field: r.1}`,
		docs: []string{`{"r":["a","b","c"]}`, `{"r":["a"]}`, `{"r":{"1":"x"}}`},
	},
	{
		name: "remove list index: twice, nested, ignore_missing",
		pipeline: `processors:
  - remove: {field: [r.0, r.0]}
  - remove: {field: o.0.k}
  - remove: {field: [r.5, r.x, r.-1], ignore_missing: true}`,
		docs: []string{`{"r":["a","b","c"],"o":[{"k":1,"j":2}]}`},
	},
	{
		name: "rename a list element",
		pipeline: `processors:
  - rename: {field: l.0, target_field: z}`,
		docs: []string{`{"l":["a","b"]}`},
	},
	{
		name: "convert",
		pipeline: `processors:
  - convert: {field: i, type: integer}
  - convert: {field: l, type: long}
  - convert: {field: b, type: boolean}
  - convert: {field: s, type: string}
  - convert: {field: list, type: integer}
  - convert: {field: hex, type: integer}`,
		docs: []string{`{"i":"42","l":"-9000000000","b":"TRUE","s":12,"list":["1","2"],"hex":"0x1F"}`},
	},
	{
		name: "convert to float",
		pipeline: `processors:
  - convert: {field: f, type: float}
  - convert: {field: d, type: double}`,
		docs: []string{`{"f":"2","d":"1.5"}`},
	},
	{
		name: "convert auto",
		pipeline: `processors:
  - convert: {field: a, type: auto}
  - convert: {field: b, type: auto}
  - convert: {field: c, type: auto}
  - convert: {field: d, type: auto}`,
		docs: []string{`{"a":"12","b":"1.5","c":"true","d":"word"}`},
	},
	{
		name: "convert integer with spaces",
		pipeline: `processors:
  - convert: {field: i, type: integer}`,
		docs: []string{`{"i":" 42 "}`},
	},
	{
		name: "convert integer from 2.0",
		pipeline: `processors:
  - convert: {field: i, type: integer}`,
		docs: []string{`{"i":"2.0"}`},
	},
	{
		name: "convert boolean with spaces",
		pipeline: `processors:
  - convert: {field: b, type: boolean}`,
		docs: []string{`{"b":" true"}`},
	},
	{
		name: "case and trim",
		pipeline: `processors:
  - lowercase: {field: a}
  - uppercase: {field: b}
  - trim: {field: c}
  - lowercase: {field: list}`,
		docs: []string{`{"a":"MiXeD","b":"MiXeD","c":"  pad \t","list":["A","B"]}`},
	},
	{
		name: "split",
		pipeline: `processors:
  - split: {field: a, separator: ','}
  - split: {field: b, separator: '\s+', target_field: parts}
  - split: {field: c, separator: ',', preserve_trailing: true}`,
		docs: []string{`{"a":"x,y,,z","b":"one  two three","c":"p,q,,"}`},
	},
	{
		name: "gsub",
		pipeline: `processors:
  - gsub: {field: a, pattern: '\.', replacement: '-'}
  - gsub: {field: b, pattern: '(\d+)', replacement: 'n$1', target_field: c}`,
		docs: []string{`{"a":"1.2.3","b":"x12y3"}`},
	},
	{
		name: "grok custom patterns",
		pipeline: `processors:
  - grok:
      field: message
      patterns: ['%{IP:client.ip} %{WORD:method} %{NUMBER:bytes:int} %{NUMBER:took:float} %{GREEDYDATA:rest}', '%{WORD:only}']
      pattern_definitions: {WORDY: '\w+'}`,
		docs: []string{`{"message":"10.0.0.1 GET 512 0.25 the rest"}`, `{"message":"single"}`, `{"message":"!!!"}`},
	},
	{
		name: "grok stock COMBINEDAPACHELOG",
		pipeline: `processors:
  - grok: {field: message, patterns: ['%{COMBINEDAPACHELOG}']}`,
		docs: []string{`{"message":"1.2.3.4 - bob [10/Oct/2000:13:55:36 -0700] \"GET /a.gif HTTP/1.0\" 200 2326 \"http://r/\" \"Mozilla/5.0\""}`},
		diff: "grok-ecs",
		ours: []string{`{"http":{"request":{"method":"GET","referrer":"http://r/"},"response":{"body":{"size":2326},"status_code":200},"version":"1.0"},"message":"1.2.3.4 - bob [10/Oct/2000:13:55:36 -0700] \"GET /a.gif HTTP/1.0\" 200 2326 \"http://r/\" \"Mozilla/5.0\"","source":{"address":"1.2.3.4"},"timestamp":"10/Oct/2000:13:55:36 -0700","url":{"original":"/a.gif"},"user":{"name":"bob"},"user_agent":{"original":"Mozilla/5.0"}}`},
	},
	{
		name: "dissect",
		pipeline: `processors:
  - dissect: {field: message, pattern: '%{a} %{b->} %{+a} [%{*key}] %{&key} %{?skip}'}`,
		docs: []string{`{"message":"x y     z [k] v ignored"}`},
	},
	{
		name: "dissect append_separator",
		pipeline: `processors:
  - dissect: {field: message, pattern: '%{a} %{+a} %{b}', append_separator: '-'}`,
		docs: []string{`{"message":"1 2 3"}`, `{"message":"nomatch"}`},
	},
	{
		name: "date",
		pipeline: `processors:
  - date: {field: t1, formats: [ISO8601], target_field: o1}
  - date: {field: t2, formats: ['dd/MMM/yyyy:HH:mm:ss Z'], target_field: o2}
  - date: {field: t3, formats: [UNIX], target_field: o3}
  - date: {field: t4, formats: [UNIX_MS], target_field: o4}
  - date: {field: t5, formats: ['yyyy-MM-dd HH:mm:ss'], timezone: Europe/Paris, target_field: o5}`,
		docs: []string{`{"t1":"2024-03-01T10:00:00.123+02:00","t2":"10/Oct/2000:13:55:36 -0700","t3":"1700000000","t4":"1700000000123","t5":"2024-07-01 12:00:00"}`},
	},
	{
		name: "date UNIX_MS with a fraction",
		pipeline: `processors:
  - date: {field: t, formats: [UNIX_MS]}`,
		docs: []string{`{"t":"1700000000123.5"}`, `{"t":"1700000000123.0"}`, `{"t":"+1700000000123"}`, `{"t":"-1000"}`,
			`{"t":" 1700000000123"}`, `{"t":1700000000123}`, `{"t":"1.7e12"}`},
	},
	{
		name: "date UNIX as Java's parseDouble",
		pipeline: `processors:
  - date: {field: t, formats: [UNIX]}`,
		docs: []string{`{"t":" 1700000000 "}`, `{"t":"1700000000d"}`, `{"t":"NaN"}`, `{"t":"Infinity"}`, `{"t":"1e400"}`,
			`{"t":"0x1p3"}`, `{"t":"1_000"}`, `{"t":"-1.5"}`, `{"t":"-0.0005"}`, `{"t":"1700000000.0009"}`, `{"t":"1.7e9"}`,
			`{"t":".5"}`, `{"t":"5."}`, `{"t":"inf"}`, `{"t":"1700000000.123"}`, `{"t":"1e15"}`, `{"t":1.5}`, `{"t":"--1"}`},
	},
	{
		name: "json",
		pipeline: `processors:
  - json: {field: a}
  - json: {field: b, target_field: parsed}
  - json: {field: c, add_to_root: true}`,
		docs: []string{`{"a":"{\"x\":1,\"y\":[true,null]}","b":"[1,2]","c":"{\"top\":\"level\"}"}`},
	},
	{
		name: "kv",
		pipeline: `processors:
  - kv: {field: message, field_split: ' ', value_split: '=', target_field: kv}
  - kv: {field: m2, field_split: '&', value_split: '=', include_keys: [a, b], prefix: 'p_'}
  - kv: {field: m3, field_split: ',', value_split: ':', trim_key: ' ', trim_value: ' ', strip_brackets: true}`,
		docs: []string{`{"message":"a=1 b=2 a=3","m2":"a=x&b=y&c=z","m3":"k1:(v1),k2:<v2>,k3:'v3'"}`},
	},
	{
		name: "kv strip_brackets before trim_value",
		pipeline: `processors:
  - kv: {field: m, field_split: ',', value_split: ':', trim_value: ' ', strip_brackets: true}`,
		docs: []string{`{"m":"k1: (v1)"}`, `{"m":"k1: (v1),k2:((v2)),k3:(v3],k4:\"v4,k5:<v5>>,k6:[<v6>],k7:'v7\",k8:(,k9:()"}`},
	},
	{
		name: "kv trim_key and trim_value with brackets",
		pipeline: `processors:
  - kv: {field: m, field_split: ',', value_split: ':', trim_key: ' (', trim_value: ' )', strip_brackets: true}`,
		docs: []string{`{"m":" (k1 : (v1) ,k2:x,k3:' (v) '"}`},
	},
	{
		name: "user_agent",
		pipeline: `processors:
  - user_agent: {field: ua}`,
		docs: []string{`{"ua":"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"}`},
		diff: "ua-empty-patch",
		ours: []string{`{"ua":"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0","user_agent":{"device":{"name":"Other"},"name":"Firefox","original":"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0","os":{"name":"Linux"},"version":"120.0"}}`},
	},
	{
		name: "user_agent with OS version",
		pipeline: `processors:
  - user_agent: {field: ua}`,
		docs: []string{`{"ua":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"}`, `{"ua":"curl/8.4.0"}`},
	},
	{
		name: "user_agent chrome",
		pipeline: `processors:
  - user_agent: {field: ua}`,
		docs: []string{`{"ua":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36"}`},
	},
	{
		name: "user_agent versions of four components, and without an OS version",
		pipeline: `processors:
  - user_agent: {field: ua}`,
		docs: []string{
			`{"ua":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36 Edg/120.0.2210.91"}`,
			`{"ua":"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36"}`,
			`{"ua":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}`,
			`{"ua":"Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko"}`,
			`{"ua":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"}`,
			`{"ua":"Googlebot/2.1 (+http://www.google.com/bot.html)"}`,
			`{"ua":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36 OPR/106.0.0.0"}`,
			`{"ua":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.129 Safari/537.36"}`,
			`{"ua":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 YaBrowser/24.1.0.0 Safari/537.36"}`,
			`{"ua":"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}`,
			`{"ua":"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36"}`,
			`{"ua":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 Safari/537.36"}`,
		},
	},
	{
		name: "fingerprint",
		pipeline: `processors:
  - fingerprint: {fields: [a, b]}`,
		docs: []string{`{"a":"x","b":1}`},
		diff: "fingerprint-encoding",
		ours: []string{`{"a":"x","b":1,"fingerprint":"F2TBr6iHtXbd0spKn7y6Kzu9U8U="}`},
	},
	{
		name: "template of an object",
		pipeline: `processors:
  - set: {field: out, value: '{{obj}}'}`,
		docs: []string{`{"obj":{"a":1}}`, `{"obj":[1,"x"]}`},
		diff: "template-json",
		ours: []string{`{"obj":{"a":1},"out":"{\\\"a\\\":1}"}`, `{"obj":[1,"x"],"out":"[1,\\\"x\\\"]"}`},
	},
	{
		name: "template of an object, unescaped",
		pipeline: `processors:
  - set: {field: out, value: '{{{obj}}}'}`,
		docs: []string{`{"obj":{"a":1}}`},
		diff: "template-json",
		ours: []string{`{"obj":{"a":1},"out":"{\"a\":1}"}`},
	},
	{
		name: "template escaping",
		pipeline: `processors:
  - set: {field: two, value: '{{m}}'}
  - set: {field: three, value: '{{{m}}}'}`,
		docs: []string{`{"m":"say \"hi\" <b>&amp; \\ \n"}`},
	},
	{
		name: "template escaping: control characters, non-ASCII, & and spaces",
		pipeline: `processors:
  - set: {field: two, value: '{{m}}'}
  - set: {field: forms, value: '{{ q }}|{{{ q }}}|{{& q }}|{{&q}}|{{l.0}}'}
  - append: {field: a, value: ['{{q}}', '{{{q}}}']}
  - fail: {message: 'x {{q}}', on_failure: [{set: {field: msg, value: '{{{_ingest.on_failure_message}}}'}}]}`,
		docs: []string{`{"m":"b\b f\f n\n r\r t\t x\u001f y\u001b z\u0000 d\u007f q' s/ <>&=\u0060 \u00e9 \u2028","q":"a\"b","l":["c\\d"]}`},
	},
	{
		name: "on_failure metadata",
		pipeline: `processors:
  - convert: {field: a, type: integer, tag: conv}
on_failure:
  - set: {field: error.message, value: '{{ _ingest.on_failure_message }}'}
  - set: {field: error.type, value: '{{ _ingest.on_failure_processor_type }}'}
  - set: {field: error.tag, value: '{{ _ingest.on_failure_processor_tag }}'}`,
		docs: []string{`{"a":"x"}`},
		diff: "error-wording",
		ours: []string{`{"a":"x","error":{"message":"field [a]: unable to convert [x] to integer","tag":"conv","type":"convert"}}`},
	},
	{
		name: "date formats in order",
		pipeline: `processors:
  - date: {field: t, formats: ['yyyy-MM-dd', ISO8601, 'dd/MM/yyyy']}`,
		docs: []string{`{"t":"2024-03-01"}`, `{"t":"2024-03-01T10:00:00Z"}`, `{"t":"01/03/2024"}`, `{"t":"garbage"}`},
	},
	{
		name: "date output_format and timezone",
		pipeline: `processors:
  - date: {field: t, formats: [ISO8601], timezone: America/New_York, output_format: "yyyy-MM-dd'T'HH:mm:ssXXX"}`,
		docs: []string{`{"t":"2024-03-01T10:00:00"}`, `{"t":"2024-03-01T10:00:00Z"}`},
	},
	{
		name: "failures",
		pipeline: `processors:
  - remove: {field: missing}`,
		docs: []string{`{"a":1}`},
	},
	{
		name: "rename onto an existing field",
		pipeline: `processors:
  - rename: {field: a, target_field: b}`,
		docs: []string{`{"a":1,"b":2}`},
	},
	{
		name: "string processors on other types",
		pipeline: `processors:
  - lowercase: {field: n, ignore_failure: true}
  - set: {field: after, value: 1}`,
		docs: []string{`{"n":5}`, `{"n":null}`},
	},
	{
		name: "convert ip and missing",
		pipeline: `processors:
  - convert: {field: ip, type: ip}
  - convert: {field: nope, type: integer, ignore_missing: true}`,
		docs: []string{`{"ip":"10.1.2.3"}`, `{"ip":"::1"}`, `{"ip":"300.1.1.1"}`},
	},
	{
		name: "json invalid and scalar",
		pipeline: `processors:
  - json: {field: a, target_field: o}`,
		docs: []string{`{"a":"{bad"}`, `{"a":"42"}`, `{"a":"\"s\""}`},
	},
	{
		name: "split on a list",
		pipeline: `processors:
  - split: {field: a, separator: ','}`,
		docs: []string{`{"a":["x,y"]}`, `{"a":""}`},
	},
	{
		name: "gsub on a list",
		pipeline: `processors:
  - gsub: {field: a, pattern: 'o', replacement: '0'}`,
		docs: []string{`{"a":["foo","bor"]}`},
	},
	{
		name: "append to a scalar and dedupe",
		pipeline: `processors:
  - append: {field: a, value: [x, y, x], allow_duplicates: false}`,
		docs: []string{`{"a":"x"}`, `{"a":["y"]}`},
	},
	{
		name: "grok typed captures and failures",
		pipeline: `processors:
  - grok: {field: m, patterns: ['%{INT:i:int} %{NUMBER:l:long} %{NUMBER:f:float} %{NUMBER:d:double} %{WORD:w}']}`,
		docs: []string{`{"m":"12 9000000000 1.5 2 word"}`},
	},
	{
		name: "grok ignore_missing and dotted names",
		pipeline: `processors:
  - grok: {field: gone, patterns: ['%{WORD:x}'], ignore_missing: true}
  - grok: {field: m, patterns: ['%{WORD:a.b} %{WORD:a.c}']}`,
		docs: []string{`{"m":"one two"}`},
	},
	{
		name: "kv exclude_keys and value types",
		pipeline: `processors:
  - kv: {field: m, field_split: ' ', value_split: '=', exclude_keys: [b]}`,
		docs: []string{`{"m":"a=1 b=2 c= d"}`, `{"m":"a=1 c=x=y"}`},
	},
	{
		name: "user_agent target and properties",
		pipeline: `processors:
  - user_agent: {field: ua, target_field: agent, properties: [name, os]}`,
		docs: []string{`{"ua":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"}`},
	},
	{
		name: "pipeline",
		pipeline: `processors:
  - set: {field: a, value: one}
  - pipeline: {name: conformance-called}
  - set: {field: c, value: '{{b}} then'}`,
		called: map[string]string{"conformance-called": `processors:
  - set: {field: b, value: '{{a}} two'}
  - drop: {if: 'false'}`},
		docs: []string{`{}`},
	},
	{
		name: "pipeline drops and fails",
		pipeline: `processors:
  - pipeline: {name: conformance-dropper}
  - set: {field: never, value: true}`,
		called: map[string]string{"conformance-dropper": `processors:
  - fail: {message: inner, on_failure: [{drop: {}}]}`},
		docs: []string{`{"a":1}`},
	},
	{
		name: "pipeline failure goes to the caller",
		pipeline: `processors:
  - pipeline: {name: conformance-failing, on_failure: [{set: {field: caught, value: true}}]}`,
		called: map[string]string{"conformance-failing": `processors:
  - set: {field: inner, value: 1}
  - fail: {message: inner}`},
		docs: []string{`{"a":1}`},
	},
	{
		name: "numbers pass through",
		pipeline: `processors:
  - set: {field: seen, value: true}`,
		docs: []string{`{"id":9007199254740993,"f":2.0,"e":1e3}`},
		diff: "float-literal",
		ours: []string{`{"e":1e3,"f":2.0,"id":9007199254740993,"seen":true}`},
	},
	{
		// Doubles a processor makes (convert to double or float), written
		// into the document and rendered as text by templates, convert
		// to string and join, as the node's Java Double.toString: 2.0,
		// 1.0E10, 1.0E-5, 1234567.0, 1.2345678E7.
		name: "doubles as text",
		pipeline: `processors:
  - convert: {field: a, type: double}
  - convert: {field: b, type: double}
  - convert: {field: c, type: double}
  - convert: {field: d, type: double}
  - convert: {field: e, type: double}
  - convert: {field: f, type: float}
  - convert: {field: l, type: double}
  - set: {field: t, value: '{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{{g}}}'}
  - convert: {field: a, target_field: s, type: string}
  - convert: {field: b, target_field: s2, type: string}
  - join: {field: l, separator: ',', target_field: j}`,
		docs: []string{`{"a":"2","b":"1e10","c":"0.00001","d":"1234567","e":"12345678","f":"3","g":0.001,"l":["-0.5","100000000","0.001"]}`},
	},
	{
		// date reads a double as its text: UNIX parses 1.7145648005E9 as
		// Java's parseDouble does; UNIX_MS (Long.parseLong) refuses
		// 1.7145648E12, so a double of milliseconds fails on the node too.
		name: "date of a double",
		pipeline: `processors:
  - convert: {field: t, type: double}
  - date: {field: t, formats: [UNIX]}
  - convert: {field: m, type: double}
  - date: {field: m, target_field: m2, formats: [UNIX_MS], on_failure: [{set: {field: failed, value: true}}]}`,
		docs: []string{`{"t":"1714564800.5","m":"1714564800000"}`},
	},
	{
		name: "drop and fail",
		pipeline: `processors:
  - drop: {}`,
		docs: []string{`{"a":1}`},
	},
	{
		name: "on_failure",
		pipeline: `processors:
  - rename: {field: missing, target_field: x, on_failure: [{set: {field: handled, value: true}}]}
  - fail: {message: 'always {{a}}'}
on_failure:
  - set: {field: pipeline_failed, value: yes}`,
		docs: []string{`{"a":1}`},
	},
}
