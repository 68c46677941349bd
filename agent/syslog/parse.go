package syslog

import (
	"fmt"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/auto"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"
)

// Format is the syslog format messages are parsed as (Filebeat's format
// key).
type Format int

const (
	RFC3164 Format = iota // Filebeat's default
	RFC5424
	AutoFormat // each message by its look (a version after the priority: 5424)
)

// ParseFormat reads the format key: rfc3164 (the default), rfc5424, auto.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "rfc3164":
		return RFC3164, nil
	case "rfc5424":
		return RFC5424, nil
	case "auto":
		return AutoFormat, nil
	}
	return 0, fmt.Errorf("%q: want rfc3164, rfc5424 or auto", s)
}

// Parser parses messages of one format; it is used by one goroutine.
type Parser struct {
	format Format
	year   int            // of RFC 3164 timestamps
	loc    *time.Location // of RFC 3164 timestamps
	m      gosyslog.Machine

	lastDay      int   // month<<5 | day of the last RFC 3164 timestamp, or 0
	lastMidnight int64 // its start in Unix seconds, read as UTC

	zone zoneSpan // loc's offset over a span of instants (wallClock)
}

// NewParser makes a parser; RFC 3164 timestamps, which carry neither year
// nor zone, are given the current year and read as clock times of loc
// (Filebeat's timezone key): "Dec  4 05:00:00" with timezone
// Europe/Berlin is 04:00:00 UTC. (go-syslog's rfc3164.WithTimezone reads
// the clock time as UTC and only shows it in loc; parseSlow corrects
// that.)
func NewParser(f Format, loc *time.Location) *Parser {
	p := &Parser{format: f, year: time.Now().Year(), loc: loc}
	opts3164 := []gosyslog.MachineOption{rfc3164.WithYear(rfc3164.Year{YYYY: p.year}), rfc3164.WithTimezone(loc),
		rfc3164.WithRFC3339(), rfc3164.WithBestEffort()}
	switch f {
	case RFC5424:
		p.m = rfc5424.NewMachine(rfc5424.WithBestEffort())
	case AutoFormat:
		p.m = auto.NewMachine(auto.WithRFC3164Options(opts3164...), auto.WithRFC5424Options(rfc5424.WithBestEffort()))
	default:
		p.m = rfc3164.NewMachine(opts3164...)
	}
	return p
}

// Message is what a syslog message says, in the names of Filebeat's
// events (log.syslog.*). Optional parts are empty when absent. The byte
// slices may be parts of the parsed message: they are valid as long as
// its bytes are.
type Message struct {
	Priority       int // -1: none
	Timestamp      time.Time
	Hostname       []byte
	Appname        []byte
	ProcID         []byte
	MsgID          []byte
	Version        int // RFC 5424's; 0 for RFC 3164
	StructuredData map[string]map[string]string
	Text           []byte // the message proper
	Err            error  // set when the message did not parse: Text is then all of it
}

// Parse parses raw. A message that does not parse keeps its bytes whole
// as Text, with Err saying why (Filebeat ships it too, with an error
// field). The common shapes are read without allocating (fast.go); the
// rest by go-syslog.
func (p *Parser) Parse(raw []byte) Message {
	var m Message
	switch p.format {
	case RFC3164:
		if p.parse3164(raw, &m) {
			return m
		}
	case RFC5424:
		if parse5424(raw, &m) {
			return m
		}
	case AutoFormat:
		// As go-syslog's auto.detect: a version (1 to 3 digits, then a
		// space) after the priority is RFC 5424, a letter or a year RFC
		// 3164; the parsers take nothing else.
		if parse5424(raw, &m) || p.parse3164(raw, &m) {
			return m
		}
	}
	return p.parseSlow(raw)
}

// parseSlow parses raw with go-syslog.
func (p *Parser) parseSlow(raw []byte) Message {
	m, err := p.m.Parse(raw)
	out := Message{Priority: -1}
	if m == nil {
		out.Text, out.Err = raw, errOr(err)
		return out
	}
	var base *gosyslog.Base
	switch v := m.(type) {
	case *rfc3164.SyslogMessage:
		base = &v.Base
	case *rfc5424.SyslogMessage:
		base = &v.Base
		out.Version = int(v.Version)
		if v.StructuredData != nil && len(*v.StructuredData) > 0 {
			out.StructuredData = *v.StructuredData
		}
	default:
		out.Text, out.Err = raw, fmt.Errorf("syslog: a message of type %T", m)
		return out
	}
	if base.Priority != nil {
		out.Priority = int(*base.Priority)
	}
	if base.Timestamp != nil {
		out.Timestamp = *base.Timestamp
		if _, rest, ok := parsePri(raw); ok && out.Version == 0 && len(rest) > 0 && rest[0] >= 'A' && rest[0] <= 'Z' {
			// An RFC 3164 "Mmm dd hh:mm:ss", read by go-syslog as UTC.
			out.Timestamp = p.wallClock(out.Timestamp)
		}
	}
	out.Hostname = bytesOf(base.Hostname)
	out.Appname = bytesOf(base.Appname)
	out.ProcID = bytesOf(base.ProcID)
	out.MsgID = bytesOf(base.MsgID)
	out.Text = bytesOf(base.Message)
	if err != nil {
		// Best effort: what parsed is kept, the rest of the line is lost
		// to the parser, so the message keeps the whole line.
		out.Text, out.Err = raw, err
	}
	return out
}

func errOr(err error) error {
	if err == nil {
		return fmt.Errorf("syslog: not a syslog message")
	}
	return err
}

func bytesOf(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

var facilities = [...]string{"kernel", "user-level", "mail", "system", "security/authorization", "syslogd",
	"line printer", "network news", "UUCP", "clock", "security/authorization", "FTP", "NTP", "log audit",
	"log alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

var severities = [...]string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// Fields returns the log.syslog object of the message, as Filebeat's
// syslog input names its keys (nil values left out).
func (m *Message) Fields() map[string]any {
	f := map[string]any{}
	if m.Priority >= 0 {
		fac, sev := m.Priority/8, m.Priority%8
		f["priority"] = m.Priority
		f["facility"] = map[string]any{"code": fac, "name": m.FacilityName()}
		f["severity"] = map[string]any{"code": sev, "name": m.SeverityName()}
	}
	for k, v := range map[string][]byte{"hostname": m.Hostname, "appname": m.Appname, "procid": m.ProcID, "msgid": m.MsgID} {
		if len(v) > 0 {
			f[k] = string(v)
		}
	}
	if m.Version > 0 {
		f["version"] = fmt.Sprint(m.Version)
	}
	if len(m.StructuredData) > 0 {
		f["structured_data"] = m.StructuredData
	}
	return f
}

// FacilityName is the name of the message's facility (Priority/8); a
// facility past local7 is named local7. It needs a Priority of 0 or more.
func (m *Message) FacilityName() string { return facilities[min(m.Priority/8, len(facilities)-1)] }

// SeverityName is the name of the message's severity (Priority%8). It
// needs a Priority of 0 or more.
func (m *Message) SeverityName() string { return severities[m.Priority%8] }
