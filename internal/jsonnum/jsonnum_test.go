package jsonnum

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// FuzzUnmarshal: Unmarshal accepts and refuses what json.Unmarshal does,
// with the same syntax errors, and decodes the same values, numbers
// as their text. Seeds in testdata/fuzz/FuzzUnmarshal.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{``, ` `, `{}`, `{"a":1}`, `{"a":9007199254740993,"b":[2.0,1e3,-0]}`, `{"a":1} x`, `{"a":1}{}`,
		`[1,`, `"s"`, `null`, `1.5E-7 `, `01`, `1.`, `{"a":"\u00e9\ud800"}`, "\xff",
		`{"s":"\ud83d\ude00 \ud83d\u0041 \udc00 \"\\\/\b\f\n\r\t"}`, "{\"s\":\"bad \xff\xfe utf-8 \xe2\x82 ok \xe2\x82\xac\"}",
		"{\"s\":\"ctl \x01\"}", `{"s":"\x"}`, `{"s":"\u12"}`, `{"a":1,"a":2}`, `[[[[]]]]`, `{"a":tru}`, `-`, `-01`, `1e+`, `[1,]`, `{"a":1,}`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var wantMap, gotMap map[string]any
		werr, gerr := json.Unmarshal(b, &wantMap), Unmarshal(b, &gotMap)
		if floatOverflow(werr) {
			return // 1E700: a json.Number holds it, a float64 cannot
		}
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("%q into a map: error %v, json.Unmarshal's %v", b, gerr, werr)
		}
		if werr == nil && (gotMap == nil) != (wantMap == nil) {
			t.Fatalf("%q into a map: %#v, json.Unmarshal's %#v", b, gotMap, wantMap)
		}
		var want, got any
		werr = json.Unmarshal(b, &want)
		gerr = Unmarshal(b, &got)
		if floatOverflow(werr) {
			return
		}
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("%q: error %v, json.Unmarshal's %v", b, gerr, werr)
		}
		if werr != nil {
			return
		}
		// The literals are the input's: re-encoded, the input's numbers
		// read back as written.
		out, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var again any
		if err := Unmarshal(out, &again); err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("%q: re-encoded %s reads %#v, %v", b, out, again, err)
		}
		if !reflect.DeepEqual(asFloats(t, got) /* changes got */, want) {
			t.Fatalf("%q: %#v, json.Unmarshal's %#v", b, got, want)
		}
	})
}

// floatOverflow reports whether err is json.Unmarshal's for a number
// beyond float64, which Unmarshal keeps as its text.
func floatOverflow(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te) && strings.HasPrefix(te.Value, "number ")
}

// asFloats is v with its json.Numbers as json.Unmarshal's float64s.
func asFloats(t *testing.T, v any) any {
	switch x := v.(type) {
	case json.Number:
		if !Valid(x) {
			t.Fatalf("decoded %q, not a number", x)
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !math.IsInf(f, 0) {
			t.Fatalf("%q: %v", x, err)
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = asFloats(t, e)
		}
	case []any:
		for i, e := range x {
			x[i] = asFloats(t, e)
		}
	}
	return v
}

// FuzzValid: Valid is true exactly for JSON texts that are one number
// with no space around it.
func FuzzValid(f *testing.F) {
	for _, s := range []string{"", "0", "-0", "01", "1.", ".5", "1e", "1e+", "1E-7", "-", "+1", "1 ", " 1", "12345678901234567890", "0x1", "1.0e+2", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := json.Valid([]byte(s)) && len(s) > 0 && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') &&
			!bytes.ContainsAny([]byte{s[len(s)-1]}, " \t\r\n")
		if got := Valid(json.Number(s)); got != want {
			t.Fatalf("Valid(%q) = %v, want %v", s, got, want)
		}
	})
}

// FuzzAppendFloat: a float64 is written as a float that reads back as
// itself, in Java's Double.toString shape: a plain decimal for
// 1e-3 <= |x| < 1e7 (and 0), else one digit, a fraction and E.
func FuzzAppendFloat(f *testing.F) {
	for _, x := range []float64{0, math.Copysign(0, -1), 2, -3, 0.1, 1e20, 1e21, 1e-6, 1e-7, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return
		}
		b := AppendFloat(nil, x)
		n := json.Number(b)
		if !Valid(n) || IsInteger(n) {
			t.Fatalf("%v: %s is not a float literal", x, b)
		}
		if y, err := strconv.ParseFloat(string(b), 64); err != nil || y != x || math.Signbit(y) != math.Signbit(x) {
			t.Fatalf("%v: %s reads %v, %v", x, b, y, err)
		}
		shape := javaDecimal
		if abs := math.Abs(x); abs != 0 && (abs < 1e-3 || abs >= 1e7) {
			shape = javaScientific
		}
		if !shape.Match(b) {
			t.Fatalf("%v: %s is not in the shape %s", x, b, shape)
		}
	})
}

// TestAppendFloat: Java's Double.toString, what the ingest node writes.
// The shapes of Java's Double.toString.
var (
	javaDecimal    = regexp.MustCompile(`^-?(0|[1-9][0-9]*)\.[0-9]+$`)
	javaScientific = regexp.MustCompile(`^-?[1-9]\.[0-9]+E-?[1-9][0-9]*$`)
)

func TestAppendFloat(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {2, "2.0"}, {-3, "-3.0"}, {0.5, "0.5"},
		{0.001, "0.001"}, {0.0009, "9.0E-4"}, {1.2345e-5, "1.2345E-5"}, {9999999, "9999999.0"}, {1e7, "1.0E7"},
		{-1e7, "-1.0E7"}, {1e10, "1.0E10"}, {1e20, "1.0E20"}, {1e21, "1.0E21"}, {1e-7, "1.0E-7"},
		{123456789.125, "1.23456789125E8"}, {1234567.5, "1234567.5"}, {math.MaxFloat64, "1.7976931348623157E308"},
		{1e100, "1.0E100"}, {1e-100, "1.0E-100"},
	} {
		if got := string(AppendFloat(nil, c.x)); got != c.want {
			t.Errorf("%v: %s, want %s", c.x, got, c.want)
		}
	}
}

func TestIsInteger(t *testing.T) {
	for n, want := range map[json.Number]bool{"0": true, "-0": true, "12345678901234567890": true, "2.0": false, "1e3": false, "1E3": false} {
		if IsInteger(n) != want {
			t.Errorf("IsInteger(%s) = %v", n, !want)
		}
	}
}
