package indexer

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/pipelines"
)

// indexName is a parsed index pattern such as
// "logs-%{[service]}-%{+yyyy.MM.dd}": literal text, field references and
// dates of the event's @timestamp (in UTC) with a Java-style format.
type indexName struct {
	parts []namePart
}

type namePart struct {
	lit    string
	field  string // dotted path, for %{[a][b]} or %{a.b}
	layout string // Go layout, for %{+yyyy.MM.dd}
}

// parseIndexName parses an index pattern.
func parseIndexName(s string) (*indexName, error) {
	n := &indexName{}
	for s != "" {
		i := strings.Index(s, "%{")
		if i < 0 {
			n.parts = append(n.parts, namePart{lit: s})
			break
		}
		if i > 0 {
			n.parts = append(n.parts, namePart{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%q: %%{ without }", s)
		}
		ref := s[i+2 : i+j]
		s = s[i+j+1:]
		switch {
		case strings.HasPrefix(ref, "+"):
			layout, err := goLayout(ref[1:])
			if err != nil {
				return nil, err
			}
			n.parts = append(n.parts, namePart{layout: layout})
		case strings.HasPrefix(ref, "["):
			if !strings.HasSuffix(ref, "]") {
				return nil, fmt.Errorf("field reference %%{%s}: want %%{[a][b]}", ref)
			}
			field := strings.ReplaceAll(ref[1:len(ref)-1], "][", ".")
			if field == "" || strings.ContainsAny(field, "[]") {
				return nil, fmt.Errorf("field reference %%{%s}: want %%{[a][b]}", ref)
			}
			n.parts = append(n.parts, namePart{field: field})
		case ref != "":
			n.parts = append(n.parts, namePart{field: ref})
		default:
			return nil, fmt.Errorf("empty reference %%{}")
		}
	}
	return n, nil
}

// prefix returns the literal text before the first reference.
func (n *indexName) prefix() string {
	if len(n.parts) > 0 && n.parts[0].field == "" && n.parts[0].layout == "" {
		return n.parts[0].lit
	}
	return ""
}

// render builds the index name of ev; ts is the time to use when the
// event has no @timestamp it can parse.
func (n *indexName) render(ev pipelines.Event, ts time.Time) (string, error) {
	var b strings.Builder
	evTime, timeSet := time.Time{}, false
	for _, p := range n.parts {
		switch {
		case p.layout != "":
			if !timeSet {
				evTime, timeSet = eventTime(ev, ts), true
			}
			b.WriteString(evTime.Format(p.layout))
		case p.field != "":
			v, ok := lookup(ev, p.field)
			if !ok || v == nil {
				return "", fmt.Errorf("index %%{[%s]}: the event has no such field", p.field)
			}
			switch v.(type) {
			case map[string]any, []any:
				return "", fmt.Errorf("index %%{[%s]}: not a scalar", p.field)
			}
			b.WriteString(strings.ToLower(fmt.Sprint(v)))
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String(), nil
}

// eventTime parses the event's @timestamp, falling back to def.
func eventTime(ev pipelines.Event, def time.Time) time.Time {
	if s, ok := ev["@timestamp"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC()
		}
	}
	return def.UTC()
}

// lookup finds a dotted field, also where the event holds the dotted name
// itself as a key.
func lookup(ev map[string]any, path string) (any, bool) {
	if v, ok := ev[path]; ok {
		return v, true
	}
	head, rest, found := strings.Cut(path, ".")
	if !found {
		return nil, false
	}
	sub, ok := ev[head].(map[string]any)
	if !ok {
		if e, ok2 := ev[head].(pipelines.Event); ok2 {
			sub, ok = map[string]any(e), true
		}
	}
	if !ok {
		return nil, false
	}
	return lookup(sub, rest)
}

// goLayout translates the Java date format of %{+…} into a Go layout.
func goLayout(java string) (string, error) {
	tokens := []struct{ java, goL string }{
		{"yyyy", "2006"}, {"yy", "06"}, {"MM", "01"}, {"dd", "02"}, {"HH", "15"},
		{"mm", "04"}, {"ss", "05"},
	}
	var b strings.Builder
	for s := java; s != ""; {
		matched := false
		for _, t := range tokens {
			if strings.HasPrefix(s, t.java) {
				b.WriteString(t.goL)
				s = s[len(t.java):]
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := s[0]
		// Letters and digits would mean something in a Go layout.
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return "", fmt.Errorf("date format %q: unsupported %q (use yyyy yy MM dd HH mm ss and punctuation)", java, c)
		}
		b.WriteByte(c)
		s = s[1:]
	}
	return b.String(), nil
}
