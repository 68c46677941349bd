package pipelines

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/config"
)

// FuzzParse: any definition text compiles or fails with config errors
// that name the file, never a panic; one that compiles runs its own
// tests and a few events without a panic (a processor failure is an
// error like any other). The seed corpus in testdata/fuzz/FuzzParse
// holds the examples and definitions from the tests.
func FuzzParse(f *testing.F) {
	f.Add([]byte("processors:\n  - set: {field: a, value: 1}\n"))
	opts := Options{Now: func() time.Time { return testNow }, Budget: time.Second}
	events := []Event{
		{},
		{"message": "10.0.0.1 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"curl/8.5.0\""},
		{"message": "a=1 b=2", "tags": []any{"x", map[string]any{"k": "v"}}, "n": int64(3), "f": 1.5,
			"o": map[string]any{"p": []any{int64(1), nil, true}}},
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := Parse("fuzz.yml", text, opts)
		if err != nil {
			var one *config.Error
			var many config.Errors
			if !errors.As(err, &one) && !errors.As(err, &many) {
				t.Fatalf("error %q is a %T, not a config error", err, err)
			}
			if !strings.Contains(err.Error(), "fuzz.yml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		p.RunTests()
		for _, ev := range events {
			_, _, _ = p.Run(ev.Clone())
		}
	})
}

// FuzzJavaUnixMillis: any text of a date processor's UNIX field reads as
// Java's parseDouble would or fails, never a panic; a whole number of
// seconds gives exactly that many thousand milliseconds. Seeds in
// testdata/fuzz/FuzzJavaUnixMillis.
func FuzzJavaUnixMillis(f *testing.F) {
	for _, s := range []string{"1700000000", " 1.7e9 ", "-1.5", "NaN", "Infinity", "1e400", "0x1p3", "5d", "inf", "1_0", "--1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := javaUnixMillis(s)
		if n, perr := strconv.ParseInt(s, 10, 64); perr == nil && n > -1e12 && n < 1e12 {
			if err != nil || ms != n*1000 {
				t.Fatalf("javaUnixMillis(%q) = %d, %v; want %d", s, ms, err, n*1000)
			}
		}
	})
}
