package indexer

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/pipelines"
)

// TestAppendJSONLikeMarshal: appendJSON gives encoding/json's bytes for
// the values events hold, including escapes, key order, numbers and
// types it leaves to encoding/json.
func TestAppendJSONLikeMarshal(t *testing.T) {
	values := []any{
		nil, "", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>",
		"ctl \x00\x01\x1f\x7f \b\f\n\r\t", "bad \xff\xfe utf-8 \xe2\x82", "line\u2028para\u2029", "ünïcödé 日本 🎉",
		true, false, 0, -1, int64(math.MaxInt64), int32(-7), uint64(math.MaxUint64),
		1.5, -2.25, 0.001, 1234567.125,
		[]any{}, []any{1, "a", nil, []any{true}}, []string{"x", "<y>"}, []string(nil), map[string]any(nil),
		map[string]any{"b": 1, "a": map[string]any{"z": "", "y": []any{map[string]any{"k": 1, "j": 2}}}, "": "empty", "A": "upper"},
		pipelines.Event{"@timestamp": "2015-05-17T20:00:00Z", "http": map[string]any{"response": map[string]any{"status_code": int64(200)}}},
		time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), json.Number("12.50"), json.Number("9007199254740993"), json.Number("1E+2"), []int{1, 2}, map[string]string{"b": "1", "a": "2"},
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		got, keys, err := appendJSON([]byte("prefix"), v, nil)
		if err != nil {
			t.Errorf("%#v: %v", v, err)
			continue
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("%#v:\n got %s\nwant prefix%s", v, got, want)
		}
		if len(keys) != 0 {
			t.Errorf("%#v: %d keys left in the scratch space", v, len(keys))
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(1), map[string]any{"a": []any{math.Inf(-1)}}} {
		if _, _, err := appendJSON(nil, v, nil); err == nil {
			t.Errorf("%v: no error, encoding/json has one", v)
		}
	}
}

// TestAppendJSONWholeFloats: where appendJSON differs from encoding/json
// on purpose: a float64 is written as the ingest node writes a double
// (Java's Double.toString, jsonnum.AppendFloat): a whole one stays a
// float (2.0, not 2), so that Elasticsearch maps the field as float, and
// below 1e-3 or from 1e7 up it is 1.0E7; and a json.Number is written as
// it reads, an invalid one refused.
func TestAppendJSONWholeFloats(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{0.0, "0.0"}, {2.0, "2.0"}, {-3.0, "-3.0"}, {math.Copysign(0, -1), "-0.0"},
		{1e20, "1.0E20"}, {1e21, "1.0E21"}, {1e-6, "1.0E-6"}, {1e-7, "1.0E-7"}, {0.5, "0.5"}, {123456789.125, "1.23456789125E8"},
		{math.MaxFloat64, "1.7976931348623157E308"}, {-0.000001234, "-1.234E-6"}, {math.SmallestNonzeroFloat64, "5.0E-324"},
		{json.Number("-0"), "-0"}, {json.Number(""), "0"}, {json.Number("2.0"), "2.0"}, {json.Number("1.5E-7"), "1.5E-7"},
		{map[string]any{"f": 2.0, "n": json.Number("12345678901234567890")}, `{"f":2.0,"n":12345678901234567890}`},
	} {
		got, _, err := appendJSON(nil, c.v, nil)
		if err != nil || string(got) != c.want {
			t.Errorf("%#v: got %s, %v; want %s", c.v, got, err, c.want)
		}
	}
	for _, n := range []json.Number{"1.", ".5", "01", "1e", "+1", "0x10", "1 "} {
		if _, _, err := appendJSON(nil, n, nil); err == nil {
			t.Errorf("json.Number(%q): no error", n)
		}
	}
}

// FuzzAppendJSONString: any string quotes as encoding/json quotes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "<>&", "\xff", "\u2028", "日本", "\x00\x1f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}
