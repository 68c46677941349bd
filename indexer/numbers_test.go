package indexer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/jsonnum"
	"github.com/sluicelogs/sluice/pipelines"
)

// numbersPipeline moves the number n with rename, copies it with set,
// compares it in conditions and renders it in a template; convert makes
// a float of the string "2" and an integer of the string "42".
const numbersPipeline = `processors:
  - rename: {field: n, target_field: num.value}
  - set: {field: num.copy, copy_from: num.value}
  - set: {field: num.text, value: '{{num.value}}'}
  - set: {field: large, value: true, if: 'num.value >= 1000'}
  - set: {field: negative, value: true, if: 'num.value < 0'}
  - convert: {field: s, type: float}
  - convert: {field: i, type: long}
  - convert: {field: d, type: double, target_field: d_float}
`

// numberLiterals are the numbers of issue 17 that float64 changes:
// integers beyond 2^53 and int64, floats written whole or with an
// exponent, a negative zero.
var numberLiterals = []struct {
	lit             string
	large, negative bool
}{
	{"9007199254740993", true, false},
	{"-9223372036854775808", false, true},
	{"12345678901234567890", true, false},
	{"2.0", false, false},
	{"1e3", true, false},
	{"1.5E-7", false, false},
	{"0.1", false, false},
	{"-0", false, false},
	{"1.0e+2", false, false},
}

// prepareRecords runs records through the parse step of a route with
// numbersPipeline and returns each document's bulk body line.
func prepareRecords(t testing.TB, values ...string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "numbers.yml")
	if err := os.WriteFile(path, []byte(numbersPipeline), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := pipelines.Load(path, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := parseIndexName("logs-numbers")
	if err != nil {
		t.Fatal(err)
	}
	f := &flow{r: &route{pipeline: p, run: p.Run, index: idx}}
	f.bufs.New = func() any { return new(docBuf) }
	c := &chunk{}
	for i, v := range values {
		c.recs = append(c.recs, &kgo.Record{Topic: "t", Offset: int64(i), Value: []byte(v), Timestamp: time.Unix(0, 0)})
	}
	f.prepare(&encoder{}, c)
	if len(c.dead) > 0 {
		t.Fatalf("dead-lettered: %v", c.reasons)
	}
	out := make([]string, len(c.docs))
	for i := range c.docs {
		b := make([]byte, c.docs[i].body.Len())
		if _, err := c.docs[i].body.Read(b); err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

// agentEvent is the record the agent writes for the ndjson line
// {"n":lit,"s":"2","i":"42","d":"0.5"} (see the agent's
// TestNDJSONKeepsNumbers, which pins the same literals on its side).
func agentEvent(lit string) string {
	return `{"@timestamp":"2026-01-01T00:00:00.000Z","message":"","log":{"file":{"path":"/var/log/app.ndjson"},"offset":0},"n":` +
		lit + `,"s":"2","i":"42","d":"0.5"}`
}

// TestNumbersReachBulkBodyAsWritten (issue 17): every literal comes out
// of rename, set, templates and conditions byte for byte as it went in;
// convert to float writes a float (2.0) and to long an integer.
func TestNumbersReachBulkBodyAsWritten(t *testing.T) {
	values := make([]string, len(numberLiterals))
	for i, c := range numberLiterals {
		values[i] = agentEvent(c.lit)
	}
	got := prepareRecords(t, values...)
	for i, c := range numberLiterals {
		want := `{"@timestamp":"2026-01-01T00:00:00.000Z","d":"0.5","d_float":0.5,"i":42,`
		if c.large {
			want += `"large":true,`
		}
		want += `"log":{"file":{"path":"/var/log/app.ndjson"},"offset":0},"message":"",`
		if c.negative {
			want += `"negative":true,`
		}
		want += `"num":{"copy":` + c.lit + `,"text":"` + c.lit + `","value":` + c.lit + `},"s":2.0}`
		if got[i] != want {
			t.Errorf("%s:\n got %s\nwant %s", c.lit, got[i], want)
		}
	}
}

// FuzzNumbersRoundTrip: any number literal and any string in an ndjson
// event come out in the bulk body exactly as they went in (the string as
// encoding/json quotes it), through the rename, set and template of
// numbersPipeline. Seeds in testdata/fuzz/FuzzNumbersRoundTrip.
func FuzzNumbersRoundTrip(f *testing.F) {
	for _, c := range numberLiterals {
		f.Add(c.lit, "text")
	}
	f.Fuzz(func(t *testing.T, lit, s string) {
		if !jsonnum.Valid(json.Number(lit)) || !utf8.ValidString(s) {
			return // not a number; invalid UTF-8 the agent replaces before
		}
		quoted, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		event := `{"@timestamp":"2026-01-01T00:00:00.000Z","message":` + string(quoted) + `,"n":` + lit + `,"s":"2","i":"42","d":"0.5"}`
		got := prepareRecords(t, event)[0]
		want := `{"@timestamp":"2026-01-01T00:00:00.000Z","d":"0.5","d_float":0.5,"i":42,`
		if !strings.HasPrefix(got, want) {
			t.Fatalf("%s: body %s", event, got)
		}
		for _, part := range []string{
			`"message":` + string(quoted),
			`"num":{"copy":` + lit + `,"text":"` + lit + `","value":` + lit + `},"s":2.0}`,
		} {
			if !strings.Contains(got, part) {
				t.Fatalf("%s: body %s lacks %s", event, got, part)
			}
		}
	})
}
