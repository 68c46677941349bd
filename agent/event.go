package agent

import (
	"encoding/json"
	"strconv"

	"unicode/utf8"
)

// meta is what every event of an agent carries.
type meta struct {
	hostName, agentName, agentID, version string
}

// recordOverhead is room left in max_message_bytes for the record's own
// framing (key, headers, lengths).
const recordOverhead = 512

// fixedKeys are the top-level keys the agent itself writes; decoded and
// root fields with these names are not written a second time.
var fixedKeys = map[string]bool{"@timestamp": true, "message": true, "log": true, "input": true, "host": true, "agent": true, "tags": true}

// encodeEvent appends the JSON form of m, in ECS names, to buf. The message
// is cut (and flagged truncated) if the event would exceed limit bytes.
func (in *input) encodeEvent(buf []byte, m *message, path string, limit int) []byte {
	start := len(buf)
	for range 4 {
		buf = in.appendEvent(buf[:start], m, path)
		over := len(buf) - start - limit
		if over <= 0 || len(m.text) == 0 {
			return buf
		}
		cut := max(len(m.text)-over-16, 0)
		for cut > 0 && !utf8.RuneStart(m.text[cut]) {
			cut--
		}
		m.text = m.text[:cut]
		m.flag("truncated")
	}
	return buf
}

func (in *input) appendEvent(b []byte, m *message, path string) []byte {
	b = append(b, `{"@timestamp":"`...)
	b = m.at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, `","message":`...)
	b = appendString(b, m.text)
	b = append(b, `,"log":{"file":{"path":`...)
	b = appendString(b, []byte(path))
	b = append(b, `},"offset":`...)
	b = strconv.AppendInt(b, m.offset, 10)
	if len(m.flags) > 0 {
		b = append(b, `,"flags":[`...)
		for i, f := range m.flags {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, []byte(f))
		}
		b = append(b, ']')
	}
	b = append(b, `},"input":{"type":"filestream","id":`...)
	b = appendString(b, []byte(in.cfg.ID))
	b = append(b, `},"host":{"name":`...)
	b = appendString(b, []byte(in.meta.hostName))
	b = append(b, `},"agent":{"name":`...)
	b = appendString(b, []byte(in.meta.agentName))
	b = append(b, `,"type":"sluice-agent","version":`...)
	b = appendString(b, []byte(in.meta.version))
	b = append(b, `,"id":`...)
	b = appendString(b, []byte(in.meta.agentID))
	b = append(b, '}')
	if len(in.cfg.Tags) > 0 {
		b = append(b, in.tagsJSON...)
	}
	if len(in.cfg.Fields) > 0 && !in.cfg.FieldsUnderRoot {
		b = append(b, `,"fields":`...)
		b = append(b, in.fieldsJSON...)
	}
	for k, v := range m.fields {
		if fixedKeys[k] || (in.cfg.FieldsUnderRoot && in.cfg.Fields[k] != nil) {
			continue
		}
		b = appendKV(b, k, v)
	}
	if in.cfg.FieldsUnderRoot {
		for k, v := range in.cfg.Fields {
			if !fixedKeys[k] {
				b = appendKV(b, k, v)
			}
		}
	}
	return append(b, '}')
}

func appendKV(b []byte, k string, v any) []byte {
	val, err := json.Marshal(v)
	if err != nil {
		return b
	}
	b = append(b, ',')
	b = appendString(b, []byte(k))
	b = append(b, ':')
	return append(b, val...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. s must be valid UTF-8 (the
// harvester pipeline replaces invalid bytes before).
func appendString(b, s []byte) []byte {
	b = append(b, '"')
	last := 0
	for i, c := range s {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[last:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		last = i + 1
	}
	b = append(b, s[last:]...)
	return append(b, '"')
}

// validText returns a copy of line with invalid UTF-8 replaced by U+FFFD.
func validText(line []byte) []byte {
	if utf8.Valid(line) {
		return append([]byte(nil), line...)
	}
	out := make([]byte, 0, len(line)+8)
	for len(line) > 0 {
		r, size := utf8.DecodeRune(line)
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, line[:size]...)
		}
		line = line[size:]
	}
	return out
}
