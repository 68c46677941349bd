package pipelines

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type procCase struct {
	name  string
	procs string
	in    Event
	want  Event // nil: dropped
	err   string
}

func runProcCases(t *testing.T, cases []procCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, "processors:\n"+indentYAML(c.procs))
			out, dropped, err := p.Run(c.in)
			switch {
			case c.err != "":
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q (event %v)", err, c.err, out)
				}
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want == nil:
				if !dropped {
					t.Fatalf("not dropped: %v", out)
				}
			case dropped:
				t.Fatal("dropped")
			case !reflect.DeepEqual(out, c.want):
				t.Fatalf("got  %#v\nwant %#v", out, c.want)
			}
		})
	}
}

type obj = map[string]any

// TestAddedProcessors covers the processors of issue 17; the conformance
// suite compares them with a real ingest node.
func TestAddedProcessors(t *testing.T) {
	runProcCases(t, []procCase{
		{"csv", `- csv: {field: m, target_fields: [a, b.c, d]}`, Event{"m": `1,"x,""y""",,4`},
			Event{"m": `1,"x,""y""",,4`, "a": "1", "b": obj{"c": `x,"y"`}}, ""},
		{"csv empty_value and trim", `- csv: {field: m, target_fields: [a, b, c], trim: true, empty_value: -}`, Event{"m": ` 1 ,,3`},
			Event{"m": ` 1 ,,3`, "a": "1", "b": "-", "c": "3"}, ""},
		{"csv separator and quote", `- csv: {field: m, target_fields: [a, b], separator: '|', quote: "'"}`, Event{"m": `'a|b'|c`},
			Event{"m": `'a|b'|c`, "a": "a|b", "b": "c"}, ""},
		{"csv unclosed quote", `- csv: {field: m, target_fields: [a]}`, Event{"m": `"a`}, nil, "unclosed quote"},
		{"csv quote in a column", `- csv: {field: m, target_fields: [a]}`, Event{"m": `a"b`}, nil, "inside an unquoted column"},
		{"csv after a quote", `- csv: {field: m, target_fields: [a, b]}`, Event{"m": `"a"b,c`}, nil, "after a quoted column"},
		{"csv ignore_missing", `- csv: {field: m, target_fields: [a], ignore_missing: true}`, Event{}, Event{}, ""},

		{"urldecode", `- urldecode: {field: u, target_field: d}`, Event{"u": "a%20b+c%2F"}, Event{"u": "a%20b+c%2F", "d": "a b c/"}, ""},
		{"urldecode list", `- urldecode: {field: u}`, Event{"u": []any{"%41", "b"}}, Event{"u": []any{"A", "b"}}, ""},
		{"urldecode malformed", `- urldecode: {field: u}`, Event{"u": "100%"}, nil, "cannot URL-decode"},
		{"urldecode invalid UTF-8", `- urldecode: {field: u}`, Event{"u": "%FFx"}, Event{"u": "\uFFFDx"}, ""},

		{"uri_parts", `- uri_parts: {field: u}`, Event{"u": "https://user:pw@example.com:8443/a/b.tar.gz?q=1%202#frag"},
			Event{"u": "https://user:pw@example.com:8443/a/b.tar.gz?q=1%202#frag", "url": obj{
				"scheme": "https", "domain": "example.com", "port": int64(8443), "path": "/a/b.tar.gz", "extension": "gz",
				"query": "q=1 2", "fragment": "frag", "user_info": "user:pw", "username": "user", "password": "pw",
				"original": "https://user:pw@example.com:8443/a/b.tar.gz?q=1%202#frag"}}, ""},
		{"uri_parts options", `- uri_parts: {field: u, target_field: p, keep_original: false, remove_if_successful: true}`,
			Event{"u": "http://h.example/x.dir/file"}, Event{"p": obj{"scheme": "http", "domain": "h.example", "path": "/x.dir/file"}}, ""},
		{"uri_parts IPv6 and no path", `- uri_parts: {field: u, keep_original: false}`, Event{"u": "http://[::1]:80"},
			Event{"u": "http://[::1]:80", "url": obj{"scheme": "http", "domain": "[::1]", "port": int64(80), "path": ""}}, ""},
		{"uri_parts malformed", `- uri_parts: {field: u}`, Event{"u": "http://[::1"}, nil, "unable to parse URI"},
		{"uri_parts space without a scheme", `- uri_parts: {field: u}`, Event{"u": "a b/c.d"}, nil, "unable to parse URI"},
		{"uri_parts space after http", `- uri_parts: {field: u, keep_original: false}`, Event{"u": "http://h/a b.txt"},
			Event{"u": "http://h/a b.txt", "url": obj{"scheme": "http", "domain": "h", "path": "/a b.txt", "extension": "txt"}}, ""},
		{"uri_parts bad escape", `- uri_parts: {field: u}`, Event{"u": "http://h/%zz"}, nil, "unable to parse URI"},

		{"bytes", `- bytes: {field: b}`, Event{"b": []any{"1kb", "2MB", "3g", "1.5kb", "0", "-1", "7 b"}},
			Event{"b": []any{int64(1024), int64(2 << 20), int64(3 << 30), int64(1536), int64(0), int64(-1), int64(7)}}, ""},
		{"bytes without unit", `- bytes: {field: b}`, Event{"b": "12"}, nil, "unit is missing or unrecognized"},
		{"bytes too large", `- bytes: {field: b}`, Event{"b": "9999999pb"}, nil, "too large"},
		{"bytes below -1", `- bytes: {field: b}`, Event{"b": "-2b"}, nil, "below -1"},
		{"bytes not a number", `- bytes: {field: b}`, Event{"b": "0x10kb"}, nil, "not a size in bytes"},

		{"join", `- join: {field: l, separator: '/', target_field: j}`, Event{"l": []any{"a", int64(1), true, nil}},
			Event{"l": []any{"a", int64(1), true, nil}, "j": "a/1/true/null"}, ""},
		{"join not a list", `- join: {field: l, separator: ','}`, Event{"l": "x"}, nil, "not a list"},

		{"sort", `- sort: {field: l}`, Event{"l": []any{"b", "a", "B"}}, Event{"l": []any{"B", "a", "b"}}, ""},
		{"sort desc numbers", `- sort: {field: l, order: desc, target_field: s}`, Event{"l": []any{int64(2), int64(10), int64(1)}},
			Event{"l": []any{int64(2), int64(10), int64(1)}, "s": []any{int64(10), int64(2), int64(1)}}, ""},
		{"sort UTF-16 order", `- sort: {field: l}`, Event{"l": []any{"\uFF61", "\U0001F600"}}, Event{"l": []any{"\U0001F600", "\uFF61"}}, ""},
		{"sort mixed", `- sort: {field: l}`, Event{"l": []any{"a", int64(1)}}, nil, "cannot sort"},

		{"dot_expander", `- dot_expander: {field: a.b}`, Event{"a.b": "v", "a": obj{"c": 1}}, Event{"a": obj{"b": "v", "c": 1}}, ""},
		{"dot_expander appends", `- dot_expander: {field: a.b}`, Event{"a.b": []any{"y", "z"}, "a": obj{"b": "x"}}, Event{"a": obj{"b": []any{"x", "y", "z"}}}, ""},
		{"dot_expander override", `- dot_expander: {field: a.b, override: true}`, Event{"a.b": "y", "a": obj{"b": "x"}}, Event{"a": obj{"b": "y"}}, ""},
		{"dot_expander all", `- dot_expander: {field: '*'}`, Event{"a.b": 1, "c.d.e": 2, "f": 3}, Event{"a": obj{"b": 1}, "c": obj{"d": obj{"e": 2}}, "f": 3}, ""},
		{"dot_expander path", `- dot_expander: {field: x.y, path: o}`, Event{"o": obj{"x.y": 1}}, Event{"o": obj{"x": obj{"y": 1}}}, ""},
		{"dot_expander scalar parent", `- dot_expander: {field: a.b}`, Event{"a.b": 1, "a": "s"}, nil, "[a] is a string, not an object"},

		{"html_strip", `- html_strip: {field: h}`, Event{"h": "<p>a <b>b</b></p><script>x</script>&amp;"}, Event{"h": "\na b\n\n&amp;"}, ""},

		{"foreach", `- foreach: {field: l, processor: {uppercase: {field: _ingest._value}}}`, Event{"l": []any{"a", "b"}}, Event{"l": []any{"A", "B"}}, ""},
		{"foreach keeps _ingest", `- fail:
    message: m
    on_failure:
      - foreach: {field: l, processor: {set: {field: _ingest._value, value: '{{_ingest.on_failure_message}}'}}}
      - set: {field: msg, value: '{{_ingest.on_failure_message}}'}`, Event{"l": []any{"a"}}, Event{"l": []any{"m"}, "msg": "m"}, ""},
		{"foreach on_failure sets _ingest._value", `- foreach:
    field: l
    processor:
      convert:
        field: _ingest._value
        type: integer
        on_failure: [{set: {field: _ingest._value, value: '{{_ingest._value}}!'}}]`, Event{"l": []any{"1", "x"}}, Event{"l": []any{int64(1), "x!"}}, ""},
		{"foreach failure", `- foreach: {field: l, processor: {convert: {field: _ingest._value, type: integer}}}`, Event{"l": []any{"1", "x"}}, nil, "unable to convert"},
		{"foreach not a list", `- foreach: {field: l, processor: {uppercase: {field: _ingest._value}}}`, Event{"l": "x"}, nil, "not a list"},
		{"community_id string ports", `- community_id: {}`,
			Event{"source": obj{"ip": "192.168.1.52", "port": "54585"}, "destination": obj{"ip": "8.8.8.8", "port": "53"}, "network": obj{"transport": "UDP"}},
			Event{"source": obj{"ip": "192.168.1.52", "port": "54585"}, "destination": obj{"ip": "8.8.8.8", "port": "53"},
				"network": obj{"transport": "UDP", "community_id": "1:d/FP5EW3wiY1vCndhwleRRKHowQ="}}, ""},
		{"community_id same flow both ways", `- community_id: {target_field: id}`,
			Event{"source": obj{"ip": "8.8.8.8", "port": int64(53)}, "destination": obj{"ip": "192.168.1.52", "port": int64(54585)}, "network": obj{"iana_number": int64(17)}},
			Event{"source": obj{"ip": "8.8.8.8", "port": int64(53)}, "destination": obj{"ip": "192.168.1.52", "port": int64(54585)}, "network": obj{"iana_number": int64(17)},
				"id": "1:d/FP5EW3wiY1vCndhwleRRKHowQ="}, ""},
		{"community_id iana_number before transport", `- community_id: {target_field: id}`,
			Event{"source": obj{"ip": "8.8.8.8", "port": int64(53)}, "destination": obj{"ip": "192.168.1.52", "port": int64(54585)}, "network": obj{"iana_number": "17", "transport": "tcp"}},
			Event{"source": obj{"ip": "8.8.8.8", "port": int64(53)}, "destination": obj{"ip": "192.168.1.52", "port": int64(54585)}, "network": obj{"iana_number": "17", "transport": "tcp"},
				"id": "1:d/FP5EW3wiY1vCndhwleRRKHowQ="}, ""},
		{"community_id missing", `- community_id: {}`, Event{"source": obj{"ip": "1.2.3.4"}}, Event{"source": obj{"ip": "1.2.3.4"}}, ""},
		{"community_id missing not ignored", `- community_id: {ignore_missing: false}`, Event{"source": obj{"ip": "1.2.3.4"}}, nil, "field [destination.ip] not present"},
		{"community_id bad port", `- community_id: {}`, Event{"source": obj{"ip": "1.2.3.4", "port": "x"}, "destination": obj{"ip": "1.2.3.5", "port": int64(1)}, "network": obj{"transport": "tcp"}}, nil, "not a valid port"},
		{"community_id unknown transport", `- community_id: {}`, Event{"source": obj{"ip": "1.2.3.4"}, "destination": obj{"ip": "1.2.3.5"}, "network": obj{"transport": "quic"}}, nil, "not a valid transport protocol"},
		{"network_direction", `- network_direction: {internal_networks: [private, 203.0.113.0/24]}`,
			Event{"source": obj{"ip": "192.168.1.1"}, "destination": obj{"ip": "203.0.113.9"}},
			Event{"source": obj{"ip": "192.168.1.1"}, "destination": obj{"ip": "203.0.113.9"}, "network": obj{"direction": "internal"}}, ""},
		{"network_direction outbound", `- network_direction: {internal_networks: [loopback, "::1"], target_field: dir}`,
			Event{"source": obj{"ip": "::1"}, "destination": obj{"ip": "8.8.8.8"}}, Event{"source": obj{"ip": "::1"}, "destination": obj{"ip": "8.8.8.8"}, "dir": "outbound"}, ""},
		{"network_direction from the event", `- network_direction: {internal_networks_field: nets, source_ip: s, destination_ip: d}`,
			Event{"s": "8.8.8.8", "d": "10.1.1.1", "nets": []any{"10.0.0.0/8"}},
			Event{"s": "8.8.8.8", "d": "10.1.1.1", "nets": []any{"10.0.0.0/8"}, "network": obj{"direction": "inbound"}}, ""},
		{"network_direction public", `- network_direction: {internal_networks: [public]}`,
			Event{"source": obj{"ip": "10.0.0.1"}, "destination": obj{"ip": "255.255.255.255"}},
			Event{"source": obj{"ip": "10.0.0.1"}, "destination": obj{"ip": "255.255.255.255"}, "network": obj{"direction": "external"}}, ""},
		{"network_direction missing", `- network_direction: {internal_networks: [private]}`, Event{"source": obj{"ip": "10.0.0.1"}}, Event{"source": obj{"ip": "10.0.0.1"}}, ""},
		{"network_direction missing not ignored", `- network_direction: {internal_networks: [private], ignore_missing: false}`, Event{}, nil, "field [source.ip] not present"},
		{"network_direction bad address", `- network_direction: {internal_networks: [private]}`,
			Event{"source": obj{"ip": "x"}, "destination": obj{"ip": "10.0.0.1"}}, nil, "not an IP address"},
		{"registered_domain", `- registered_domain: {field: fqdn, target_field: url}`, Event{"fqdn": "www.example.ac.uk"},
			Event{"fqdn": "www.example.ac.uk", "url": obj{"domain": "www.example.ac.uk", "registered_domain": "example.ac.uk", "top_level_domain": "ac.uk", "subdomain": "www"}}, ""},
		{"registered_domain at the top", `- registered_domain: {field: d}`, Event{"d": "Example.COM"},
			Event{"d": "Example.COM", "domain": "Example.COM", "registered_domain": "example.com", "top_level_domain": "com"}, ""},
		{"registered_domain of a suffix", `- registered_domain: {field: d, target_field: t}`, Event{"d": "co.uk"},
			Event{"d": "co.uk", "t": obj{"domain": "co.uk", "top_level_domain": "co.uk"}}, ""},
		{"registered_domain private suffix", `- registered_domain: {field: d, target_field: t}`, Event{"d": "a.b.github.io"},
			Event{"d": "a.b.github.io", "t": obj{"domain": "a.b.github.io", "registered_domain": "b.github.io", "top_level_domain": "github.io", "subdomain": "a"}}, ""},
		{"registered_domain not a domain", `- registered_domain: {field: d}`, Event{"d": "not a domain"}, Event{"d": "not a domain"}, ""},
		{"registered_domain not a domain fails", `- registered_domain: {field: d, ignore_missing: false}`, Event{"d": "localhost"}, nil, "not a domain name"},
		{"registered_domain missing", `- registered_domain: {field: d}`, Event{}, Event{}, ""},
		{"redact", `- redact: {field: m, patterns: ['%{IP:client}']}`, Event{"m": "55.3.244.1 GET /index.html 15824 0.043"},
			Event{"m": "<client> GET /index.html 15824 0.043"}, ""},
		{"redact every match, two patterns", `- redact: {field: m, patterns: ['%{EMAILADDRESS:EMAIL}', '%{IP:IP}'], prefix: '*', suffix: '*'}`,
			Event{"m": "jane@example.com from 10.0.0.1 and 10.0.0.2"}, Event{"m": "*EMAIL* from *IP* and *IP*"}, ""},
		{"redact overlapping", `- redact: {field: m, patterns: ['%{WORD:w}-%{WORD:x}', '%{WORD:y}']}`,
			Event{"m": "ab-cd ef"}, Event{"m": "<w>-<x> <y>"}, ""},
		{"redact merge", `- redact: {field: m, patterns: ['(?P<outer>a(?P<inner>b)c)']}`, Event{"m": "xabcx"}, Event{"m": "x<outer>x"}, ""},
		{"redact no match", `- redact: {field: m, patterns: ['%{IP:ip}']}`, Event{"m": "none"}, Event{"m": "none"}, ""},
		{"redact missing", `- redact: {field: m, patterns: ['%{IP:ip}']}`, Event{}, Event{}, ""},
		{"redact not a string", `- redact: {field: m, patterns: ['%{IP:ip}']}`, Event{"m": int64(1)}, nil, "not a string"},
		{"terminate", `- set: {field: a, value: 1}
- terminate: {if: 'a == 1'}
- set: {field: b, value: 1}`, Event{}, Event{"a": int64(1)}, ""},
		{"terminate in foreach finishes the list", `- foreach: {field: l, processor: {terminate: {}}}
- set: {field: b, value: 1}`, Event{"l": []any{"x", "y"}}, Event{"l": []any{"x", "y"}}, ""},
		{"terminate in on_failure", `- fail: {message: m, on_failure: [{terminate: {}}]}
- set: {field: b, value: 1}`, Event{}, Event{}, ""},
		{"foreach drop", `- foreach: {field: l, processor: {drop: {}}}`, Event{"l": []any{1}}, nil, ""},
	})
}

func TestAddedProcessorDefinitionErrors(t *testing.T) {
	runDefinitionErrors(t, []defCase{
		{"csv without target_fields", "processors:\n  - csv: {field: m}\n", "bad.yml:2: processor csv#0: missing required option target_fields"},
		{"csv long separator", "processors:\n  - csv:\n      field: m\n      target_fields: [a]\n      separator: ';;'\n",
			"bad.yml:5: processor csv#0: separator: want a single character"},
		{"join without separator", "processors:\n  - join: {field: l}\n", "processor join#0: missing required option separator"},
		{"sort bad order", "processors:\n  - sort:\n      field: l\n      order: up\n", "bad.yml:4: processor sort#0: order: want asc or desc"},
		{"dot_expander without a dot", "processors:\n  - dot_expander:\n      field: ab\n", "bad.yml:3: processor dot_expander#0: field: \"ab\" has no dot"},
		{"dot_expander leading dot", "processors:\n  - dot_expander: {field: .ab}\n", "starts or ends with a dot"},
		{"network_direction without networks", "processors:\n  - network_direction: {}\n", "processor network_direction#0: want exactly one of internal_networks"},
		{"network_direction bad network", "processors:\n  - network_direction:\n      internal_networks: [intranet]\n",
			"bad.yml:3: processor network_direction#0: internal_networks: [intranet] is not a network"},
		{"redact without patterns", "processors:\n  - redact: {field: m}\n", "processor redact#0: patterns: want at least one grok expression"},
		{"redact bad pattern", "processors:\n  - redact:\n      field: m\n      patterns: ['%{NOSUCH:x}']\n",
			"bad.yml:4: processor redact#0: patterns[0]: unknown grok pattern %{NOSUCH}"},
		{"foreach without processor", "processors:\n  - foreach: {field: l}\n", "processor foreach#0: missing required option processor"},
		{"foreach bad inner", "processors:\n  - foreach:\n      field: l\n      processor:\n        set: {field: a}\n",
			"bad.yml:5: processor foreach#0.processor set#0: want exactly one of value and copy_from"},
		{"foreach two processors", "processors:\n  - foreach:\n      field: l\n      processor: {set: {field: a, value: 1}, drop: {}}\n",
			"bad.yml:4: processor foreach#0: processor: want one processor name"},
	})
}

// defCase is a definition (of bad.yml) and a part of the error it must
// fail to load with.
type defCase struct{ name, def, want string }

func runDefinitionErrors(t *testing.T, cases []defCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "bad.yml")
			if err := os.WriteFile(file, []byte(c.def), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""); !strings.Contains(msg, c.want) {
				t.Fatalf("error:\n%s\nwant it to contain:\n%s", msg, c.want)
			}
		})
	}
}
