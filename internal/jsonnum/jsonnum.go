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

// AppendFloat appends f as Java's Double.toString writes it, which is how
// an ingest node writes a double, into JSON (Jackson) and into a template,
// and a JSON number that reads back as a float: a decimal with at least
// one digit after the point when 1e-3 <= |f| < 1e7 (2.0, 0.001,
// 1234567.5), else computerized scientific notation, an upper-case E and
// at least one digit after the point (1.0E7, 9.0E-4, -2.5E21). The digits
// are the shortest that read back as f, as Java 19's Double.toString
// writes them; Java 17's older algorithm writes more for a few values
// (2.0E-3 is the same, 4.9E-324 is 5.0E-324 here). f must be finite.
func AppendFloat(b []byte, f float64) []byte {
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	if abs := math.Abs(f); abs >= 1e-3 && abs < 1e7 {
		start := len(b)
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
		if bytes.IndexByte(b[start:], '.') < 0 {
			b = append(b, '.', '0')
		}
		return b
	}
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // 1.5e+21, 1e-07
	e := bytes.IndexByte(s, 'e')
	b = append(b, s[:e]...)
	if bytes.IndexByte(s[:e], '.') < 0 {
		b = append(b, '.', '0')
	}
	b = append(b, 'E')
	if s[e+1] == '-' {
		b = append(b, '-')
	}
	exp := s[e+2:]
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(b, exp...)
}
