package syslog

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin whatever the machine has
)

// TestTimezoneReadsClockTime: an RFC 3164 timestamp is a clock time of
// the timezone key's location (as Filebeat reads it), by the hand-written
// parser and by go-syslog alike, on both sides of a change of offset; an
// RFC 3339 timestamp keeps its own offset.
func TestTimezoneReadsClockTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	year := time.Now().Year()
	p := NewParser(AutoFormat, berlin)
	for _, tc := range []struct {
		stamp string
		want  time.Time
	}{
		{"Jan 15 12:00:00", time.Date(year, 1, 15, 11, 0, 0, 0, time.UTC)}, // CET, +1
		{"Jul 15 12:00:00", time.Date(year, 7, 15, 10, 0, 0, 0, time.UTC)}, // CEST, +2
		{"Jan 16 12:00:00", time.Date(year, 1, 16, 11, 0, 0, 0, time.UTC)}, // back in CET: the cached span is left
		{"Jan 16 13:30:00", time.Date(year, 1, 16, 12, 30, 0, 0, time.UTC)},
		{"2024-07-15T12:00:00Z", time.Date(2024, 7, 15, 12, 0, 0, 0, time.UTC)},
	} {
		for _, form := range []string{"<13>%s host app[1]: x", "<13>%s  host  app[1]: x"} { // the second goes to go-syslog
			raw := []byte(fmt.Sprintf(form, tc.stamp))
			m := p.Parse(raw)
			if m.Err != nil || !m.Timestamp.Equal(tc.want) {
				t.Fatalf("%q in Europe/Berlin: %v (%v), want %v", raw, m.Timestamp.UTC(), m.Err, tc.want)
			}
			if slow := p.parseSlow(raw); !slow.Timestamp.Equal(tc.want) {
				t.Fatalf("%q by go-syslog in Europe/Berlin: %v, want %v", raw, slow.Timestamp.UTC(), tc.want)
			}
		}
	}
	raw := []byte("<13>Jul 15 12:00:00 host app[1]: x")
	if n := testing.AllocsPerRun(100, func() { p.Parse(raw) }); n != 0 {
		t.Fatalf("%v allocations with a location of its own", n)
	}
}
