package syslog

import (
	"math"
	"time"
)

// zoneSpan is a location's offset over the instants [start, end): within
// it a clock time converts to an instant by subtracting off, without
// time.Date's zone lookup per message.
type zoneSpan struct {
	ok         bool
	off        int64
	start, end int64 // Unix seconds
}

// wallClock takes u's clock time read as UTC (as go-syslog and parseStamp
// read a zone-less RFC 3164 timestamp) and returns the instant that clock
// time is in the parser's location. A clock time that occurs twice (when
// clocks go back) is one of the two; one skipped (when they go forward)
// is normalized as time.Date does.
func (p *Parser) wallClock(u time.Time) time.Time {
	if p.loc == nil || p.loc == time.UTC {
		return u.UTC()
	}
	wall, ns := u.Unix(), int64(u.Nanosecond())
	if z := p.zone; z.ok {
		if at := wall - z.off; at >= z.start && at < z.end {
			return time.Unix(at, ns).In(p.loc)
		}
	}
	u = u.UTC()
	t := time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), u.Second(), int(ns), p.loc)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	p.zone = zoneSpan{ok: true, off: int64(off), start: math.MinInt64, end: math.MaxInt64}
	if !start.IsZero() {
		p.zone.start = start.Unix()
	}
	if !end.IsZero() {
		p.zone.end = end.Unix()
	}
	return t
}
