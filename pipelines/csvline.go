package pipelines

import (
	"fmt"
	"strings"
)

// csvLine splits one line of CSV the way Elasticsearch's csv processor
// does, quirks included, so that a pipeline gives the same documents on
// both:
//   - a quote inside an unquoted column, a line break outside quotes,
//     anything but spaces and the separator after a closing quote, and an
//     unclosed quote are errors;
//   - spaces before an opening quote and after a closing one are dropped;
//   - trim drops spaces before a column and before the separator after it,
//     not at the end of the line;
//   - a line that ends in the separator, or is empty or blank, has no last
//     column;
//   - without trim, a column of spaces only ends up empty and its spaces
//     start the next column (" ,b" gives "", ",b").
type csvLine struct {
	sep, quote rune
	trim       bool
}

func csvSpace(r rune) bool { return r == ' ' || r == '\t' }

// csvSplitter is the state of one split.
type csvSplitter struct {
	csvLine
	line []rune
	max  int
	from int             // start of the pending text of the column
	buf  strings.Builder // text of a quoted column before a doubled quote
	cols []string
}

// split returns at most max columns of s.
func (p csvLine) split(s string, max int) ([]string, error) {
	c := &csvSplitter{csvLine: p, line: []rune(s), max: max}
	return c.cols, c.run()
}

// column ends the current column at end; it reports whether max columns
// are done.
func (c *csvSplitter) column(end int) bool {
	v := string(c.line[c.from:end])
	if c.buf.Len() > 0 {
		v = c.buf.String() + v
		c.buf.Reset()
	}
	c.cols = append(c.cols, v)
	return len(c.cols) >= c.max
}

func (c *csvSplitter) run() error {
	const (
		start = iota
		unquoted
		quoted
		quotedEnd
	)
	st := start
	spaces := 0 // trailing spaces of an unquoted column, with trim
	for i := 0; i < len(c.line); i++ {
		r := c.line[i]
		switch st {
		case start:
			switch {
			case r == c.quote:
				st, c.from = quoted, i+1
			case r == c.sep:
				c.from++
				if c.column(c.from) {
					return nil
				}
			case csvSpace(r):
				if c.trim {
					c.from++
				}
			default:
				st, spaces = unquoted, 0
			}
		case unquoted:
			switch {
			case r == '\n' || r == '\r' || r == c.quote:
				return fmt.Errorf("illegal character %q inside an unquoted column at %d", r, i)
			case r == c.sep:
				st = start
				if c.column(i - spaces) {
					return nil
				}
				c.from = i + 1
			case c.trim && csvSpace(r):
				spaces++
			default:
				spaces = 0
			}
		case quoted:
			if r == c.quote {
				st = quotedEnd
			}
		case quotedEnd:
			if r == c.quote { // a doubled quote: one quote in the text
				c.buf.WriteString(string(c.line[c.from : i-1]))
				c.buf.WriteRune(c.quote)
				st, c.from = quoted, i+1
				continue
			}
			if err := c.afterQuote(&i); err != nil || i >= len(c.line) || len(c.cols) >= c.max {
				return err
			}
			st = start
		}
	}
	switch st {
	case unquoted:
		c.column(len(c.line))
	case quotedEnd:
		c.column(len(c.line) - 1)
	case quoted:
		return fmt.Errorf("unclosed quote")
	}
	return nil
}

// afterQuote ends a quoted column at the closing quote before *i and skips
// spaces up to the separator, leaving *i on it (or at the end of the line).
func (c *csvSplitter) afterQuote(i *int) error {
	ended := false
	end := func() bool {
		if ended {
			return false
		}
		ended = true
		return c.column(*i - 1)
	}
	for ; *i < len(c.line); *i++ {
		r := c.line[*i]
		switch {
		case r == c.sep:
			if end() {
				return nil
			}
			c.from = *i + 1
			return nil
		case csvSpace(r):
			if end() {
				return nil
			}
		default:
			return fmt.Errorf("character %q after a quoted column at %d", r, *i)
		}
	}
	return nil
}
