package pipelines

import (
	"fmt"
	"strings"
	"time"
)

// Format is a format string as Logstash and Beats write them: literal text
// with field references (%{[a][b]}, %{[a.b]} or %{a.b}) and dates of a
// time (%{+yyyy.MM.dd}, a Java-style pattern). The agent names topics with
// it and the indexer names indices.
type Format struct {
	parts []formatPart
}

type formatPart struct {
	lit    string
	field  string   // dotted path of a reference
	path   []string // its parts
	layout string   // Go layout of a date
}

// ParseFormat parses a format string.
func ParseFormat(s string) (*Format, error) {
	f := &Format{}
	orig := s
	for s != "" {
		i := strings.Index(s, "%{")
		if i < 0 {
			f.parts = append(f.parts, formatPart{lit: s})
			break
		}
		if i > 0 {
			f.parts = append(f.parts, formatPart{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%q: %%{ without a closing }", orig)
		}
		ref := s[i+2 : i+j]
		s = s[i+j+1:]
		switch {
		case strings.HasPrefix(ref, "+"):
			layout, _, err := javaLayout(ref[1:])
			if err != nil {
				return nil, fmt.Errorf("%q: %w", orig, err)
			}
			f.parts = append(f.parts, formatPart{layout: layout})
		case strings.HasPrefix(ref, "["):
			field := strings.ReplaceAll(strings.TrimSuffix(ref[1:], "]"), "][", ".")
			if !strings.HasSuffix(ref, "]") || field == "" || strings.ContainsAny(field, "[]") {
				return nil, fmt.Errorf("%q: reference %%{%s} is not of the form %%{[a][b]} or %%{[a.b]}", orig, ref)
			}
			f.parts = append(f.parts, formatPart{field: field, path: strings.Split(field, ".")})
		case ref != "" && !strings.ContainsAny(ref, "[]"):
			f.parts = append(f.parts, formatPart{field: ref, path: strings.Split(ref, ".")})
		default:
			return nil, fmt.Errorf("%q: bad reference %%{%s}", orig, ref)
		}
	}
	return f, nil
}

// Static reports whether the format has no references: it is its text.
func (f *Format) Static() bool {
	for _, p := range f.parts {
		if p.field != "" || p.layout != "" {
			return false
		}
	}
	return true
}

// Prefix returns the literal text before the first reference.
func (f *Format) Prefix() string {
	if len(f.parts) > 0 && f.parts[0].field == "" && f.parts[0].layout == "" {
		return f.parts[0].lit
	}
	return ""
}

// Expand renders the format: lookup finds a field by its path, value turns
// what was found (found false when absent) into text or an error, and
// dates are t's, in UTC.
func (f *Format) Expand(lookup func(path []string) (any, bool), t time.Time, value func(field string, v any, found bool) (string, error)) (string, error) {
	if len(f.parts) == 1 && f.parts[0].field == "" && f.parts[0].layout == "" {
		return f.parts[0].lit, nil
	}
	var b strings.Builder
	for _, p := range f.parts {
		switch {
		case p.layout != "":
			b.WriteString(t.UTC().Format(p.layout))
		case p.field != "":
			v, ok := lookup(p.path)
			s, err := value(p.field, v, ok)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String(), nil
}
