package config

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Lookup returns the value of a variable and whether it is set.
type Lookup func(name string) (string, bool)

// ExpandYAML replaces the references ${NAME} and ${NAME:default} in the
// values of a YAML document (Filebeat's syntax: NAME from lookup, the
// default when it is unset) and returns the new text, line for line the
// same as text so that later errors keep their lines. A value that was one
// reference alone becomes the variable's text as if written there when it
// reads back the same (so ${PORT} can fill a number), else a double-quoted
// string (so a password may hold any character). A reference to an unset
// variable without a default, or one in a multi-line value, is an error
// naming file, line and key. Keys are not expanded; text that does not
// parse is returned as it is, for the decoder to report.
func ExpandYAML(file string, text []byte, lookup Lookup) ([]byte, error) {
	if !bytes.Contains(text, []byte("${")) {
		return text, nil
	}
	var root yaml.Node
	if yaml.Unmarshal(text, &root) != nil {
		return text, nil
	}
	x := expander{file: file, lookup: lookup, lines: strings.SplitAfter(string(text), "\n")}
	x.walk(&root, "")
	if err := x.errs.Err(); err != nil {
		return nil, err
	}
	return x.apply(len(text)), nil
}

// apply returns the lines with the edits made, writing each line once
// (an edit that rebuilt its whole line made a line of k references cost
// k copies of it).
func (x *expander) apply(size int) []byte {
	// Document order is line order and, within a line, column order;
	// sorted anyway, as the loop below relies on it.
	slices.SortStableFunc(x.edits, func(a, b edit) int {
		return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.from, b.from))
	})
	var b bytes.Buffer
	b.Grow(size)
	e := 0
	for i, l := range x.lines {
		last := 0
		for ; e < len(x.edits) && x.edits[e].line == i; e++ {
			b.WriteString(l[last:x.edits[e].from])
			b.WriteString(x.edits[e].text)
			last = x.edits[e].to
		}
		b.WriteString(l[last:])
	}
	return b.Bytes()
}

type expander struct {
	file   string
	lookup Lookup
	lines  []string
	edits  []edit // in document order
	errs   Errors
}

// edit replaces bytes [from, to) of line (0-based) with text.
type edit struct {
	line, from, to int
	text           string
}

func (x *expander) walk(n *yaml.Node, key string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			x.walk(c, key)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if key != "" {
				k = key + "." + k
			}
			x.walk(n.Content[i+1], k)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			x.walk(c, fmt.Sprintf("%s[%d]", key, i))
		}
	case yaml.ScalarNode:
		if strings.Contains(n.Value, "${") {
			x.scalar(n, key)
		}
	}
}

func (x *expander) fail(n *yaml.Node, key, format string, args ...any) {
	x.errs = append(x.errs, &Error{File: x.file, Line: n.Line, Key: key, Err: fmt.Errorf(format, args...)})
}

// scalar expands one value in place.
func (x *expander) scalar(n *yaml.Node, key string) {
	val, whole, err := expandString(n.Value, x.lookup)
	if err != nil {
		x.fail(n, key, "%v", err)
		return
	}
	if n.Line < 1 || n.Line > len(x.lines) {
		return
	}
	line := x.lines[n.Line-1]
	from := byteColumn(line, n.Column)
	to := -1
	switch n.Style {
	case 0, yaml.TaggedStyle:
		if strings.HasPrefix(line[from:], n.Value) {
			to = from + len(n.Value)
		}
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		to = closingQuote(line, from, n.Style == yaml.DoubleQuotedStyle)
	}
	if to < 0 {
		x.fail(n, key, "${…} is expanded only in values written on one line")
		return
	}
	text := strconv.Quote(val) // a YAML double-quoted scalar too
	if whole && n.Style == 0 && readsBack(val) {
		text = val
	}
	x.edits = append(x.edits, edit{line: n.Line - 1, from: from, to: to, text: text})
}

// expandString expands the references in s; whole reports that s was one
// reference alone.
func expandString(s string, lookup Lookup) (out string, whole bool, err error) {
	var b strings.Builder
	rest := s
	refs := 0
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", false, fmt.Errorf("%q: ${ without a closing }", s)
		}
		ref := rest[i+2 : i+j]
		name, def, hasDef := strings.Cut(ref, ":")
		if name == "" {
			return "", false, fmt.Errorf("%q: ${} names no variable", s)
		}
		v, ok := lookup(name)
		switch {
		case ok:
		case hasDef:
			v = def
		default:
			return "", false, fmt.Errorf("${%s} is not set (neither in the keystore nor in the environment) and has no default", name)
		}
		if !utf8.ValidString(v) {
			// A YAML document is UTF-8: written quoted, a byte 0xff
			// would read back as the character U+00FF.
			return "", false, fmt.Errorf("${%s}: its value is not valid UTF-8", name)
		}
		b.WriteString(v)
		refs++
		rest = rest[i+j+1:]
	}
	return b.String(), refs == 1 && strings.HasPrefix(s, "${") && strings.HasSuffix(s, "}") && strings.Count(s, "${") == 1, nil
}

// readsBack reports whether v written as a plain value reads back as v.
func readsBack(v string) bool {
	if v == "" || strings.ContainsAny(v, "\n\r\t,[]{}") { // the last ones end a value in a flow list
		return false
	}
	var n yaml.Node
	if yaml.Unmarshal([]byte("k: "+v+"\n"), &n) != nil || len(n.Content) != 1 {
		return false
	}
	m := n.Content[0]
	// A null ("~", "null") would decode as no value, not as its text.
	return m.Kind == yaml.MappingNode && len(m.Content) == 2 && m.Content[1].Kind == yaml.ScalarNode &&
		m.Content[1].Style == 0 && m.Content[1].Value == v && m.Content[1].Tag != "!!null"
}

// byteColumn turns yaml's 1-based column (in characters) into a byte
// offset in line.
func byteColumn(line string, col int) int {
	off := 0
	for c := 1; c < col && off < len(line); c++ {
		_, size := utf8.DecodeRuneInString(line[off:])
		off += size
	}
	return off
}

// closingQuote returns the offset just past the quoted scalar that starts
// at line[from], or -1 when it does not end on this line.
func closingQuote(line string, from int, double bool) int {
	if from >= len(line) {
		return -1
	}
	q := line[from]
	for i := from + 1; i < len(line); i++ {
		switch {
		case double && line[i] == '\\':
			i++
		case line[i] == q && !double && i+1 < len(line) && line[i+1] == '\'':
			i++ // '' inside single quotes
		case line[i] == q:
			return i + 1
		}
	}
	return -1
}
