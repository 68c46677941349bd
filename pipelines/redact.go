package pipelines

import (
	"fmt"
	"sort"
	"strings"
)

// buildRedact compiles redact (Elasticsearch 8.7): every stretch of the
// field's text captured by a named capture of one of the grok patterns
// (%{IP:client}) is replaced by prefix, the capture's name and suffix
// ("<client>"). All matches of all patterns count; overlapping stretches
// become one, named after the one that starts first (the longer of two
// that start together). ignore_missing defaults to true, as in
// Elasticsearch; a field over grok's max_bytes fails, as in grok.
func buildRedact(o *opts, _ bool) doFunc {
	field := newPath(o.required("field"))
	prefix := o.str("prefix", "<")
	suffix := o.str("suffix", ">")
	ignoreMissing := o.boolean("ignore_missing", true)
	o.boolean("skip_if_unlicensed", false) // no licence here
	maxBytes := o.byteCount("max_bytes", o.d.l.opts.GrokMaxBytes)
	exprs := grokPatterns(o)
	if exprs == nil {
		return nil
	}
	return func(ev Event, st *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		if len(s) > maxBytes {
			return fmt.Errorf("field [%s] is %d bytes, over grok's limit of %d", field, len(s), maxBytes)
		}
		var spans []redactSpan
		for _, g := range exprs {
			if err := st.overBudget(); err != nil {
				return err
			}
			for _, loc := range g.re.FindAllStringSubmatchIndex(s, -1) {
				for _, c := range g.captures {
					if a, b := loc[2*c.group], loc[2*c.group+1]; a >= 0 && b > a {
						spans = append(spans, redactSpan{a, b, c.field.name})
					}
				}
			}
		}
		if len(spans) == 0 {
			return nil
		}
		return field.set(ev, applyRedactions(s, spans, prefix, suffix))
	}
}

type redactSpan struct {
	start, end int
	name       string
}

// applyRedactions replaces the spans of s, merging those that overlap.
func applyRedactions(s string, spans []redactSpan, prefix, suffix string) string {
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].start != spans[j].start {
			return spans[i].start < spans[j].start
		}
		return spans[i].end > spans[j].end
	})
	var b strings.Builder
	at := 0
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].start < cur.end; i++ {
			cur.end = max(cur.end, spans[i].end)
		}
		b.WriteString(s[at:cur.start])
		b.WriteString(prefix + cur.name + suffix)
		at = cur.end
	}
	b.WriteString(s[at:])
	return b.String()
}
