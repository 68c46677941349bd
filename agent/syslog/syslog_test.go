package syslog

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func frames(t *testing.T, in string, f Framing, max int) (msgs []string, cut []bool, err error) {
	t.Helper()
	fr := NewFramer(strings.NewReader(in), f, '\n', max)
	for {
		m, c, err := fr.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return msgs, cut, err
		}
		msgs = append(msgs, string(m))
		cut = append(cut, c)
	}
}

func TestFramer(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		framing  Framing
		max      int
		want     []string
		cut      []bool
		err      error
	}{
		{"lines", "<13>a\n<13>b\r\n\n<13>c", Auto, 100, []string{"<13>a", "<13>b", "<13>c"}, []bool{false, false, false}, nil},
		{"octets", "5 <13>a6 <13>bc", Auto, 100, []string{"<13>a", "<13>bc"}, []bool{false, false}, nil},
		{"mixed", "5 <13>a<13>b\n7 <13>c\nd", Auto, 100, []string{"<13>a", "<13>b", "<13>c\nd"}, []bool{false, false, false}, nil},
		{"long line cut", "<13>abcdefgh\n<13>x\n", Delimiter, 6, []string{"<13>ab", "<13>x"}, []bool{true, false}, nil},
		{"long count cut", "12 <13>abcdefgh4 <13>", Auto, 6, []string{"<13>ab", "<13>"}, []bool{true, false}, nil},
		{"count cut short", "9 <13>a", Auto, 100, nil, nil, io.ErrUnexpectedEOF},
		{"count not a number", "12x <13>", OctetCounting, 100, nil, nil, ErrFraming},
		{"count too long", "1234567890 x", Auto, 100, nil, nil, ErrFraming},
		{"delimiter takes digits", "1 2\n", Delimiter, 100, []string{"1 2"}, []bool{false}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cut, err := frames(t, tc.in, tc.framing, tc.max)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(cut) != len(tc.cut) {
				t.Fatalf("messages %q, want %q", got, tc.want)
			}
			for i := range cut {
				if cut[i] != tc.cut[i] {
					t.Fatalf("message %d truncated %v, want %v", i, cut[i], tc.cut[i])
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	utc := time.UTC
	year := time.Now().Year()
	m := NewParser(RFC3164, utc).Parse([]byte("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8"))
	if m.Err != nil || m.Priority != 34 || string(m.Hostname) != "mymachine" || string(m.Appname) != "su" || string(m.ProcID) != "230" ||
		string(m.Text) != "'su root' failed for lonvick on /dev/pts/8" || !m.Timestamp.Equal(time.Date(year, 10, 11, 22, 14, 15, 0, utc)) {
		t.Fatalf("rfc3164: %+v", m)
	}
	f := m.Fields()
	if f["facility"].(map[string]any)["code"] != 4 || f["severity"].(map[string]any)["name"] != "Critical" {
		t.Fatalf("rfc3164 fields: %v", f)
	}

	m = NewParser(RFC5424, utc).Parse([]byte(`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event`))
	if m.Err != nil || m.Priority != 165 || m.Version != 1 || string(m.Appname) != "evntslog" || len(m.ProcID) != 0 || string(m.MsgID) != "ID47" ||
		m.StructuredData["exampleSDID@32473"]["eventSource"] != "Application" || string(m.Text) != "An application event" ||
		!m.Timestamp.Equal(time.Date(2003, 10, 11, 22, 14, 15, 3e6, utc)) {
		t.Fatalf("rfc5424: %+v", m)
	}

	auto := NewParser(AutoFormat, utc)
	if m := auto.Parse([]byte(`<13>1 2003-10-11T22:14:15Z h a p m - five`)); m.Version != 1 || string(m.Text) != "five" {
		t.Fatalf("auto, 5424: %+v", m)
	}
	if m := auto.Parse([]byte(`<13>Oct 11 22:14:15 h a: three`)); m.Version != 0 || string(m.Text) != "three" || string(m.Appname) != "a" {
		t.Fatalf("auto, 3164: %+v", m)
	}

	raw := "not syslog at all"
	if m := NewParser(RFC5424, utc).Parse([]byte(raw)); m.Err == nil || string(m.Text) != raw || m.Priority != -1 {
		t.Fatalf("garbage: %+v", m)
	}
}
