package syslog

import (
	"bytes"
	"encoding/binary"
	"time"
)

// The parsers here read the common shapes of RFC 3164 and RFC 5424
// messages by hand, without allocating: the fields are slices of the
// message and the timestamp is read digit by digit. They exist because
// go-syslog's machines (not one of the project's chosen libraries, and
// kept as the fallback) were 27 % of the syslog input's CPU, with a
// string per field and time.Parse per message.
//
// They accept only messages whose go-syslog result is beyond doubt: every
// separator a single space, every field within go-syslog's character set
// and length limits, no structured data. Anything else (extra spaces,
// a tag-less line whose first word could be read two ways, control
// characters, structured data, a bad date) returns false and the message
// goes to go-syslog, so results never differ from go-syslog's (the
// differential fuzz target FuzzParseDifferential holds them to that;
// the one documented difference is the location of an RFC 3339
// timestamp, not its instant).

// parsePri reads "<PRI>" as go-syslog's grammar takes it: 0, or 1 to 191
// without leading zeros. It returns the priority and the bytes after '>'.
func parsePri(raw []byte) (int, []byte, bool) {
	if len(raw) < 3 || raw[0] != '<' {
		return 0, nil, false
	}
	v, i := 0, 1
	for ; i < len(raw) && i <= 4 && isDigit(raw[i]); i++ {
		v = v*10 + int(raw[i]-'0')
	}
	n := i - 1
	if n == 0 || n > 3 || i >= len(raw) || raw[i] != '>' || (n > 1 && raw[1] == '0') || v > 191 {
		return 0, nil, false
	}
	return v, raw[i+1:], true
}

// parse3164 reads "<PRI>TIMESTAMP HOST TAG[PID]: MSG" (the PID, or all of
// "TAG[PID]: ", may be missing), TIMESTAMP being "Mmm dd hh:mm:ss" or
// RFC 3339 (as rsyslog's forwarding formats write it).
func (p *Parser) parse3164(raw []byte, m *Message) bool {
	pri, rest, ok := parsePri(raw)
	if !ok {
		return false
	}
	var ts time.Time
	var n int
	if len(rest) > 4 && isDigit(rest[0]) {
		ts, n, ok = parseRFC3339(rest)
	} else {
		ts, ok = p.parseStamp(rest)
		n = len(time.Stamp)
	}
	if !ok || len(rest) <= n || rest[n] != ' ' {
		return false
	}
	host, rest, ok := word(rest[n+1:], 255)
	if !ok || !graphic(host, ':', '[', ']') || isNil(host) || !visible(rest) || len(rest) == 0 || rest[0] == ' ' {
		return false
	}
	// The tag: the word up to '[' or ':'; a word ending at a space is no
	// tag but the message's first word.
	j := 0
	for j < len(rest) && rest[j] != ' ' && rest[j] != ':' && rest[j] != '[' {
		j++
	}
	if j == len(rest) {
		j = -1
	}
	if j < 0 {
		return false // one word: go-syslog reads it as the message, not the host's
	}
	var tag, pid []byte
	text := rest
	if rest[j] != ' ' {
		tag = rest[:j]
		after := rest[j:]
		if rest[j] == '[' {
			k := bytes.IndexByte(after, ']')
			if k < 0 {
				return false
			}
			pid, after = after[1:k], after[k+1:]
			if !graphic(pid, '[', ']', ']') || isNil(pid) {
				return false
			}
		}
		if len(after) < 3 || after[0] != ':' || after[1] != ' ' || after[2] == ' ' {
			return false
		}
		text = after[2:]
	} else if bytes.IndexByte(rest[:j], ']') >= 0 {
		return false
	}
	if tag != nil && (len(tag) == 0 || len(tag) > 48 || !graphic(tag, ']', ']', ']') || isNil(tag)) {
		return false
	}
	*m = Message{Priority: pri, Timestamp: ts, Hostname: host, Appname: tag, ProcID: pid, Text: text}
	return true
}

// parse5424 reads "<PRI>VERSION TIMESTAMP HOST APP PROCID MSGID - MSG":
// RFC 5424 without structured data.
func parse5424(raw []byte, m *Message) bool {
	pri, rest, ok := parsePri(raw)
	if !ok {
		return false
	}
	ver := 0
	i := 0
	for ; i < len(rest) && i < 3 && isDigit(rest[i]); i++ {
		ver = ver*10 + int(rest[i]-'0')
	}
	if i == 0 || rest[0] == '0' || len(rest) <= i || rest[i] != ' ' {
		return false
	}
	rest = rest[i+1:]
	var ts time.Time
	if len(rest) > 0 && rest[0] == '-' {
		rest = rest[1:]
	} else {
		var n int
		if ts, n, ok = parseRFC3339(rest); !ok {
			return false
		}
		rest = rest[n:]
	}
	if len(rest) == 0 || rest[0] != ' ' {
		return false
	}
	var fields [4][]byte // HOSTNAME, APP-NAME, PROCID, MSGID, each ended by a space
	rest = rest[1:]
	for k, max := range [4]int{255, 48, 128, 32} {
		if fields[k], rest, ok = word(rest, max); !ok || !graphic(fields[k], ' ', ' ', ' ') {
			return false
		}
		if isNil(fields[k]) {
			fields[k] = nil
		}
	}
	if len(rest) == 0 || rest[0] != '-' {
		return false // structured data: go-syslog reads it into its maps
	}
	var text []byte
	if rest = rest[1:]; len(rest) > 0 {
		if rest[0] != ' ' {
			return false
		}
		text = rest[1:]
	}
	*m = Message{Priority: pri, Timestamp: ts, Version: ver, Hostname: fields[0], Appname: fields[1], ProcID: fields[2],
		MsgID: fields[3], Text: text}
	return true
}

// word returns the bytes up to the next space (1 to max of them) and what
// follows that space.
func word(b []byte, max int) (w, rest []byte, ok bool) {
	i := bytes.IndexByte(b, ' ')
	if i <= 0 || i > max {
		return nil, nil, false
	}
	return b[:i], b[i+1:], true
}

func isNil(b []byte) bool { return len(b) == 1 && b[0] == '-' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// graphic reports whether b is printable US-ASCII without spaces and
// without the bytes x, y and z.
func graphic(b []byte, x, y, z byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == x || c == y || c == z {
			return false
		}
	}
	return true
}

// visible reports whether b holds no control characters but tabs (what
// go-syslog's RFC 3164 message takes, a newline ending it). It looks at 8
// bytes at a time while none is below 0x20 or 0x7f.
func visible(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		del := x ^ (0x7f * ones)
		if ((x-0x20*ones)&^x|(del-ones)&^del)&highs != 0 {
			break // a byte below 0x20 or 0x7f: look byte by byte
		}
		b = b[8:]
	}
	for _, c := range b {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// monthOf returns the number of the month named by b's first 3 bytes,
// or 0.
func monthOf(b []byte) int {
	switch string(b[:3]) {
	case "Jan":
		return 1
	case "Feb":
		return 2
	case "Mar":
		return 3
	case "Apr":
		return 4
	case "May":
		return 5
	case "Jun":
		return 6
	case "Jul":
		return 7
	case "Aug":
		return 8
	case "Sep":
		return 9
	case "Oct":
		return 10
	case "Nov":
		return 11
	case "Dec":
		return 12
	}
	return 0
}

// daysIn is the longest each month can be (February of a leap year: a
// Stamp timestamp is read in year 0, a leap year, by go-syslog).
var daysIn = [...]int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// parseStamp reads "Mmm dd hh:mm:ss" (dd: a space and one digit, or two
// digits not starting with 0) as go-syslog does, in the parser's year (a
// February 29 of a year without one becomes March 1), as a clock time of
// the parser's location (wallClock).
func (p *Parser) parseStamp(b []byte) (time.Time, bool) {
	if len(b) < len(time.Stamp) || b[3] != ' ' || b[6] != ' ' {
		return time.Time{}, false
	}
	month := monthOf(b)
	var day int
	switch {
	case b[4] == ' ' && b[5] >= '1' && b[5] <= '9':
		day = int(b[5] - '0')
	case b[4] >= '1' && b[4] <= '3' && isDigit(b[5]):
		day = int(b[4]-'0')*10 + int(b[5]-'0')
	}
	if month == 0 || day == 0 || day > daysIn[month-1] {
		return time.Time{}, false
	}
	h, mi, s, ok := parseClock(b[7:15])
	if !ok {
		return time.Time{}, false
	}
	if md := month<<5 | day; md != p.lastDay {
		// time.Date once per day seen: messages mostly come in order.
		p.lastDay, p.lastMidnight = md, time.Date(p.year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Unix()
	}
	return p.wallClock(time.Unix(p.lastMidnight+int64(h*3600+mi*60+s), 0)), true
}

// parseClock reads "hh:mm:ss" (hours to 23, seconds to 59).
func parseClock(b []byte) (h, m, s int, ok bool) {
	if b[2] != ':' || b[5] != ':' {
		return 0, 0, 0, false
	}
	h, ok1 := two(b[0:2])
	m, ok2 := two(b[3:5])
	s, ok3 := two(b[6:8])
	return h, m, s, ok1 && ok2 && ok3 && h < 24 && m < 60 && s < 60
}

func two(b []byte) (int, bool) {
	if !isDigit(b[0]) || !isDigit(b[1]) {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// parseRFC3339 reads "YYYY-MM-DDThh:mm:ss[.f{1,6}](Z|±hh:mm)", the
// timestamp go-syslog takes in both formats, and returns its instant (in
// UTC: the zone's name is not kept) and its length.
func parseRFC3339(b []byte) (time.Time, int, bool) {
	const minLen = len("2006-01-02T15:04:05Z")
	if len(b) < minLen || b[4] != '-' || b[7] != '-' || b[10] != 'T' {
		return time.Time{}, 0, false
	}
	y1, ok1 := two(b[0:2])
	y2, ok2 := two(b[2:4])
	mo, ok3 := two(b[5:7])
	d, ok4 := two(b[8:10])
	h, mi, s, ok5 := parseClock(b[11:19])
	year := y1*100 + y2
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || mo < 1 || mo > 12 || d < 1 || d > daysOf(year, mo) {
		return time.Time{}, 0, false
	}
	i, ns := 19, 0
	if b[i] == '.' {
		i++
		digits := 0
		for ; i < len(b) && isDigit(b[i]) && digits < 6; i++ {
			ns = ns*10 + int(b[i]-'0')
			digits++
		}
		if digits == 0 || (i < len(b) && isDigit(b[i])) {
			return time.Time{}, 0, false
		}
		for range 9 - digits {
			ns *= 10
		}
	}
	if i >= len(b) {
		return time.Time{}, 0, false
	}
	off := 0
	switch b[i] {
	case 'Z':
		i++
	case '+', '-':
		if len(b) < i+6 || b[i+3] != ':' {
			return time.Time{}, 0, false
		}
		oh, okh := two(b[i+1 : i+3])
		om, okm := two(b[i+4 : i+6])
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, 0, false
		}
		off = (oh*60 + om) * 60
		if b[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return time.Time{}, 0, false
	}
	t := time.Date(year, time.Month(mo), d, h, mi, s, ns, time.UTC).Add(-time.Duration(off) * time.Second)
	return t, i, true
}

func daysOf(year, month int) int {
	if month == 2 && !(year%4 == 0 && (year%100 != 0 || year%400 == 0)) {
		return 28
	}
	return daysIn[month-1]
}
