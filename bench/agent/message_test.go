package agent

import (
	"strings"
	"testing"
)

func TestSyslogMessage(t *testing.T) {
	f := File{Size: 100, Lines: 1}
	m := string(SyslogMessage(nil, 42, f))
	if len(m) != f.Size-1 || !strings.HasPrefix(m, "<13>Dec  4 05:00:00 abench app[123]: seq=42 ") || strings.ContainsAny(m, "\n\x00") {
		t.Errorf("message %q (%d bytes)", m, len(m))
	}
	if a, b := SyslogMessage(nil, 7, f), SyslogMessage(nil, 7, f); string(a) != string(b) {
		t.Errorf("message 7 differs between calls: %q, %q", a, b)
	}
	if m := SyslogMessage(nil, 1234567, File{Size: minSyslogSize}); len(m) != minSyslogSize-1 {
		t.Errorf("the smallest message %q is %d bytes, want %d", m, len(m), minSyslogSize-1)
	}
}

func TestAppendJournalEntry(t *testing.T) {
	f := File{Size: 100, Lines: 1}
	e := string(AppendJournalEntry(nil, 3, f))
	if !strings.HasSuffix(e, "\n\n") || strings.Count(e, "\n\n") != 1 {
		t.Fatalf("entry %q: want one entry ended by an empty line", e)
	}
	var msg string
	for _, l := range strings.Split(strings.TrimSuffix(e, "\n\n"), "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" || strings.ToUpper(k) != k {
			t.Errorf("line %q is not FIELD=value", l)
		}
		if k == "MESSAGE" {
			msg = v
		}
	}
	if len(msg) != f.Size-1 || !strings.HasPrefix(msg, "seq=3 ") {
		t.Errorf("MESSAGE %q (%d bytes)", msg, len(msg))
	}
	// Times grow with n (same length here, so as text too).
	t3, _, _ := strings.Cut(e, "\n")
	t4, _, _ := strings.Cut(string(AppendJournalEntry(nil, 4, f)), "\n")
	if !strings.HasPrefix(t3, "__REALTIME_TIMESTAMP=") || len(t4) != len(t3) || t4 <= t3 {
		t.Errorf("entry 3 at %q, entry 4 at %q", t3, t4)
	}
}
