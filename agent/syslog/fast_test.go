package syslog

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// sameAsGoSyslog fails unless Parse gives what go-syslog alone gives
// (parseSlow), the location of the timestamp aside (see fast.go).
func sameAsGoSyslog(t *testing.T, p *Parser, raw []byte) Message {
	t.Helper()
	got, want := p.Parse(raw), p.parseSlow(raw)
	if fmt.Sprint(got.Err) != fmt.Sprint(want.Err) || got.Priority != want.Priority || !got.Timestamp.Equal(want.Timestamp) ||
		!bytes.Equal(got.Hostname, want.Hostname) || !bytes.Equal(got.Appname, want.Appname) || !bytes.Equal(got.ProcID, want.ProcID) ||
		!bytes.Equal(got.MsgID, want.MsgID) || got.Version != want.Version || !reflect.DeepEqual(got.StructuredData, want.StructuredData) ||
		!bytes.Equal(got.Text, want.Text) {
		t.Fatalf("format %d, %q:\n got %s\nwant %s", p.format, raw, show(got), show(want))
	}
	return got
}

func show(m Message) string {
	return fmt.Sprintf("pri=%d ts=%v ver=%d host=%q app=%q pid=%q msgid=%q sd=%v text=%q err=%v", m.Priority, m.Timestamp, m.Version,
		m.Hostname, m.Appname, m.ProcID, m.MsgID, m.StructuredData, m.Text, m.Err)
}

// parseSeeds are messages of every shape the parsers know, and of shapes
// they leave to go-syslog.
var parseSeeds = []string{
	// RFC 3164 (4.3.3's examples first)
	"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
	"<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
	"<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jumbo=OK, Grill=Off",
	"<0>Oct 22 10:52:12 scapegoat 1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
	"<13>Dec  4 05:00:00 abench app[123]: seq=1 hello",
	"<13>Dec  4 05:00:00 abench app: seq=1 hello",
	"<13>Dec  4 05:00:00 abench app[]: seq=1 hello",
	"<13>Dec  4 05:00:00 abench app[123] seq=1 hello",
	"<13>Dec  4 05:00:00 abench seq=1 hello",
	"<13>Dec  4 05:00:00 abench: hello",
	"<13>Dec  4 05:00:00 app[1]: hello",
	"<13>Dec  4 05:00:00 last message repeated 5 times",
	"<13>Dec  4 05:00:00 abench last message repeated 5 times",
	"<13>Dec  4 05:00:00 abench foo",
	"<13>Dec  4 05:00:00 abench ",
	"<13>Dec  4 05:00:00 abench",
	"<13>Dec  4 05:00:00 abench app[1]: ",
	"<13>Dec  4 05:00:00 abench app[1]:",
	"<13>Dec  4 05:00:00  abench  app[1]: x",
	"<13>Dec  4 05:00:00 abench app[1]:  x",
	"<13>2024-12-04T05:00:00.123456+01:00 abench app[1]: x",
	"<13>2024-12-04T05:00:00Z abench app[1]: x",
	"<13>2024-12-04T05:00:00.1234567Z abench app[1]: x",
	"<13>2024-02-29T05:00:00-23:59 abench app[1]: x",
	"<13>2023-02-29T05:00:00Z abench app[1]: x",
	"<13>Feb 29 05:00:00 abench app[1]: x",
	"<13>Feb 30 05:00:00 abench app[1]: x",
	"<13>Apr 31 05:00:00 abench app[1]: x",
	"<13>Dec 04 05:00:00 abench app[1]: x",
	"<13>Dec 31 23:59:59 abench app[1]: x",
	"<13>Dec  4 25:00:00 abench app[1]: x",
	"<13>Dec  4 05:00:60 abench app[1]: x",
	"<13>Dec  4 05:00:00.123 abench app[1]: x",
	"<13>Dec  4 05:00:00 abench app[1]: x\ty\x80\xff",
	"<13>Dec  4 05:00:00 abench app[1]: x\n",
	"<13>Dec  4 05:00:00 abench app[1]: x\ny",
	"<13>Dec  4 05:00:00 abench app[1]: x\x7f",
	"<13>Dec  4 05:00:00 - - x",
	"<13>Dec  4 05:00:00 - app: x",
	"<13>Dec  4 05:00:00 h -: x",
	"<13>Dec  4 05:00:00 h a[-]: x",
	"<191>Dec  4 05:00:00 abench app[1]: x",
	"<192>Dec  4 05:00:00 abench app[1]: x",
	"<013>Dec  4 05:00:00 abench app[1]: x",
	"<0>Dec  4 05:00:00 abench app[1]: x",
	"<13> Dec  4 05:00:00 abench app[1]: x",
	"<13>Dec  4 05:00:00 abench app[1]:x",
	"<13>Dec  4 05:00:00 abench a:b[1]: x",
	"<13>Dec  4 05:00:00 abench a]b: x",
	"<13>Dec  4 05:00:00 abench app[1][2]: x",
	"<13>Dec  4 05:00:00 abench app[1 2]: x",
	"<13>Dec  4 05:00:00 abench 0123456789012345678901234567890123456789012345678: x",
	"<13>Dec  4 05:00:00 abench 012345678901234567890123456789012345678901234567: x",
	"<13>Dec  4 05:00:00 abench app[1]: x ]",
	"<13>Dec  4 05:00:00 abench app[1]: a: b [c]",
	"<13>Dec  4 05:00:00 abench foo bar[1]: x",
	"<13>Dec  4 05:00:00 h[1] x y",
	"<13>Dec  4 05:00:00 h\xff a: x",
	"<13>Dec  4 05:00:00 abench app[1]: \xe2\x80\xa8",
	// RFC 5424 (6.5's examples first)
	"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
	"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
	`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] BOMAn application event log entry...`,
	`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"][examplePriority@32473 class="high"]`,
	"<13>1 - - - - - -",
	"<13>1 - - - - - - ",
	"<13>1 - - - - - - x\ny\x00",
	"<13>1 - - - - - -x",
	"<13>1 2003-10-11T22:14:15Z h a p m - five",
	"<13>12 2003-10-11T22:14:15Z h a p m - five",
	"<13>123 2003-10-11T22:14:15Z h a p m - five",
	"<13>1234 2003-10-11T22:14:15Z h a p m - five",
	"<13>01 2003-10-11T22:14:15Z h a p m - five",
	"<13>1 2003-10-11T22:14:15.1234567Z h a p m - five",
	"<13>1 2003-13-11T22:14:15Z h a p m - five",
	"<13>1 2003-10-11T22:14:15+24:00 h a p m - five",
	"<13>1 2003-10-11T22:14:15 h a p m - five",
	"<13>1  2003-10-11T22:14:15Z h a p m - five",
	"<13>1 2003-10-11T22:14:15Z h  a p m - five",
	"<13>1 2003-10-11T22:14:15Z h a p 012345678901234567890123456789012 - five",
	"<13>1 2003-10-11T22:14:15Z h a p 01234567890123456789012345678901 - five",
	"<13>1 2003-10-11T22:14:15Z h a\xff p m - five",
	// neither
	"not syslog at all", "", "<", "<13>", "<13", "<999>", "<1>1", "<1>1 ", "13>Dec  4 05:00:00 h a: x",
}

func TestParseAsGoSyslog(t *testing.T) {
	locs := []*time.Location{time.UTC, time.FixedZone("X", 3600), time.FixedZone("Y", -5*3600)}
	for _, raw := range parseSeeds {
		for _, f := range []Format{RFC3164, RFC5424, AutoFormat} {
			for _, loc := range locs {
				sameAsGoSyslog(t, NewParser(f, loc), []byte(raw))
			}
		}
	}
}

// TestParseFast pins what the hand-written parsers give (they must take
// these, not leave them to go-syslog), and that they allocate nothing.
func TestParseFast(t *testing.T) {
	year := time.Now().Year()
	loc := time.FixedZone("X", 3600)
	for _, tc := range []struct {
		f                           Format
		raw                         string
		pri, ver                    int
		ts                          time.Time
		host, app, pid, msgid, text string
	}{
		{RFC3164, "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", 34, 0,
			time.Date(year, 10, 11, 22, 14, 15, 0, loc), "mymachine", "su", "", "", "'su root' failed for lonvick on /dev/pts/8"},
		{RFC3164, "<13>Dec  4 05:00:00 abench app[123]: seq=1 hello", 13, 0, time.Date(year, 12, 4, 5, 0, 0, 0, loc),
			"abench", "app", "123", "", "seq=1 hello"},
		{RFC3164, "<13>Dec  4 05:00:00 abench last message repeated 5 times", 13, 0, time.Date(year, 12, 4, 5, 0, 0, 0, loc),
			"abench", "", "", "", "last message repeated 5 times"},
		{AutoFormat, "<13>2024-12-04T05:00:00.123456+01:00 abench app[1]: x", 13, 0, time.Date(2024, 12, 4, 4, 0, 0, 123456000, time.UTC),
			"abench", "app", "1", "", "x"},
		{RFC3164, "<13>Feb 29 05:00:00 h a: x", 13, 0, time.Date(year, 2, 29, 5, 0, 0, 0, loc), "h", "a", "", "", "x"},
		{RFC5424, "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.", 165, 1,
			time.Date(2003, 8, 24, 12, 14, 15, 3000, time.UTC), "192.0.2.1", "myproc", "8710", "", "%% It's time to make the do-nuts."},
		{AutoFormat, "<13>1 - - - - - -", 13, 1, time.Time{}, "", "", "", "", ""},
	} {
		p := NewParser(tc.f, loc)
		var m Message
		if !p.parse3164([]byte(tc.raw), &m) && !parse5424([]byte(tc.raw), &m) {
			t.Fatalf("%q: left to go-syslog", tc.raw)
		}
		m = sameAsGoSyslog(t, p, []byte(tc.raw))
		if m.Priority != tc.pri || m.Version != tc.ver || !m.Timestamp.Equal(tc.ts) || string(m.Hostname) != tc.host ||
			string(m.Appname) != tc.app || string(m.ProcID) != tc.pid || string(m.MsgID) != tc.msgid || string(m.Text) != tc.text {
			t.Fatalf("%q: %s", tc.raw, show(m))
		}
		if stamp := tc.ver == 0 && !isDigit(tc.raw[4]); stamp && m.Timestamp.Location() != loc {
			t.Fatalf("%q: timestamp in %v, want %v", tc.raw, m.Timestamp.Location(), loc)
		}
		raw := []byte(tc.raw)
		if n := testing.AllocsPerRun(100, func() { p.Parse(raw) }); n != 0 {
			t.Fatalf("%q: %v allocations", tc.raw, n)
		}
	}
}

// FuzzParseDifferential: Parse gives what go-syslog gives, for any bytes
// in any format and time zone.
func FuzzParseDifferential(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s), uint8(0))
	}
	locs := []*time.Location{time.UTC, time.FixedZone("X", 3600), time.FixedZone("Y", -5*3600)}
	var parsers []*Parser
	for _, loc := range locs {
		for _, fm := range []Format{RFC3164, RFC5424, AutoFormat} {
			parsers = append(parsers, NewParser(fm, loc))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, which uint8) {
		sameAsGoSyslog(t, parsers[int(which)%len(parsers)], raw)
	})
}

func BenchmarkParse(b *testing.B) {
	for _, tc := range []struct {
		name string
		f    Format
		raw  string
	}{
		{"rfc3164", RFC3164, "<13>Dec  4 05:00:00 abench app[123]: seq=0000001 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
		{"rfc5424", RFC5424, "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts."},
	} {
		raw := []byte(tc.raw)
		p := NewParser(tc.f, time.UTC)
		b.Run(tc.name+"/hand", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Parse(raw)
			}
		})
		b.Run(tc.name+"/go-syslog", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.parseSlow(raw)
			}
		})
	}
}

// TestVisible: the 8-bytes-at-a-time scan finds each byte that is not
// visible wherever it is.
func TestVisible(t *testing.T) {
	for c := range 256 {
		want := (c >= ' ' && c != 0x7f) || c == '\t'
		for pos := range 17 {
			b := bytes.Repeat([]byte{'a'}, 17)
			b[pos] = byte(c)
			if got := visible(b); got != want {
				t.Fatalf("byte %#x at %d: visible %v", c, pos, got)
			}
		}
	}
}
