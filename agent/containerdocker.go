package agent

import (
	"bytes"
	"time"
	"unicode/utf8"
)

// decodeDockerFast decodes the line Docker's json-file driver writes — a
// flat object of string values — without encoding/json, which costs ten
// times the rest of a line's way to the broker. It gives up (ok false)
// on anything else: values that are not strings (attrs), keys that
// encoding/json would match without regard to case, escapes in a key,
// surrogate escapes, invalid UTF-8, control bytes, text after the object.
// The caller then decodes with encoding/json, so the result is the same
// (FuzzDockerFast checks it).
//
// The log's text is unescaped in place, at the start of line: it is never
// longer than its escaped form and is written behind the scan, so line is
// not read again where it was written. r.text shares line's bytes.
func decodeDockerFast(line []byte, r *containerRecord) (ok bool) {
	var (
		i                = skipSpace(line, 0)
		logStart, logEnd = -1, -1
		stream           string
		t                time.Time
	)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return false // no log: let encoding/json say so
	}
	for {
		key, next, esc := scanString(line, i)
		if next < 0 || esc {
			return false
		}
		i = skipSpace(line, next)
		if i >= len(line) || line[i] != ':' {
			return false
		}
		i = skipSpace(line, i+1)
		val, next, esc := scanString(line, i)
		if next < 0 {
			return false
		}
		switch string(key) {
		case "log":
			logStart, logEnd = i+1, next-1
		case "stream":
			if esc || len(val) == 0 || len(val) > maxStreamName {
				return false
			}
			stream = streamOf(val)
		case "time":
			if esc || t.UnmarshalText(val) != nil {
				return false
			}
		default:
			if bytes.EqualFold(key, []byte("log")) || bytes.EqualFold(key, []byte("stream")) || bytes.EqualFold(key, []byte("time")) {
				return false
			}
		}
		i = skipSpace(line, next)
		if i < len(line) && line[i] == ',' {
			i = skipSpace(line, i+1)
			continue
		}
		if i < len(line) && line[i] == '}' && skipSpace(line, i+1) == len(line) {
			break
		}
		return false
	}
	if logStart < 0 || stream == "" {
		return false
	}
	// The whole line is read: the log's text can go to its start.
	log := unescapeInto(line[:0], line[logStart:logEnd])
	r.partial = true
	if n := len(log); n > 0 && log[n-1] == '\n' {
		log, r.partial = log[:n-1], false
	}
	r.text, r.stream, r.time = log, stream, t
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString scans the JSON string at b[i:] and returns its contents
// (escapes left as they are), the index after its closing quote (-1: not
// a string this decoder takes) and whether it holds escapes. Its bytes
// must be valid UTF-8 with no control bytes, its escapes valid and none
// a surrogate (encoding/json has rules of its own for those): so
// unescapeInto takes every string it takes.
func scanString(b []byte, i int) (s []byte, next int, esc bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, -1, false
	}
	start := i + 1
	ascii := true
	for j := start; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(b[start:j]) {
				return nil, -1, false
			}
			return b[start:j], j + 1, esc
		case c == '\\':
			n := escapeLen(b[j+1:])
			if n == 0 {
				return nil, -1, false
			}
			esc = true
			j += n // the escape is never the closing quote
		case c < 0x20:
			return nil, -1, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, -1, false
}

// escapeLen returns the length of the escape that b starts with (after
// its backslash), or 0 if scanString does not take it.
func escapeLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1
	case 'u':
		r, ok := hex4(b[1:])
		if !ok || r >= 0xd800 && r < 0xe000 {
			return 0
		}
		return 5
	}
	return 0
}

// hex4 decodes the 4 hex digits b starts with.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, h := range b[:4] {
		switch {
		case h >= '0' && h <= '9':
			r = r<<4 | rune(h-'0')
		case h >= 'a' && h <= 'f':
			r = r<<4 | rune(h-'a'+10)
		case h >= 'A' && h <= 'F':
			r = r<<4 | rune(h-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// unescapeInto appends the unescaped s, a string scanString took, to dst
// (which may be s's own buffer, behind s: each byte written is written
// after at least one is read).
func unescapeInto(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		if i++; i >= len(s) {
			return dst // not after scanString
		}
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(s[i+1:])
			dst = utf8.AppendRune(dst, r)
			i += 4
		}
	}
	return dst
}
