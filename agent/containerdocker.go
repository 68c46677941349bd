package agent

import (
	"bytes"
	"time"

	"github.com/sluicelogs/sluice/internal/jsonnum"
)

// decodeDockerFast decodes the line Docker's json-file driver writes — a
// flat object of string values — without encoding/json, which costs ten
// times the rest of a line's way to the broker. Strings are unquoted by
// jsonnum.AppendString, as encoding/json does. It gives up (ok false) on
// anything else: values that are not strings (attrs), keys that
// encoding/json would match without regard to case, text after the
// object. The caller then decodes with encoding/json, so the result is
// the same (FuzzDockerFast checks it).
//
// The log's text goes to r.buf, reused by the next line: r.text is only
// good until then. Other values are unquoted into r.scratch (to be
// checked, then dropped).
func decodeDockerFast(line []byte, r *containerRecord) (ok bool) {
	var (
		i       = skipSpace(line, 0)
		haveLog bool
		stream  string
		t       time.Time
		key     [16]byte // room for the keys Docker writes
	)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return false // no log: let encoding/json say so
	}
	for {
		k, n, ok := jsonnum.AppendString(key[:0], line[i:])
		if !ok {
			return false
		}
		i = skipSpace(line, i+n)
		if i >= len(line) || line[i] != ':' {
			return false
		}
		i = skipSpace(line, i+1)
		start := i
		switch string(k) {
		case "log":
			r.buf, n, ok = jsonnum.AppendString(r.buf[:0], line[i:])
			haveLog = true
		case "stream":
			var s [maxStreamName]byte
			var name []byte
			name, n, ok = jsonnum.AppendString(s[:0], line[i:])
			stream = streamOf(name)
		case "time":
			// encoding/json hands time.Time the quoted text as it is.
			r.scratch, n, ok = jsonnum.AppendString(r.scratch[:0], line[i:])
			ok = ok && t.UnmarshalText(line[start+1:start+n-1]) == nil
		default:
			if bytes.EqualFold(k, []byte("log")) || bytes.EqualFold(k, []byte("stream")) || bytes.EqualFold(k, []byte("time")) {
				return false
			}
			r.scratch, n, ok = jsonnum.AppendString(r.scratch[:0], line[i:])
		}
		if !ok {
			return false
		}
		i = skipSpace(line, i+n)
		if i < len(line) && line[i] == ',' {
			i = skipSpace(line, i+1)
			continue
		}
		if i < len(line) && line[i] == '}' && skipSpace(line, i+1) == len(line) {
			break
		}
		return false
	}
	if !haveLog || stream == "" || len(stream) > maxStreamName {
		return false
	}
	log := r.buf
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
