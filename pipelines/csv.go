package pipelines

import (
	"fmt"
	"unicode/utf8"
)

// buildCSV compiles the csv processor: the field's text read as one CSV
// line, its columns written to target_fields in order. As Elasticsearch
// does, a column with nothing in it is skipped unless empty_value is given,
// columns beyond target_fields are ignored, a quote is doubled inside a
// quoted column, and trim drops spaces and tabs around columns.
func buildCSV(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.required("field"))
	names := o.strs("target_fields")
	if len(names) == 0 && o.keys["target_fields"][1] == nil {
		o.errorf(nil, "missing required option target_fields")
	} else if len(names) == 0 {
		o.errorf(o.keys["target_fields"][1], "target_fields: want at least one field")
	}
	sep := o.char("separator", ',')
	quote := o.char("quote", '"')
	trim := o.boolean("trim", false)
	empty, hasEmpty := o.value("empty_value")
	if len(names) == 0 {
		return nil
	}
	targets := make([]path, len(names))
	for i, n := range names {
		targets[i] = newPath(n)
	}
	p := csvLine{sep: sep, quote: quote, trim: trim}
	return func(ev Event, _ *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		cols, err := p.split(s, len(targets))
		if err != nil {
			return fmt.Errorf("field [%s]: %w", field, err)
		}
		for i, c := range cols {
			var v any = c
			if c == "" {
				if !hasEmpty {
					continue
				}
				v = cloneValue(empty)
			}
			if err := targets[i].set(ev, v); err != nil {
				return err
			}
		}
		return nil
	}
}

// char reads an option that must be a single character; def when absent.
func (o *opts) char(key string, def rune) rune {
	s, n := o.strNode(key)
	if n == nil {
		return def
	}
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || size != len(s) {
		o.errorf(n, "%s: want a single character, not %q", key, s)
		return def
	}
	return r
}
