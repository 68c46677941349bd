package agent

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/sluicelogs/sluice/agent/syslog"
)

// appendSyslogFields appends the log.syslog object of m: what
// json.Marshal(m.Fields()) writes, keys in the same (sorted) order,
// without building the maps (a syslog input's largest cost per message
// was that map and its reflection). Strings are made valid UTF-8 first,
// as json.Marshal does; structured data, rare in RFC 5424 messages and
// absent from RFC 3164 ones, still goes through json.Marshal.
func appendSyslogFields(b []byte, m *syslog.Message) []byte {
	// Keys in sorted order; each but the first after a comma. The
	// facility and severity names are plain ASCII: no escaping.
	b = append(b, '{')
	sep := false
	b, sep = appendSyslogStr(b, sep, `"appname":`, m.Appname)
	if m.Priority >= 0 {
		b = appendSep(b, sep)
		sep = true
		b = append(b, `"facility":{"code":`...)
		b = strconv.AppendInt(b, int64(m.Priority/8), 10)
		b = append(b, `,"name":"`...)
		b = append(b, m.FacilityName()...)
		b = append(b, `"}`...)
	}
	b, sep = appendSyslogStr(b, sep, `"hostname":`, m.Hostname)
	b, sep = appendSyslogStr(b, sep, `"msgid":`, m.MsgID)
	if m.Priority >= 0 {
		b = appendSep(b, sep)
		b = append(b, `"priority":`...)
		b = strconv.AppendInt(b, int64(m.Priority), 10)
	}
	b, sep = appendSyslogStr(b, sep, `"procid":`, m.ProcID)
	if m.Priority >= 0 {
		b = appendSep(b, sep)
		b = append(b, `"severity":{"code":`...)
		b = strconv.AppendInt(b, int64(m.Priority%8), 10)
		b = append(b, `,"name":"`...)
		b = append(b, m.SeverityName()...)
		b = append(b, `"}`...)
	}
	if len(m.StructuredData) > 0 {
		b = appendSep(b, sep)
		sep = true
		b = append(b, `"structured_data":`...)
		sd, _ := json.Marshal(m.StructuredData) // maps of strings: always encodable
		b = append(b, sd...)
	}
	if m.Version > 0 {
		b = appendSep(b, sep)
		b = append(b, `"version":"`...)
		b = strconv.AppendInt(b, int64(m.Version), 10)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendSep appends the comma before a key that is not the first.
func appendSep(b []byte, sep bool) []byte {
	if sep {
		return append(b, ',')
	}
	return b
}

// appendSyslogStr appends the key (quoted, with its colon) and the string
// v unless v is empty; invalid UTF-8 in v is replaced, as json.Marshal
// does. It returns whether a key is written now.
func appendSyslogStr(b []byte, sep bool, key string, v []byte) ([]byte, bool) {
	if len(v) == 0 {
		return b, sep
	}
	b = append(appendSep(b, sep), key...)
	if utf8.Valid(v) {
		return appendString(b, v), true
	}
	return appendString(b, appendValid(nil, v)), true
}

// syslogFieldsCache keeps the log.syslog object of the last message
// without structured data: a sender's messages mostly share their
// priority, host, tag and process, so the object is written once and
// copied while they do.
type syslogFieldsCache struct {
	valid                 bool
	pri, ver              int
	host, app, pid, msgid []byte
	json                  []byte
}

// append appends the log.syslog object of m, as appendSyslogFields.
func (c *syslogFieldsCache) append(b []byte, m *syslog.Message) []byte {
	if len(m.StructuredData) > 0 {
		return appendSyslogFields(b, m)
	}
	if c.valid && c.pri == m.Priority && c.ver == m.Version && bytes.Equal(c.host, m.Hostname) &&
		bytes.Equal(c.app, m.Appname) && bytes.Equal(c.pid, m.ProcID) && bytes.Equal(c.msgid, m.MsgID) {
		return append(b, c.json...)
	}
	start := len(b)
	b = appendSyslogFields(b, m)
	c.valid, c.pri, c.ver = true, m.Priority, m.Version
	c.host, c.app = append(c.host[:0], m.Hostname...), append(c.app[:0], m.Appname...)
	c.pid, c.msgid = append(c.pid[:0], m.ProcID...), append(c.msgid[:0], m.MsgID...)
	c.json = append(c.json[:0], b[start:]...)
	return b
}
