package jsonnum

import (
	"encoding/json"
	"unicode/utf8"
)

// maxDepth is encoding/json's limit on nesting.
const maxDepth = 10000

// parser decodes one JSON text into the values encoding/json gives an
// any (map[string]any, []any, string, bool, nil), numbers as
// json.Number. It only says whether the text is good: Unmarshal takes
// the error from json.Unmarshal, so that its wording is encoding/json's.
// It exists because json.Decoder, the library's way to json.Number,
// costs a record of the indexer four allocations and a copy more than
// json.Unmarshal did.
type parser struct {
	b     []byte
	i     int
	depth int
	bad   bool
}

// parse decodes b; ok is false if b is not one JSON text.
func parse(b []byte) (v any, ok bool) {
	p := parser{b: b}
	v = p.value()
	p.space()
	if p.bad || p.i != len(p.b) {
		return nil, false
	}
	return v, true
}

func (p *parser) fail() any {
	p.bad = true
	return nil
}

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value() any {
	p.space()
	if p.bad || p.i >= len(p.b) {
		return p.fail()
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, ok := p.str()
		if !ok {
			return p.fail()
		}
		return s
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	}
	return p.fail()
}

func (p *parser) literal(word string, v any) any {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return p.fail()
	}
	p.i += len(word)
	return v
}

func (p *parser) object() any {
	if p.depth++; p.depth > maxDepth {
		return p.fail()
	}
	p.i++ // {
	m := make(map[string]any)
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		p.depth--
		return m
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return p.fail()
		}
		k, ok := p.str()
		if !ok {
			return p.fail()
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return p.fail()
		}
		p.i++
		v := p.value()
		if p.bad {
			return nil
		}
		m[k] = v
		p.space()
		if p.i >= len(p.b) {
			return p.fail()
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return m
		default:
			return p.fail()
		}
	}
}

func (p *parser) array() any {
	if p.depth++; p.depth > maxDepth {
		return p.fail()
	}
	p.i++ // [
	l := []any{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		p.depth--
		return l
	}
	for {
		v := p.value()
		if p.bad {
			return nil
		}
		l = append(l, v)
		p.space()
		if p.i >= len(p.b) {
			return p.fail()
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return l
		default:
			return p.fail()
		}
	}
}

// number reads a number literal as JSON's grammar has it.
func (p *parser) number() any {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	first := p.i
	switch n := digits(); {
	case n == 0, n > 1 && p.b[first] == '0':
		return p.fail()
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return p.fail()
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return p.fail()
		}
	}
	return json.Number(p.b[start:p.i])
}

// str reads a string at p.i (a '"'), as encoding/json unquotes it:
// invalid UTF-8 and lone surrogates become U+FFFD.
func (p *parser) str() (string, bool) {
	start := p.i + 1
	for i := start; i < len(p.b); i++ {
		c := p.b[i]
		if c == '"' {
			p.i = i + 1
			return string(p.b[start:i]), true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			out, n, ok := AppendString(make([]byte, 0, i-start+16), p.b[p.i:])
			p.i += n
			return string(out), ok
		}
	}
	return "", false
}
