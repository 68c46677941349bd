package syslog

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// FuzzFramer: any stream is cut into messages no longer than the maximum
// (an octet count allocates at most that), or ends with an error; it never
// panics or loops.
func FuzzFramer(f *testing.F) {
	for _, s := range []string{"5 <13>a6 <13>bc", "<13>a\n<13>b\r\n", "999999999 x", "1 \n\n\n", "12x", "0 0 0 "} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		const max = 64
		fr := NewFramer(bytes.NewReader(in), Framing(mode%3), '\n', max)
		for range len(in) + 1 {
			msg, _, err := fr.Next()
			if err != nil {
				return
			}
			if len(msg) > max || len(msg) == 0 {
				t.Fatalf("a message of %d bytes", len(msg))
			}
		}
		if _, _, err := fr.Next(); err != io.EOF && err != nil {
			return
		}
	})
}

// FuzzParse: go-syslog's machines take any bytes; a message that does not
// parse keeps them whole.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"<34>Oct 11 22:14:15 mymachine su[230]: x", `<165>1 2003-10-11T22:14:15.003Z h a - ID47 [a@1 b="c"] m`, "<999>", "<1>1 - - - - - -", ""} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, raw []byte, format uint8) {
		m := NewParser(Format(format%3), time.UTC).Parse(raw)
		if m.Err != nil && string(m.Text) != string(raw) {
			t.Fatalf("a message that did not parse lost bytes: %q of %q", m.Text, raw)
		}
		if m.Priority > 191 {
			t.Fatalf("priority %d", m.Priority)
		}
		_ = m.Fields()
	})
}
