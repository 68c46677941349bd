package jsonnum

import (
	"encoding/json"
	"unicode/utf16"
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
	p.i++ // "
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		p.i++
	}
	out := make([]byte, p.i-start, p.i-start+16)
	copy(out, p.b[start:p.i])
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), true
		case c < 0x20:
			return "", false
		case c == '\\':
			p.i++
			if p.i >= len(p.b) {
				return "", false
			}
			e := p.b[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(r) {
					if r2, ok2 := p.nextU(); ok2 {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							p.i += 6
							out = utf8.AppendRune(out, dec)
							continue
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", false
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, p.b[p.i:p.i+size]...)
			}
			p.i += size
		}
	}
	return "", false
}

// hex4 reads the four hex digits of a \u escape.
func (p *parser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	p.i += 4
	return r, true
}

// nextU peeks at a \uXXXX escape following a surrogate, without moving.
func (p *parser) nextU() (rune, bool) {
	if len(p.b)-p.i < 6 || p.b[p.i] != '\\' || p.b[p.i+1] != 'u' {
		return 0, false
	}
	save := p.i
	p.i += 2
	r, ok := p.hex4()
	p.i = save
	return r, ok
}
