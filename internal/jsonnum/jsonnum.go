// Package jsonnum decodes and writes JSON numbers as they were written.
//
// encoding/json decodes a number into a float64, which cannot hold every
// 64-bit integer (9007199254740993 becomes 9007199254740992) and forgets
// how it was written (2.0 becomes 2, which Elasticsearch then maps as
// long). Events decoded with Unmarshal hold every number as a json.Number,
// its literal text, from which encoding/json and the indexer's encoder
// write it back byte for byte. The integer/float distinction is the
// literal's: an integer has no '.', 'e' or 'E'.
//
// Unmarshal accepts exactly what json.Unmarshal accepts, with its errors,
// except numbers beyond float64 (1E700), which it keeps as text where
// json.Unmarshal fails; FuzzUnmarshal holds it to that. Events (an any or
// a map[string]any) go through a small parser of its own (parse.go),
// other types through a json.Decoder.
package jsonnum

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
)

// Unmarshal is json.Unmarshal with numbers decoded as json.Number. Like
// json.Unmarshal, and unlike a json.Decoder, it refuses data after the
// value, and its errors are json.Unmarshal's. Into an *any or a
// *map[string]any (what events are) it decodes with its own parser;
// other types go through a json.Decoder.
func Unmarshal(b []byte, v any) error {
	switch t := v.(type) {
	case *any:
		if x, ok := parse(b); ok {
			*t = x
			return nil
		}
	case *map[string]any:
		if x, ok := parse(b); ok {
			switch m := x.(type) {
			case map[string]any:
				*t = m
				return nil
			case nil:
				*t = nil // as json.Unmarshal does with null
				return nil
			}
			var scratch map[string]any
			return json.Unmarshal(b, &scratch) // its type error
		}
	}
	return decode(b, v)
}

// decode is Unmarshal through a json.Decoder.
func decode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return unmarshalError(b, err)
	}
	if len(bytes.TrimLeft(b[d.InputOffset():], " \t\r\n")) > 0 {
		return unmarshalError(b, nil)
	}
	return nil
}

// unmarshalError is json.Unmarshal's error for b, which the decoder
// refused (with err, or nil for data after the value): the decoder words
// some syntax errors differently ("EOF" for "unexpected end of JSON
// input"). Only this error path reads b a second time.
func unmarshalError(b []byte, err error) error {
	var scratch any
	if serr := json.Unmarshal(b, &scratch); serr != nil {
		return serr // a syntax error
	}
	if err == nil { // unreachable: json.Unmarshal refuses what follows a value
		return errors.New("invalid character after top-level value")
	}
	return err // valid JSON of the wrong type for v
}

// IsInteger reports whether n is written as an integer: no fraction and
// no exponent.
func IsInteger(n json.Number) bool {
	for i := 0; i < len(n); i++ {
		switch n[i] {
		case '.', 'e', 'E':
			return false
		}
	}
	return true
}

// Valid reports whether n is a JSON number literal.
func Valid(n json.Number) bool {
	s := string(n)
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
	}
	digits := func() int {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i
	}
	switch d := digits(); {
	case d == 0:
		return false
	case s[0] == '0' && d > 1:
		return false
	default:
		s = s[d:]
	}
	if len(s) > 0 && s[0] == '.' {
		s = s[1:]
		d := digits()
		if d == 0 {
			return false
		}
		s = s[d:]
	}
	if len(s) > 0 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		d := digits()
		if d == 0 {
			return false
		}
		s = s[d:]
	}
	return s == ""
}

// AppendFloat appends f as a JSON number that reads back as a float: as
// encoding/json writes it, with ".0" added when that has neither a
// fraction nor an exponent (2 → 2.0), so that Elasticsearch's dynamic
// mapping sees a float. f must be finite.
func AppendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 → e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return b
	}
	if bytes.IndexByte(b[start:], '.') < 0 {
		b = append(b, '.', '0')
	}
	return b
}
