package agent

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/agent/syslog"
)

// syslogFieldsSeeds are messages whose log.syslog objects differ in every
// key: RFC 3164 and 5424, structured data, characters JSON escapes (or
// json.Marshal escapes for HTML), invalid UTF-8, no priority.
var syslogFieldsSeeds = []string{
	"<13>Dec  4 05:00:00 abench app[123]: seq=1 hello",
	"<191>Dec  4 05:00:00 host-<&> app: x",
	"<0>1 2024-12-04T05:00:00Z host app 42 ID47 [ex@1 a=\"1\" b=\"<\\\"q\\\">\"][z@2 c=\"\"] msg",
	"<165>1 2024-12-04T05:00:00.003Z h\xffost ap\u2028p - - - text",
	"no priority at all",
	"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
	"<13>Dec  4 05:00:00 h tag\"\\\t[9]: m",
}

// checkSyslogFields fails unless appendSyslogFields writes valid JSON
// meaning what json.Marshal(m.Fields()) means.
func checkSyslogFields(t *testing.T, raw string) {
	t.Helper()
	m := syslog.NewParser(syslog.AutoFormat, time.UTC).Parse([]byte(raw))
	got := appendSyslogFields(nil, &m)
	if !json.Valid(got) {
		t.Fatalf("%q: invalid JSON %q", raw, got)
	}
	want, err := json.Marshal(m.Fields())
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%q:\n got %s\nwant %s", raw, got, want)
	}
}

func TestAppendSyslogFields(t *testing.T) {
	for _, raw := range syslogFieldsSeeds {
		checkSyslogFields(t, raw)
	}
	// Byte for byte where json.Marshal escapes nothing of its own.
	m := syslog.NewParser(syslog.RFC3164, time.UTC).Parse([]byte(syslogFieldsSeeds[0]))
	want, _ := json.Marshal(m.Fields())
	if got := appendSyslogFields(nil, &m); string(got) != string(want) {
		t.Errorf("got %s, want %s", got, want)
	}
}

func FuzzSyslogFields(f *testing.F) {
	for _, raw := range syslogFieldsSeeds {
		f.Add(raw)
	}
	f.Fuzz(checkSyslogFields)
}

// TestSyslogFieldsCache: the cached log.syslog object is what
// appendSyslogFields writes, whatever message came before.
func TestSyslogFieldsCache(t *testing.T) {
	var c syslogFieldsCache
	p := syslog.NewParser(syslog.AutoFormat, time.UTC)
	for _, a := range syslogFieldsSeeds {
		for _, b := range append(syslogFieldsSeeds, "<13>Dec  4 05:00:00 abench app[124]: x", "<14>Dec  4 05:00:00 abench app[123]: x") {
			for _, raw := range []string{a, b, b} {
				m := p.Parse([]byte(raw))
				if got, want := c.append([]byte("x"), &m), appendSyslogFields([]byte("x"), &m); string(got) != string(want) {
					t.Fatalf("%q after %q: %s, want %s", raw, a, got, want)
				}
			}
		}
	}
}

func BenchmarkSyslogFields(b *testing.B) {
	m := syslog.NewParser(syslog.RFC3164, time.UTC).Parse([]byte(syslogFieldsSeeds[0]))
	var buf []byte
	b.Run("write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = appendSyslogFields(buf[:0], &m)
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		var c syslogFieldsCache
		for b.Loop() {
			buf = c.append(buf[:0], &m)
		}
	})
}
