package pipelines

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzPainless: any text compiles as a Painless condition and as a script,
// or is refused with an error; what the parser accepts always translates
// to expr that parses (one expr cannot parse is a translator bug),
// and runs on a few events without a panic (scripts up to 256 bytes). And any string, written as a
// Painless literal, reads back as itself (the lexer, strconv.Quote and
// expr's unquoting agree; a string that is not UTF-8 is refused). Seeds in testdata/fuzz/FuzzPainless.
func FuzzPainless(f *testing.F) {
	f.Add(`ctx.http?.response?.status_code >= 400 && ctx.tags.contains('x')`)
	events := []Event{
		{},
		{"message": "GET /", "tags": []any{"x", int64(1)}, "n": int64(3), "f": 1.5, "s": "",
			"http": map[string]any{"response": map[string]any{"status_code": int64(404)}}, "m": map[string]any{"k": nil}},
	}
	f.Fuzz(func(t *testing.T, src string) {
		if prog, err := compilePainlessCondition(src, map[string]any{"p": "v"}); err != nil {
			if strings.Contains(err.Error(), "does not parse") {
				t.Fatalf("condition %q: %v", src, err)
			}
		} else {
			for _, ev := range events {
				_, _ = evalCondition(prog, ev.Clone())
			}
		}
		if prog, err := compilePainlessScript(src, nil); err != nil {
			if strings.Contains(err.Error(), "does not parse") {
				t.Fatalf("script %q: %v", src, err)
			}
		} else if len(src) <= 256 {
			// A script may double a string per statement, as on the node;
			// longer ones could take the fuzzer's memory.
			for _, ev := range events {
				_, _ = runScript(prog, ev.Clone())
			}
		}
		lit := "ctx.s == '" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(src) + "'"
		prog, err := compilePainlessCondition(lit, nil)
		if !utf8.ValidString(src) {
			if err == nil {
				t.Fatalf("%q: a string that is not UTF-8 compiled", lit)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		if ok, err := evalCondition(prog, Event{"s": src}); !ok || err != nil {
			t.Fatalf("%s on %q: %v, %v", lit, src, ok, err)
		}
	})
}
