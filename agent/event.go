package agent

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
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

// eventTail is the part of every event of an input that follows the log
// object: input, host, agent, tags, and fields (nested, or under the root
// when fields_under_root; those are written after decoded fields).
func (in *input) eventTail() (tail, rootFields []byte, err error) {
	typ := in.cfg.Type
	if typ == "" || typ == "log" {
		typ = "filestream" // what the file input has always written
	}
	b := append([]byte(nil), `},"input":{"type":`...)
	b = appendString(b, []byte(typ))
	b = append(b, `,"id":`...)
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
	if in.cfg.FieldsUnderRoot {
		keys := make([]string, 0, len(in.cfg.Fields))
		for k := range in.cfg.Fields {
			if !fixedKeys[k] {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if rootFields, err = appendKV(rootFields, k, in.cfg.Fields[k]); err != nil {
				return nil, nil, fmt.Errorf("fields.%s: %w", k, err)
			}
		}
	}
	return b, rootFields, nil
}

// encoder writes the events of one file. It is used by one goroutine (the
// file's harvester) and reuses its buffers: encoding a line allocates
// nothing but the event's share of a slab (see slab).
type encoder struct {
	in       *input
	pathJSON []byte // ,"log":{"file":{"path":"…"},"offset":
	buf      []byte // the event being encoded
	tsMilli  int64  // the millisecond ts holds, or -1
	ts       []byte // @timestamp of tsMilli, formatted
}

func newEncoder(in *input, path string) *encoder {
	e := &encoder{in: in, tsMilli: -1}
	e.pathJSON = append(e.pathJSON, `,"log":{"file":{"path":`...)
	e.pathJSON = appendString(e.pathJSON, []byte(path))
	e.pathJSON = append(e.pathJSON, `},"offset":`...)
	return e
}

// encode returns the JSON form of m, in ECS names, in a buffer reused by
// the next call. The message is cut (and flagged truncated) if the event
// would exceed limit bytes.
func (e *encoder) encode(m *message, limit int) []byte {
	for range 4 {
		e.buf = e.appendEvent(e.buf[:0], m)
		over := len(e.buf) - limit
		if over <= 0 || len(m.text) == 0 {
			break
		}
		cut := max(len(m.text)-over-16, 0)
		for cut > 0 && !utf8.RuneStart(m.text[cut]) {
			cut--
		}
		m.text = m.text[:cut]
		m.flag("truncated")
	}
	return e.buf
}

// timestamp returns @timestamp for t, formatted once per millisecond.
func (e *encoder) timestamp(t time.Time) []byte {
	if ms := t.UnixMilli(); ms != e.tsMilli {
		e.tsMilli = ms
		e.ts = t.UTC().AppendFormat(e.ts[:0], "2006-01-02T15:04:05.000Z07:00")
	}
	return e.ts
}

func (e *encoder) appendEvent(b []byte, m *message) []byte {
	in := e.in
	b = append(b, `{"@timestamp":"`...)
	at := m.at
	if !m.ts.IsZero() {
		at = m.ts
	}
	b = append(b, e.timestamp(at)...)
	b = append(b, `","message":`...)
	b = appendString(b, m.text)
	b = append(b, e.pathJSON...)
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
	b = append(b, in.tailJSON...)
	for k, v := range m.fields {
		if fixedKeys[k] || (in.cfg.FieldsUnderRoot && in.cfg.Fields[k] != nil) {
			continue
		}
		b, _ = appendKV(b, k, v) // decoded from JSON: always encodable
	}
	b = append(b, in.rootFieldsJSON...)
	return append(b, '}')
}

func appendKV(b []byte, k string, v any) ([]byte, error) {
	var val []byte
	if p, ok := v.(preEncoded); ok {
		val = p.json
	} else {
		var err error
		if val, err = json.Marshal(v); err != nil {
			return b, err
		}
	}
	b = append(b, ',')
	b = appendString(b, []byte(k))
	b = append(b, ':')
	return append(b, val...), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. s must be valid UTF-8 (the
// harvester pipeline replaces invalid bytes before). It is not the
// indexer's appendJSONString: that one must match encoding/json byte for
// byte (HTML escapes, invalid UTF-8); this one is the agent's hot path and
// skips 8 plain bytes at a time.
func appendString(b, s []byte) []byte {
	b = append(b, '"')
	last := 0
	for i := 0; i < len(s); i++ {
		// Skip 8 bytes at a time while none needs escaping.
		for i+8 <= len(s) && !escapeIn(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
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

// escapeIn reports whether one of the 8 bytes in w is a control character
// (below 0x20), '"' or '\\'. A byte below n (n <= 0x80) is found by the
// borrow of subtracting n from it landing in its high bit while that bit
// was clear; an equal byte is a zero byte after an xor.
func escapeIn(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below := func(x uint64, n byte) uint64 { return (x - ones*uint64(n)) & ^x & highs }
	return below(w, 0x20)|below(w^(ones*'"'), 1)|below(w^(ones*'\\'), 1) != 0
}

// validText returns a copy of line with invalid UTF-8 replaced by U+FFFD.
func validText(line []byte) []byte {
	if utf8.Valid(line) {
		return append([]byte(nil), line...)
	}
	return appendValid(make([]byte, 0, len(line)+8), line)
}

// appendValid appends line to out with invalid UTF-8 replaced by U+FFFD.
func appendValid(out, line []byte) []byte {
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

// stampCache formats @timestamp values, the date and time of day once per
// second: consecutive events mostly fall in the same second.
type stampCache struct {
	sec    int64
	valid  bool
	prefix []byte // "2006-01-02T15:04:05" of sec
}

// append appends t in UTC as "2006-01-02T15:04:05.000Z".
func (c *stampCache) append(b []byte, t time.Time) []byte {
	// The Unix seconds of 0000-01-01 and 10000-01-01: a year of other
	// than 4 digits is formatted as the time package does it.
	const first, end = -62167219200, 253402300800
	t = t.UTC()
	sec := t.Unix()
	if sec < first || sec >= end {
		return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	}
	if !c.valid || sec != c.sec {
		c.sec, c.valid = sec, true
		c.prefix = t.AppendFormat(c.prefix[:0], "2006-01-02T15:04:05")
	}
	ms := t.Nanosecond() / 1e6
	return append(append(b, c.prefix...), '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}
