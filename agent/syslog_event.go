package agent

import (
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
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":`...)
	}
	str := func(k string, v []byte) {
		if len(v) > 0 {
			key(k)
			if utf8.Valid(v) {
				b = appendString(b, v)
			} else {
				b = appendString(b, appendValid(nil, v))
			}
		}
	}
	codeName := func(k string, code int, name string) {
		key(k)
		b = append(b, `{"code":`...)
		b = strconv.AppendInt(b, int64(code), 10)
		b = append(b, `,"name":`...)
		b = appendString(b, []byte(name))
		b = append(b, '}')
	}
	str("appname", m.Appname)
	if m.Priority >= 0 {
		codeName("facility", m.Priority/8, m.FacilityName())
	}
	str("hostname", m.Hostname)
	str("msgid", m.MsgID)
	if m.Priority >= 0 {
		key("priority")
		b = strconv.AppendInt(b, int64(m.Priority), 10)
	}
	str("procid", m.ProcID)
	if m.Priority >= 0 {
		codeName("severity", m.Priority%8, m.SeverityName())
	}
	if len(m.StructuredData) > 0 {
		key("structured_data")
		sd, _ := json.Marshal(m.StructuredData) // maps of strings: always encodable
		b = append(b, sd...)
	}
	if m.Version > 0 {
		key("version")
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(m.Version), 10)
		b = append(b, '"')
	}
	return append(b, '}')
}
