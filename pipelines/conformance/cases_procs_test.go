package conformance

import "slices"

// cases are all the suite's cases.
var cases = slices.Concat(coreCases, processorCases, dateIndexNameCases, painlessCases)

// processorCases are the cases of the processors issue 17 added: csv,
// urldecode, bytes, join, sort, dot_expander, html_strip and foreach, with
// their options and edge cases (uri_parts is not in OpenSearch 2.19: see
// documented).
var processorCases = []conformanceCase{
	{
		name: "csv",
		pipeline: `processors:
  - csv: {field: m, target_fields: [a, b, c, d]}`,
		docs: []string{`{"m":"x,y,z"}`, `{"m":"1,,3,4,5"}`, `{"m":"\"q,1\",\"say \"\"hi\"\"\",plain"}`, `{"m":""}`, `{"m":"a, b ,c"}`},
	},
	{
		name: "csv malformed quotes",
		pipeline: `processors:
  - csv: {field: m, target_fields: [a, b]}`,
		docs: []string{`{"m":"ab\"c,d"}`, `{"m":"\"open,d"}`, `{"m":"\"a\"x,d"}`, `{"m":" \"a\",b"}`, `{"m":"\"\",b"}`, `{"m":"\"a\" ,b"}`, `{"m":"a, "}`, `{"m":"\"a\" x,b"}`, `{"m":"a\nb,c"}`, `{"m":"\"a\nb\",c"}`, `{"m":"\"a\"\"\""}`},
	},
	{
		name: "csv options",
		pipeline: `processors:
  - csv: {field: m, target_fields: [a, b, c], separator: ';', quote: "'", trim: true, empty_value: none}
  - csv: {field: gone, target_fields: [x], ignore_missing: true}`,
		docs: []string{`{"m":" 1 ; 'two; 2' ;"}`, `{"m":"'a' ,  , c "}`, `{"m":";;"}`, `{"m":""}`, `{"m":"a; "}`, `{"m":"  'a' ;b"}`, `{"m":"x ; y "}`},
	},
	{
		// The node's parser leaves a column of spaces empty and starts the
		// next column at its spaces; sluice's does the same.
		name: "csv blank columns",
		pipeline: `processors:
  - csv: {field: m, target_fields: [a, b, c]}`,
		docs: []string{`{"m":"a,  ,b"}`, `{"m":" ,b"}`},
	},
	{
		name: "csv failures",
		pipeline: `processors:
  - csv: {field: m, target_fields: [a.b, c], on_failure: [{set: {field: failed, value: true}}]}
  - csv: {field: n, target_fields: [x], ignore_failure: true}`,
		docs: []string{`{"m":5,"n":"1"}`, `{"n":3}`, `{"m":"1,2","n":null}`, `{"m":"1,2","a":"scalar"}`},
	},
	{
		name: "urldecode",
		pipeline: `processors:
  - urldecode: {field: a}
  - urldecode: {field: b, target_field: c}
  - urldecode: {field: list}
  - urldecode: {field: gone, ignore_missing: true}`,
		docs: []string{`{"a":"x%20y+z%2Fw%C3%A9","b":"%3Ca%3E","list":["%41","b+c"]}`, `{"a":"","b":"plain","list":[]}`},
	},
	{
		name: "urldecode malformed",
		pipeline: `processors:
  - urldecode: {field: a, on_failure: [{set: {field: bad, value: true}}]}`,
		docs: []string{`{"a":"100%"}`, `{"a":"%zz"}`, `{"a":"%4"}`, `{"a":5}`, `{"a":["ok",1]}`},
	},
	{
		name: "bytes",
		pipeline: `processors:
  - bytes: {field: a}
  - bytes: {field: b, target_field: out}
  - bytes: {field: list}
  - bytes: {field: gone, ignore_missing: true}`,
		docs: []string{
			`{"a":"1kb","b":"2 MB","list":["10b","1G","3tb","1p","7K"]}`,
			`{"a":"0","b":"-1","list":["0b"]}`,
			`{"a":" 12b ","b":"1 kb ","list":[]}`,
		},
	},
	{
		name: "bytes with a fraction",
		pipeline: `processors:
  - bytes: {field: a}`,
		docs: []string{`{"a":"1.5kb"}`, `{"a":"1.1b"}`},
		diff: "bytes-fraction",
		ours: []string{`{"a":1536}`, `{"a":1}`},
	},
	{
		name: "bytes failures",
		pipeline: `processors:
  - bytes: {field: a, on_failure: [{set: {field: failed, value: true}}]}`,
		docs: []string{`{"a":"12"}`, `{"a":"kb"}`, `{"a":"1xb"}`, `{"a":""}`, `{"a":12}`, `{"a":"-2b"}`, `{"a":"1 k b"}`, `{"a":"9999999pb"}`},
	},
	{
		name: "join",
		pipeline: `processors:
  - join: {field: a, separator: '-'}
  - join: {field: b, separator: ', ', target_field: c}`,
		docs: []string{`{"a":["x","y","z"],"b":[1,true,"s",1.5]}`, `{"a":[],"b":["only"]}`},
	},
	{
		name: "join failures",
		pipeline: `processors:
  - join: {field: a, separator: '-', ignore_failure: true}
  - set: {field: after, value: 1}`,
		docs: []string{`{"a":"not a list"}`, `{}`},
	},
	{
		name: "sort",
		pipeline: `processors:
  - sort: {field: s}
  - sort: {field: n, order: desc}
  - sort: {field: f, target_field: sorted}`,
		docs: []string{`{"s":["b","a","C","aa",""],"n":[3,10,-1,2],"f":[1.5,-0.5,1.25]}`, `{"s":[],"n":[1],"f":[]}`},
	},
	{
		name: "sort failures",
		pipeline: `processors:
  - sort: {field: a, on_failure: [{set: {field: failed, value: true}}]}`,
		docs: []string{`{"a":"scalar"}`, `{"a":["x",1]}`, `{"a":[1,"x"]}`, `{"a":[{"k":1},{"k":0}]}`},
	},
	{
		name: "dot_expander",
		pipeline: `processors:
  - dot_expander: {field: a.b}
  - dot_expander: {field: x.y.z}
  - dot_expander: {field: missing.field}`,
		docs: []string{`{"a.b":1,"x.y.z":"v"}`, `{"a.b":1,"a":{"c":2}}`, `{"a.b":2,"a":{"b":1}}`, `{"a.b":[3,4],"a":{"b":[1]}}`},
	},
	{
		name: "dot_expander path",
		pipeline: `processors:
  - dot_expander: {field: 'c.d', path: o}
  - dot_expander: {field: 'e.f', path: o.p}`,
		docs: []string{`{"o":{"c.d":4,"p":{"e.f":5,"e":{"g":6}}}}`, `{"o":{"c":{"d":1},"c.d":2,"p":{}}}`, `{"x":1}`},
	},
	{
		name: "dot_expander onto a scalar",
		pipeline: `processors:
  - dot_expander: {field: a.b, on_failure: [{set: {field: failed, value: true}}]}`,
		docs: []string{`{"a.b":1,"a":"scalar"}`, `{"a.b":null}`},
	},
	{
		name: "html_strip",
		pipeline: `processors:
  - html_strip: {field: a}
  - html_strip: {field: b, target_field: c}
  - html_strip: {field: list}
  - html_strip: {field: gone, ignore_missing: true}`,
		docs: []string{
			`{"a":"<p><b>bold</b> text</p>","b":"a &amp; b &lt;c&gt; &#65;&#x42;","list":["<br>x","<span class=\"q>\">y</span>"]}`,
			`{"a":"x<!-- comment -->y<script>var a = 1 < 2;</script>z","b":"<div>one</div><div>two</div>","list":["a < b","<style>p{}</style>q"]}`,
			`{"a":"no markup","b":"<h1>T</h1><ul><li>1</li><li>2</li></ul>","list":["&nbsp;&copy;&unknown;","<a href='x'>link</a>"]}`,
			`{"a":"<!DOCTYPE html><?xml x?>t","b":"<b","list":["<3 & >","<![CDATA[raw<b>]]>"]}`,
		},
	},
	{
		name: "html_strip failures",
		pipeline: `processors:
  - html_strip: {field: a, ignore_failure: true}
  - set: {field: after, value: 1}`,
		docs: []string{`{"a":5}`, `{}`, `{"a":null}`},
	},
	{
		name: "foreach",
		pipeline: `processors:
  - foreach: {field: a, processor: {uppercase: {field: _ingest._value}}}
  - foreach: {field: objs, processor: {set: {field: _ingest._value.seen, value: '{{_ingest._value.name}}!'}}}
  - foreach: {field: gone, processor: {set: {field: x, value: 1}}, ignore_missing: true}`,
		docs: []string{`{"a":["x","y"],"objs":[{"name":"n1"},{"name":"n2"}]}`, `{"a":[],"objs":[]}`},
	},
	{
		name: "foreach failures",
		pipeline: `processors:
  - foreach: {field: a, processor: {convert: {field: _ingest._value, type: integer}}, on_failure: [{set: {field: failed, value: true}}]}
  - foreach: {field: b, processor: {convert: {field: _ingest._value, type: integer, ignore_failure: true}}}`,
		docs: []string{`{"a":["1","2"],"b":["3","x"]}`, `{"a":["1","x"],"b":[]}`},
	},
	{
		name: "foreach nested and drop",
		pipeline: `processors:
  - foreach: {field: rows, processor: {foreach: {field: _ingest._value.cells, processor: {lowercase: {field: _ingest._value}}}}}
  - foreach: {field: d, processor: {drop: {if: 'false'}}}`,
		docs: []string{`{"rows":[{"cells":["A","B"]},{"cells":["C"]}],"d":[1]}`},
	},
	{
		name: "foreach remove and outer field",
		pipeline: `processors:
  - foreach: {field: a, processor: {append: {field: all, value: '{{_ingest._value}}'}}}
  - foreach: {field: b, processor: {remove: {field: _ingest._value}}}`,
		docs: []string{`{"a":["x","y"],"b":["z"]}`},
	},
	{
		// OpenSearch names community_id's options <name>_field and the
		// transport protocol_field; Elasticsearch's names and ECS defaults
		// are sluice's.
		name: "community_id",
		pipeline: `processors:
  - community_id: {}
  - community_id: {source_ip: s, destination_ip: d, source_port: sp, destination_port: dp, transport: p, iana_number: no_iana, target_field: id2, seed: 123}`,
		nodeDef: `processors:
  - community_id: {source_ip_field: source.ip, source_port_field: source.port, destination_ip_field: destination.ip, destination_port_field: destination.port, iana_protocol_number_field: network.iana_number, protocol_field: network.transport, icmp_type_field: icmp.type, icmp_code_field: icmp.code, target_field: network.community_id, ignore_missing: true}
  - community_id: {source_ip_field: s, destination_ip_field: d, source_port_field: sp, destination_port_field: dp, protocol_field: p, icmp_type_field: icmp.type, icmp_code_field: icmp.code, target_field: id2, seed: 123}`,
		docs: []string{
			`{"source":{"ip":"66.35.250.204","port":80},"destination":{"ip":"128.232.110.120","port":34855},"network":{"transport":"TCP"},"s":"10.0.0.1","d":"10.0.0.2","sp":1000,"dp":53,"p":"udp"}`,
			`{"source":{"ip":"128.232.110.120","port":34855},"destination":{"ip":"66.35.250.204","port":80},"network":{"iana_number":6},"s":"fe80::1","d":"fe80::2","sp":5,"dp":5,"p":"sctp"}`,
			`{"source":{"ip":"192.168.0.89"},"destination":{"ip":"192.168.0.1"},"network":{"transport":"icmp"},"icmp":{"type":8,"code":0},"s":"1.1.1.1","d":"1.1.1.1","sp":2,"dp":1,"p":"tcp"}`,
			`{"source":{"ip":"192.168.0.1"},"destination":{"ip":"192.168.0.89"},"network":{"transport":"icmp"},"icmp":{"type":0,"code":0},"s":"1.1.1.1","d":"1.1.1.1","sp":1,"dp":2,"p":"tcp"}`,
			`{"source":{"ip":"192.168.0.1"},"destination":{"ip":"10.0.0.1"},"network":{"transport":"icmp"},"icmp":{"type":3,"code":1},"s":"::1","d":"::2","sp":1,"dp":2,"p":"ipv6-icmp"}`,
			`{"source":{"ip":"fe80::1"},"destination":{"ip":"fe80::2"},"network":{"transport":"ipv6-icmp"},"icmp":{"type":135,"code":0},"s":"1.1.1.1","d":"2.2.2.2","sp":1,"dp":2,"p":"tcp"}`,
		},
	},
	{
		name: "community_id missing and failures",
		pipeline: `processors:
  - community_id: {}
  - community_id: {ignore_missing: false, on_failure: [{set: {field: failed, value: true}}]}`,
		nodeDef: `processors:
  - community_id: {source_ip_field: source.ip, source_port_field: source.port, destination_ip_field: destination.ip, destination_port_field: destination.port, iana_protocol_number_field: network.iana_number, protocol_field: network.transport, icmp_type_field: icmp.type, icmp_code_field: icmp.code, target_field: network.community_id, ignore_missing: true}
  - community_id: {source_ip_field: source.ip, source_port_field: source.port, destination_ip_field: destination.ip, destination_port_field: destination.port, iana_protocol_number_field: network.iana_number, protocol_field: network.transport, icmp_type_field: icmp.type, icmp_code_field: icmp.code, target_field: network.community_id, ignore_missing: false, on_failure: [{set: {field: failed, value: true}}]}`,
		docs: []string{
			`{"source":{"ip":"10.0.0.1"}}`,
			`{"source":{"ip":"10.0.0.1","port":1},"destination":{"ip":"10.0.0.2","port":70000},"network":{"transport":"tcp"}}`,
			`{"source":{"ip":"10.0.0.x","port":1},"destination":{"ip":"10.0.0.2","port":2},"network":{"transport":"tcp"}}`,
			`{"source":{"ip":"10.0.0.1","port":1},"destination":{"ip":"10.0.0.2","port":2},"network":{"transport":"nope"}}`,
			`{"source":{"ip":"10.0.0.1","port":0},"destination":{"ip":"10.0.0.2","port":2},"network":{"transport":"udp"}}`,
		},
	},
	{
		name: "urldecode invalid UTF-8",
		pipeline: `processors:
  - urldecode: {field: a}`,
		docs: []string{`{"a":"%FFx"}`, `{"a":"%C3"}`, `{"a":"%e2%82%ac"}`},
	},
	{
		name: "bytes units in any case",
		pipeline: `processors:
  - bytes: {field: a}`,
		docs: []string{`{"a":"1KB"}`, `{"a":"1Kb"}`, `{"a":"2GB"}`, `{"a":"+3b"}`, `{"a":"8191PB"}`, `{"a":"8192PB"}`},
	},
	{
		name: "html_strip tags",
		pipeline: `processors:
  - html_strip: {field: a}`,
		docs: []string{`{"a":"x<br/>y<BR>z<P CLASS=q>p</P>"}`, `{"a":"<img src='a.png' alt=\"i\">t"}`, `{"a":"a<!-- open"}`, `{"a":"<td>1</td><td>2</td>"}`, `{"a":"<span>a</span><em>b</em>"}`},
	},
	{
		name: "sort strings and booleans",
		pipeline: `processors:
  - sort: {field: a}
  - sort: {field: b, order: desc}`,
		docs: []string{`{"a":["é","z","É","Z","ä"],"b":[true,false,true]}`},
	},
	{
		name: "csv tab separator",
		pipeline: `processors:
  - csv: {field: m, target_fields: [a, b], separator: "\t"}`,
		docs: []string{`{"m":"x\ty"}`, `{"m":"\"x\ty\"\tz"}`, `{"m":"x \t y"}`},
	},
	{
		name: "csv tab separator with trim",
		pipeline: `processors:
  - csv: {field: m, target_fields: [a, b, c], separator: "\t", trim: true}`,
		docs: []string{`{"m":"x \t y\t\tz"}`, `{"m":"\"x\" \ty"}`},
	},
	{
		name: "foreach with on_failure inside",
		pipeline: `processors:
  - foreach: {field: a, processor: {convert: {field: _ingest._value, type: integer, on_failure: [{set: {field: _ingest._value, value: -1}}]}}}`,
		docs: []string{`{"a":["1","x","3"]}`},
	},
}
