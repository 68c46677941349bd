package pipelines

import (
	"strings"
	"testing"
)

// TestDateIndexName: the date-math names it sets; the conformance suite
// compares them with a real ingest node.
func TestDateIndexName(t *testing.T) {
	runProcCases(t, []procCase{
		{name: "documented example", procs: "- date_index_name: {field: d, index_name_prefix: my-index-, date_rounding: M}",
			in: Event{"d": "2016-04-25T12:02:01.789Z"}, want: Event{"d": "2016-04-25T12:02:01.789Z", IndexField: "<my-index-{2016-04-25||/M{yyyy-MM-dd|UTC}}>"}},
		{name: "timezone moves the day", procs: "- date_index_name: {field: d, date_rounding: d, date_formats: [ISO8601], timezone: Asia/Tokyo, index_name_format: yyyy.MM.dd}",
			in: Event{"d": "2024-01-02T20:00:00Z"}, want: Event{"d": "2024-01-02T20:00:00Z", IndexField: "<{2024.01.03||/d{yyyy.MM.dd|Asia/Tokyo}}>"}},
		{name: "unparsable", procs: "- date_index_name: {field: d, date_rounding: d}", in: Event{"d": "x"}, err: "unable to parse date [x]"},
		{name: "missing", procs: "- date_index_name: {field: d, date_rounding: d}", in: Event{}, err: "field [d] not present"},
	})
}

func TestDateIndexNameDefinitionErrors(t *testing.T) {
	runDefinitionErrors(t, []defCase{
		{"without date_rounding", "processors:\n  - date_index_name: {field: d}\n", "bad.yml:2: processor date_index_name#0: missing required option date_rounding"},
		{"bad index_name_format", "processors:\n  - date_index_name:\n      field: d\n      date_rounding: d\n      index_name_format: yyyy-QQ\n",
			"bad.yml:5: processor date_index_name#0: index_name_format: date pattern \"yyyy-QQ\": symbol QQ is not supported"},
		{"bad date_formats", "processors:\n  - date_index_name:\n      field: d\n      date_rounding: d\n      date_formats: [ISO8601, 'ss.SSS QQ']\n",
			"bad.yml:5: processor date_index_name#0: date_formats[1]"},
		{"bad timezone", "processors:\n  - date_index_name:\n      field: d\n      date_rounding: d\n      timezone: Mars/Base\n", "bad.yml:5: processor date_index_name#0: timezone"},
	})
}

// FuzzDateIndexName feeds any field value and template value to
// date_index_name: never a panic, and what it sets is always one
// date-math name <prefix{date||/rounding{format|zone}}>. The seed corpus
// is in testdata/fuzz/FuzzDateIndexName.
func FuzzDateIndexName(f *testing.F) {
	for _, s := range []string{"2024-01-02T10:00:00.000Z", "1704189600", "1704189600000", "@4000000065940a2000000000", "", "2024-13-45", "{{x}}"} {
		f.Add(s, "web")
	}
	p := mustParse(f, `processors:
  - date_index_name: {field: d, date_rounding: d, index_name_prefix: '{{p}}-', date_formats: [ISO8601, UNIX, UNIX_MS, TAI64N, "yyyy-MM-dd'T'HH:mm:ss.SSSXX", dd/MMM/yyyy:HH:mm:ss Z]}`)
	f.Fuzz(func(t *testing.T, d, prefix string) {
		out, _, err := p.Run(Event{"d": d, "p": prefix})
		if err != nil {
			return
		}
		name, ok := out[IndexField].(string)
		// The prefix is rendered as a template: escaped as the node does.
		if !ok || !strings.HasPrefix(name, "<") || !strings.Contains(name, "-{") || !strings.HasSuffix(name, "||/d{yyyy-MM-dd|UTC}}>") {
			t.Fatalf("%q, %q: _index %#v", d, prefix, out[IndexField])
		}
	})
}
