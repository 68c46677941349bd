package registry

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode: any bytes decode to entries or to an error, never a panic;
// an error says what is wrong (JSON's own, or ours naming the version or
// the entry); what decodes is what the agent could have written, and
// writing it again gives the same entries back. The seed corpus is in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":1,"files":[{"key":"in/1-2","path":"/x.log","offset":42,"fp_len":10,"fp":"ff","updated":"2024-03-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"version":1,"files":[{"key":"in/fingerprint-ab","path":"/x.log","offset":42,"fp_len":10,"fp":"ff","tail_len":32,"tail":"9e","updated":"2024-03-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := decode(b)
		if err != nil {
			var syn *json.SyntaxError
			var typ *json.UnmarshalTypeError
			msg := err.Error()
			if !errors.As(err, &syn) && !errors.As(err, &typ) &&
				!strings.HasPrefix(msg, "version ") && !strings.HasPrefix(msg, "files[") &&
				!strings.HasPrefix(msg, "parsing time ") && !strings.HasPrefix(msg, "Time.UnmarshalJSON: ") &&
				!strings.HasPrefix(msg, "unexpected end of JSON input") {
				t.Fatalf("unclear error %q (%T)", msg, err)
			}
			return
		}
		list := make([]Entry, 0, len(entries))
		for k, e := range entries {
			if k != e.Key || k == "" || e.Offset < 0 || e.FPLen < 0 || e.TailLen < 0 || int64(e.TailLen) > e.Offset {
				t.Fatalf("decoded an entry the agent cannot have written: %+v", e)
			}
			list = append(list, e)
		}
		out, err := encode(list)
		if err != nil {
			return // a time JSON cannot write (a year past 9999 in UTC); Open never writes back what it read unchanged
		}
		again, err := decode(out)
		if err != nil {
			t.Fatalf("decode(encode(x)): %v\n%s", err, out)
		}
		if len(again) != len(entries) {
			t.Fatalf("decode(encode(x)): %d entries, want %d", len(again), len(entries))
		}
		for k, e := range entries {
			a := again[k]
			if !a.Updated.Equal(e.Updated) {
				t.Fatalf("entry %q: updated %v, then %v", k, e.Updated, a.Updated)
			}
			a.Updated = e.Updated // the same instant; the zone may be written differently
			if !reflect.DeepEqual(a, e) {
				t.Fatalf("entry %q: %+v, then %+v", k, e, a)
			}
		}
	})
}

// TestDecodeErrors: what the agent cannot have written is an error that
// names it.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{`, "unexpected end of JSON input"},
		{`[]`, "cannot unmarshal array"},
		{`{"files":[]}`, "version 0: this agent reads version 1"},
		{`{"version":2,"files":[]}`, "version 2: this agent reads version 1"},
		{`{"version":1,"files":[{"path":"/x"}]}`, `files[0] (key ""): no key`},
		{`{"version":1,"files":[{"key":"a","offset":-1}]}`, `files[0] (key "a"): offset -1 is negative`},
		{`{"version":1,"files":[{"key":"a","fp_len":-3}]}`, `files[0] (key "a"): fp_len -3 is negative`},
		{`{"version":1,"files":[{"key":"a","fp":"xyz"}]}`, `files[0] (key "a"): fp "xyz" is not a 64-bit hexadecimal hash`},
		{`{"version":1,"files":[{"key":"a","offset":10,"tail_len":11}]}`, `files[0] (key "a"): tail_len 11 is negative or beyond the offset`},
		{`{"version":1,"files":[{"key":"a","offset":10,"tail_len":-1}]}`, `files[0] (key "a"): tail_len -1 is negative or beyond the offset`},
		{`{"version":1,"files":[{"key":"a","offset":10,"tail_len":4,"tail":"g"}]}`, `files[0] (key "a"): tail "g" is not a 64-bit hexadecimal hash`},
		{`{"version":1,"files":[{"key":"a"},{"key":"a"}]}`, `files[1] (key "a"): the key is also an earlier entry's`},
		{`{"version":1,"files":[{"key":"a","offset":1.5}]}`, "cannot unmarshal number 1.5"},
	} {
		if _, err := decode([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.in, err, tc.want)
		}
	}
	if e, err := decode([]byte(`{"version":1,"files":null}`)); err != nil || len(e) != 0 {
		t.Errorf("no files: %v, %v", e, err)
	}
}
