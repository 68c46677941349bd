package pipelines

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// template is a string with {{field}} (or {{{field}}}, {{&field}})
// references, parsed once. Missing fields render as "", as Mustache does in
// Elasticsearch. As on the node, whose Mustache writes into JSON, a value
// referenced with two braces is escaped as in a JSON string (" \ and
// control characters); with three braces or & it is not.
type template struct {
	lits   []string // len(lits) == len(fields)+1
	fields []path
	raw    []bool // per field: {{{field}}} or {{&field}}, not escaped
}

func parseTemplate(s string) (*template, error) {
	t := &template{}
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			t.lits = append(t.lits, s)
			return t, nil
		}
		triple := strings.HasPrefix(s[i:], "{{{")
		open, close := "{{", "}}"
		if triple {
			open, close = "{{{", "}}}"
		}
		rest := s[i+len(open):]
		j := strings.Index(rest, close)
		if j < 0 {
			return nil, fmt.Errorf("template %q: %s without %s", s, open, close)
		}
		name := strings.TrimSpace(rest[:j])
		raw := triple
		if !triple && strings.HasPrefix(name, "&") {
			name, raw = strings.TrimSpace(name[1:]), true
		}
		if name == "" {
			return nil, fmt.Errorf("template %q: empty field reference", s)
		}
		t.lits = append(t.lits, s[:i])
		t.fields = append(t.fields, newPath(name))
		t.raw = append(t.raw, raw)
		s = rest[j+len(close):]
	}
}

// static reports whether the template has no references.
func (t *template) static() bool { return len(t.fields) == 0 }

func (t *template) render(ev Event) string {
	if len(t.fields) == 0 {
		return t.lits[0]
	}
	if len(t.fields) == 1 && t.lits[0] == "" && t.lits[1] == "" {
		v, _ := t.fields[0].get(ev)
		if t.raw[0] {
			return toString(v)
		}
		return escapeJSONString(toString(v))
	}
	var b strings.Builder
	for i, f := range t.fields {
		b.WriteString(t.lits[i])
		v, _ := f.get(ev)
		if t.raw[i] {
			b.WriteString(toString(v))
		} else {
			writeEscaped(&b, toString(v))
		}
	}
	b.WriteString(t.lits[len(t.lits)-1])
	return b.String()
}

// escapeJSONString escapes s as the node's Mustache does a {{field}} (as
// Jackson's quoteAsString): " and \ get a backslash, \b \f \n \r \t their
// short escapes, other characters below U+0020 \u00XX (upper-case hex);
// everything else, non-ASCII included, stays.
func escapeJSONString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			var b strings.Builder
			b.Grow(len(s) + 8)
			writeEscaped(&b, s)
			return b.String()
		}
	}
	return s
}

func writeEscaped(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		start = i + 1
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		}
	}
	b.WriteString(s[start:])
}

// toString renders a value as text: strings as they are, integers and
// booleans as JSON writes them, a float64 as the node renders a Java
// Double (2.0, 1.0E10: formatDouble), a json.Number as written, objects
// and lists as JSON with their float64s written the same way.
func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return formatDouble(x)
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(ForJSON(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// templateValue is a set/append value: strings are templates, other YAML
// values (numbers, lists, objects) are copied as they are.
type templateValue struct {
	tmpl  *template
	value any
}

func newTemplateValue(v any) (*templateValue, error) {
	if s, ok := v.(string); ok {
		t, err := parseTemplate(s)
		if err != nil {
			return nil, err
		}
		return &templateValue{tmpl: t}, nil
	}
	return &templateValue{value: v}, nil
}

func (tv *templateValue) eval(ev Event) any {
	if tv.tmpl != nil {
		return tv.tmpl.render(ev)
	}
	return cloneValue(tv.value)
}
