package pipelines

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTextProcessors feeds event text to the parsers of the processors
// that read it (csv, html_strip, uri_parts, bytes, registered_domain): never a panic, and
// csv's columns are what a plain split gives when the line has no quotes,
// spaces or line breaks. The seed corpus is in
// testdata/fuzz/FuzzTextProcessors.
func FuzzTextProcessors(f *testing.F) {
	for _, s := range []string{`a,"b,""c""",,d`, `"open`, ` "a" ,b`, "<p>x<script>y</script></p>", "http://u:p@h:1/a.b?q#f", "1.5kb", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, trim := range []bool{false, true} {
			cols, err := csvLine{sep: ',', quote: '"', trim: trim}.split(s, 4)
			if len(cols) > 4 {
				t.Fatalf("csv %q: %d columns for 4 targets", s, len(cols))
			}
			if utf8.ValidString(s) && !strings.ContainsAny(s, "\"\r\n \t") { // event text is UTF-8
				want := strings.Split(s, ",")
				if strings.HasSuffix(s, ",") || s == "" {
					want = want[:len(want)-1]
				}
				if len(want) > 4 {
					want = want[:4]
				}
				if err != nil || !slices.Equal(cols, want) {
					t.Fatalf("csv %q: %q, %v; want %q", s, cols, err, want)
				}
			}
		}
		out := stripHTML(s)
		if !strings.Contains(s, "<") && out != s {
			t.Fatalf("html_strip %q changed text without markup: %q", s, out)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("html_strip %q: invalid UTF-8 %q", s, out)
		}
		_, _ = uriParts(s)
		if p, ok := domainParts(s); ok && !strings.HasSuffix(strings.ToLower(s), p["top_level_domain"]) {
			t.Fatalf("registered_domain %q: suffix %q", s, p["top_level_domain"])
		}
		if n, err := parseByteSize(s); err == nil && n < -1 {
			t.Fatalf("bytes %q = %d", s, n)
		}
	})
}
