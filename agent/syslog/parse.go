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
	m gosyslog.Machine
}

// NewParser makes a parser; RFC 3164 timestamps, which carry neither year
// nor zone, are read in loc (Filebeat's timezone key) and the current
// year.
func NewParser(f Format, loc *time.Location) *Parser {
	opts3164 := []gosyslog.MachineOption{rfc3164.WithYear(rfc3164.CurrentYear{}), rfc3164.WithTimezone(loc),
		rfc3164.WithRFC3339(), rfc3164.WithBestEffort()}
	switch f {
	case RFC5424:
		return &Parser{m: rfc5424.NewMachine(rfc5424.WithBestEffort())}
	case AutoFormat:
		return &Parser{m: auto.NewMachine(auto.WithRFC3164Options(opts3164...), auto.WithRFC5424Options(rfc5424.WithBestEffort()))}
	}
	return &Parser{m: rfc3164.NewMachine(opts3164...)}
}

// Message is what a syslog message says, in the names of Filebeat's
// events (log.syslog.*). Optional parts are zero when absent.
type Message struct {
	Priority       int // -1: none
	Timestamp      time.Time
	Hostname       string
	Appname        string
	ProcID         string
	MsgID          string
	Version        int // RFC 5424's; 0 for RFC 3164
	StructuredData map[string]map[string]string
	Text           string // the message proper
	Err            error  // set when the message did not parse: Text is then all of it
}

// Parse parses raw. A message that does not parse keeps its bytes whole
// as Text, with Err saying why (Filebeat ships it too, with an error
// field).
func (p *Parser) Parse(raw []byte) Message {
	m, err := p.m.Parse(raw)
	out := Message{Priority: -1}
	if m == nil {
		out.Text, out.Err = string(raw), errOr(err)
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
		out.Text, out.Err = string(raw), fmt.Errorf("syslog: a message of type %T", m)
		return out
	}
	if base.Priority != nil {
		out.Priority = int(*base.Priority)
	}
	if base.Timestamp != nil {
		out.Timestamp = *base.Timestamp
	}
	out.Hostname = deref(base.Hostname)
	out.Appname = deref(base.Appname)
	out.ProcID = deref(base.ProcID)
	out.MsgID = deref(base.MsgID)
	out.Text = deref(base.Message)
	if err != nil {
		// Best effort: what parsed is kept, the rest of the line is lost
		// to the parser, so the message keeps the whole line.
		out.Text, out.Err = string(raw), err
	}
	return out
}

func errOr(err error) error {
	if err == nil {
		return fmt.Errorf("syslog: not a syslog message")
	}
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
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
	for k, v := range map[string]string{"hostname": m.Hostname, "appname": m.Appname, "procid": m.ProcID, "msgid": m.MsgID} {
		if v != "" {
			f[k] = v
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
