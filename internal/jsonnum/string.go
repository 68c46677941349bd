package jsonnum

import (
	"unicode/utf16"
	"unicode/utf8"
)

// AppendString decodes the JSON string b starts with (at its opening
// quote) as encoding/json unquotes it — invalid UTF-8 and lone
// surrogates become U+FFFD — and appends it to dst. n is the length of
// the string in b, quotes included; ok is false if b does not start with
// a JSON string.
func AppendString(dst, b []byte) (out []byte, n int, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return dst, 0, false
	}
	out = dst
	for i := 1; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			return out, i + 1, true
		case c < 0x20:
			return out, 0, false
		case c == '\\':
			if i+1 >= len(b) {
				return out, 0, false
			}
			e := b[i+1]
			i += 2
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
				r, ok := hex4(b[i:])
				if !ok {
					return out, 0, false
				}
				i += 4
				if utf16.IsSurrogate(r) {
					if r2, ok2 := nextU(b[i:]); ok2 {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							i += 6
							out = utf8.AppendRune(out, dec)
							continue
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				return out, 0, false
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[i:i+size]...)
			}
			i += size
		}
	}
	return out, 0, false
}

// hex4 reads the four hex digits of a \u escape that b starts with.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
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
	return r, true
}

// nextU reads a \uXXXX escape that b starts with (the one following a
// surrogate).
func nextU(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	return hex4(b[2:])
}
