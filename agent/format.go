package agent

import (
	"fmt"
	"strings"
)

// Format is a format string such as "logs-%{[fields.service]}": literal
// text with %{[dotted.field]} references resolved against each event.
type Format struct {
	parts []formatPart
}

type formatPart struct {
	lit   string
	field []string // set for a reference
}

// ParseFormat parses a format string.
func ParseFormat(s string) (*Format, error) {
	f := &Format{}
	for {
		i := strings.Index(s, "%{")
		if i < 0 {
			break
		}
		if i > 0 {
			f.parts = append(f.parts, formatPart{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%q: %%{ without a closing }", s)
		}
		ref := s[i+2 : i+j]
		if !strings.HasPrefix(ref, "[") || !strings.HasSuffix(ref, "]") || len(ref) < 3 {
			return nil, fmt.Errorf("%q: reference %%{%s} is not of the form %%{[field.name]}", s, ref)
		}
		f.parts = append(f.parts, formatPart{field: strings.Split(ref[1:len(ref)-1], ".")})
		s = s[i+j+1:]
	}
	if s != "" {
		f.parts = append(f.parts, formatPart{lit: s})
	}
	return f, nil
}

// Static reports whether the format has no field references.
func (f *Format) Static() bool {
	for _, p := range f.parts {
		if p.field != nil {
			return false
		}
	}
	return true
}

// Resolve expands the format with lookup, which returns a field's value.
// A missing field is replaced by missing, and its name returned.
func (f *Format) Resolve(lookup func(path []string) (any, bool), missing string) (out, absent string) {
	if len(f.parts) == 1 && f.parts[0].field == nil {
		return f.parts[0].lit, ""
	}
	var b strings.Builder
	for _, p := range f.parts {
		if p.field == nil {
			b.WriteString(p.lit)
			continue
		}
		v, ok := lookup(p.field)
		if !ok || v == nil {
			absent = strings.Join(p.field, ".")
			b.WriteString(missing)
			continue
		}
		fmt.Fprint(&b, v)
	}
	return b.String(), absent
}
