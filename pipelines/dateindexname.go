package pipelines

import (
	"fmt"
	"strings"
	"time"
)

// defaultIndexNameDateFormats is date_index_name's date_formats when
// none are given, as in Elasticsearch 7 and later.
var defaultIndexNameDateFormats = []string{"yyyy-MM-dd'T'HH:mm:ss.SSSXX"}

// buildDateIndexName compiles date_index_name: it parses the date in
// field (date_formats, as the date processor does, in timezone) and sets
// the event's _index to a date-math index name that Elasticsearch
// resolves when it indexes the document:
//
//	<{index_name_prefix}{{date in index_name_format}||/{date_rounding}{{index_name_format}|{timezone}}}>
//
// e.g. <logs-{2024-01-02||/d{yyyy-MM-dd|UTC}}>. index_name_prefix,
// date_rounding (y, M, w, d, h, m or s) and index_name_format (default
// yyyy-MM-dd) are templates. Like the node, every format is tried and the
// last that parses wins, and date_rounding is not checked here:
// Elasticsearch refuses a bad one when the document is indexed. The
// indexer takes _index out of the document and writes it there.
func buildDateIndexName(o *opts, _ bool) doFunc {
	field := newPath(o.required("field"))
	rounding := o.required("date_rounding")
	prefix := o.str("index_name_prefix", "")
	format := o.str("index_name_format", "yyyy-MM-dd")
	loc, formats, names, ok := dateParsing(o, "date_formats", defaultIndexNameDateFormats)
	if !ok {
		return nil
	}
	tmpls := make([]*template, 3)
	for i, s := range []string{prefix, rounding, format} {
		t, err := parseTemplate(s)
		if err != nil {
			o.errorf(nil, "%v", err)
			return nil
		}
		tmpls[i] = t
	}
	if tmpls[2].static() {
		if _, _, err := javaLayout(format); err != nil {
			o.errorf(o.node("index_name_format"), "index_name_format: %v", err)
			return nil
		}
	}
	zone := loc.String()
	return func(ev Event, st *state) error {
		v, _, err := source(ev, field, false)
		if err != nil {
			return err
		}
		s := toString(v)
		var t time.Time
		parsed := false
		for i := range formats {
			if ti, err := formats[i].parse(s, loc, st.now); err == nil {
				t, parsed = ti, true // no break: the node keeps the last that parses
			}
		}
		if !parsed {
			return fmt.Errorf("unable to parse date [%s] of field [%s] with formats %v", s, field, names)
		}
		nameFormat := tmpls[2].render(ev)
		layout, _, err := javaLayout(nameFormat)
		if err != nil {
			return fmt.Errorf("index_name_format: %w", err)
		}
		var b strings.Builder
		b.WriteString("<")
		b.WriteString(tmpls[0].render(ev))
		b.WriteString("{")
		b.WriteString(t.In(loc).Format(layout))
		b.WriteString("||/")
		b.WriteString(tmpls[1].render(ev))
		b.WriteString("{")
		b.WriteString(nameFormat)
		b.WriteString("|")
		b.WriteString(zone)
		b.WriteString("}}>")
		ev[IndexField] = b.String()
		return nil
	}
}
