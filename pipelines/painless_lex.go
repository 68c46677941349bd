package pipelines

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file splits Painless source into tokens for painless_parse.go and
// holds the errors that point into the source.

// plToken kinds.
const (
	tokEOF = iota
	tokIdent
	tokString
	tokNumber
	tokPunct
)

type plToken struct {
	kind int
	text string // identifier, punctuation, number text; a string's value
	at   int    // byte offset in the source
}

// plPuncts are the operators and punctuation of the subset, longest
// first. Those that are Painless but outside the subset are lexed too, so
// that the error names them.
var plPuncts = []string{
	"===", "!==", "==~", ">>>", "<<=", ">>=", "?.", "?:", "==", "!=", "<=", ">=", "&&", "||", "++", "--",
	"=~", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "->", "::", "<<", ">>",
	"(", ")", "[", "]", "{", "}", ".", ",", ";", "?", ":", "!", "<", ">", "=", "+", "-", "*", "/", "%",
	"&", "|", "^", "~",
}

func plLex(src string) ([]plToken, error) {
	var toks []plToken
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, plErrorf(i, "unterminated comment")
			}
			i += end + 4
		case c == '\'' || c == '"':
			s, n, err := plQuoted(src[i:])
			if err != nil {
				return nil, plErrorf(i, "%w", err)
			}
			toks = append(toks, plToken{tokString, s, i})
			i += n
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (isIdentByte(src[j]) || src[j] == '.' ||
				((src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E'))) {
				j++
			}
			toks = append(toks, plToken{tokNumber, src[i:j], i})
			i = j
		case isIdentByte(c):
			j := i
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			toks = append(toks, plToken{tokIdent, src[i:j], i})
			i = j
		default:
			p := ""
			for _, q := range plPuncts {
				if strings.HasPrefix(src[i:], q) {
					p = q
					break
				}
			}
			if p == "" {
				return nil, plErrorf(i, "unexpected character %q", rune(c))
			}
			toks = append(toks, plToken{tokPunct, p, i})
			i += len(p)
		}
	}
	return append(toks, plToken{tokEOF, "", len(src)}), nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// plQuoted reads a quoted string at the start of s: Painless strings
// take \\ and an escaped quote of their own kind, nothing else.
func plQuoted(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case q:
			if !utf8.ValidString(b.String()) { // Java's strings are Unicode; expr's too
				return "", 0, fmt.Errorf("a string that is not valid UTF-8")
			}
			return b.String(), i + 1, nil
		case '\\':
			if i+1 < len(s) && (s[i+1] == q || s[i+1] == '\\') {
				b.WriteByte(s[i+1])
				i++
				continue
			}
			return "", 0, fmt.Errorf("unsupported escape in a string (only \\\\ and \\%c)", q)
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

// plError is an error at a byte offset of the source.
type plError struct {
	at  int
	msg string
}

func (e *plError) Error() string { return fmt.Sprintf("column %d: %s", e.at+1, e.msg) }

func plErrorf(at int, format string, args ...any) error {
	return &plError{at: at, msg: fmt.Errorf(format, args...).Error()}
}

// plLocate rewrites a *plError inside err for a source that starts on
// line first of its file: the error's line in the file, and the message
// with the column in that line. Other errors come back as they are.
func plLocate(err error, src string, first int) (int, error) {
	var pe *plError
	if !errors.As(err, &pe) || pe.at > len(src) {
		return first, err
	}
	before := src[:pe.at]
	line := first + strings.Count(before, "\n")
	col := pe.at - strings.LastIndexByte(before, '\n')
	msg := strings.Replace(err.Error(), pe.Error(), fmt.Sprintf("column %d: %s", col, pe.msg), 1)
	return line, errors.New(msg)
}

func unsupported(at int, what string) error {
	return plErrorf(at, "%s is not in the supported Painless subset", what)
}

// plNumber reads an integer or decimal literal: 400, 400L, 1.5, 2e3, 1.5d,
// 1.5f. Hexadecimal and octal are outside the subset.
func plNumber(s string) (any, error) {
	t := strings.TrimRight(s, "lLdDfF")
	if len(t) < len(s)-1 || t == "" {
		return nil, fmt.Errorf("bad number %q", s)
	}
	suffix := strings.ToLower(s[len(t):])
	if !strings.ContainsAny(t, ".eE") && suffix != "d" && suffix != "f" {
		if len(t) > 1 && t[0] == '0' {
			return nil, fmt.Errorf("number %q: octal and hexadecimal literals are not in the supported Painless subset", s)
		}
		i, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", s)
		}
		return i, nil
	}
	if suffix == "l" {
		return nil, fmt.Errorf("bad number %q", s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || strings.ContainsAny(t, "xX_") {
		return nil, fmt.Errorf("bad number %q", s)
	}
	return f, nil
}
