package pipelines

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	// Zone names in timezone: work without the host's zoneinfo files.
	_ "time/tzdata"
)

const defaultOutputLayout = "2006-01-02T15:04:05.000Z07:00" // yyyy-MM-dd'T'HH:mm:ss.SSSXXX

// dateFormat is one entry of a date processor's formats.
type dateFormat struct {
	name    string // as written
	kind    dateKind
	layout  string // Go layout, for kind layoutDate
	hasYear bool
}

type dateKind int

const (
	layoutDate dateKind = iota
	iso8601Date
	unixDate
	unixMSDate
	tai64nDate
)

func parseDateFormat(f string) (dateFormat, error) {
	switch f {
	case "ISO8601":
		return dateFormat{name: f, kind: iso8601Date, hasYear: true}, nil
	case "UNIX":
		return dateFormat{name: f, kind: unixDate, hasYear: true}, nil
	case "UNIX_MS":
		return dateFormat{name: f, kind: unixMSDate, hasYear: true}, nil
	case "TAI64N":
		return dateFormat{name: f, kind: tai64nDate, hasYear: true}, nil
	}
	layout, hasYear, err := javaLayout(f)
	if err != nil {
		return dateFormat{}, err
	}
	return dateFormat{name: f, kind: layoutDate, layout: layout, hasYear: hasYear}, nil
}

// javaLayout translates a Java (java.time / Joda) date pattern into a Go
// layout. Letters are pattern symbols, text in single quotes is literal,
// everything else is copied.
func javaLayout(p string) (layout string, hasYear bool, err error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return "", false, fmt.Errorf("date pattern %q: unterminated quote", p)
			}
			if j == 0 {
				b.WriteByte('\'')
			} else {
				b.WriteString(p[i+1 : i+1+j])
			}
			i += j + 2
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
			i++
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		i += n
		var tok string
		switch c {
		case 'y', 'u', 'Y':
			hasYear = true
			tok = "2006"
			if n == 2 {
				tok = "06"
			}
		case 'M', 'L':
			tok = [...]string{"1", "01", "Jan", "January"}[min(n, 4)-1]
		case 'd':
			tok = "2"
			if n >= 2 {
				tok = "02"
			}
		case 'H', 'k':
			tok = "15"
		case 'h', 'K':
			tok = "3"
			if n >= 2 {
				tok = "03"
			}
		case 'm':
			tok = "4"
			if n >= 2 {
				tok = "04"
			}
		case 's':
			tok = "5"
			if n >= 2 {
				tok = "05"
			}
		case 'S':
			// Go wants the fraction right after the seconds with its separator.
			s := b.String()
			if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, ",") {
				return "", false, fmt.Errorf("date pattern %q: S (fraction of second) must follow \"ss.\" or \"ss,\"", p)
			}
			tok = strings.Repeat("0", n)
		case 'a':
			tok = "PM"
		case 'E':
			tok = "Mon"
			if n >= 4 {
				tok = "Monday"
			}
		case 'Z':
			switch n {
			case 1, 3:
				tok = "-0700"
			default:
				tok = "-07:00"
			}
		case 'X':
			tok = [...]string{"Z07", "Z0700", "Z07:00"}[min(n, 3)-1]
		case 'x':
			tok = [...]string{"-07", "-0700", "-07:00"}[min(n, 3)-1]
		case 'z':
			tok = "MST"
		default:
			return "", false, fmt.Errorf("date pattern %q: symbol %s is not supported", p, strings.Repeat(string(c), n))
		}
		b.WriteString(tok)
	}
	return b.String(), hasYear, nil
}

// isoLayouts are tried in turn for ISO8601; a missing zone means the
// processor's timezone. Go accepts a fraction of second after the seconds
// even when the layout has none.
var isoLayouts = [...]string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02",
}

func (f *dateFormat) parse(s string, loc *time.Location, now func() time.Time) (time.Time, error) {
	switch f.kind {
	case iso8601Date:
		for _, l := range isoLayouts {
			if len(s) < len("2006-01-02") || (len(l) > 10 && len(s) > 10 && l[10] != s[10]) {
				continue
			}
			if t, err := time.ParseInLocation(l, s, loc); err == nil {
				return t, nil
			}
		}
		return time.Time{}, errors.New("not ISO8601")
	case unixDate:
		ms, err := javaUnixMillis(s)
		if err != nil {
			return time.Time{}, err
		}
		return time.UnixMilli(ms), nil
	case unixMSDate:
		// A whole number of milliseconds (Java's Long.parseLong, as the
		// node): no fraction, exponent or spaces.
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, err
		}
		return time.UnixMilli(n), nil
	case tai64nDate:
		s = strings.TrimPrefix(s, "@")
		if len(s) != 24 {
			return time.Time{}, errors.New("TAI64N is @ and 24 hex digits")
		}
		label, err1 := strconv.ParseUint(s[:16], 16, 64)
		nano, err2 := strconv.ParseUint(s[16:], 16, 32)
		if err1 != nil || err2 != nil || label < 1<<62 {
			return time.Time{}, errors.New("not TAI64N")
		}
		// TAI runs 10 s ahead of UTC at the TAI64 epoch; later leap
		// seconds are not accounted for, as in Elasticsearch.
		return time.Unix(int64(label-1<<62)-10, int64(nano)), nil
	}
	t, err := time.ParseInLocation(f.layout, s, loc)
	if err != nil {
		return t, err
	}
	if !f.hasYear {
		// Syslog-style dates have no year: take the current one, or the
		// previous one for a date more than two days ahead (a December line
		// read in January).
		n := now().In(loc)
		t = time.Date(n.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
		if t.After(n.Add(48 * time.Hour)) {
			t = t.AddDate(-1, 0, 0)
		}
	}
	return t, nil
}

func buildDate(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.required("field"))
	target := newPath(o.str("target_field", "@timestamp"))
	outFmt, on := o.strNode("output_format")
	loc, formats, names, ok := dateParsing(o, "formats", nil)
	if !ok {
		return nil
	}
	outLayout := defaultOutputLayout
	if on != nil {
		l, _, err := javaLayout(outFmt)
		if err != nil {
			o.errorf(on, "output_format: %v", err)
			return nil
		}
		outLayout = l
	}
	defaultOut := on == nil
	return func(ev Event, st *state) error {
		v, ok, err := source(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		s := toString(v)
		for i := range formats {
			t, err := formats[i].parse(s, loc, st.now)
			if err == nil {
				t = t.In(loc)
				out := t.Format(outLayout)
				if defaultOut && t.Year() > 9999 {
					out = "+" + out // java.time signs a year of more than four digits
				}
				return target.set(ev, out)
			}
		}
		return fmt.Errorf("unable to parse date [%s] of field [%s] with formats %v", s, field, names)
	}
}

// dateParsing reads the options a date is parsed with, shared by date
// and date_index_name: timezone (default UTC), locale (English only) and
// the formats under key (def when absent; nil: required).
func dateParsing(o *opts, key string, def []string) (loc *time.Location, formats []dateFormat, names []string, ok bool) {
	tz, tzn := o.strNode("timezone")
	locale, ln := o.strNode("locale")
	fn := o.node(key)
	names = o.strs(key)
	if fn == nil && def != nil {
		names = def
	} else if fn == nil || len(names) == 0 {
		o.errorf(fn, "%s: want at least one format (ISO8601, UNIX, UNIX_MS, TAI64N or a Java pattern)", key)
		return nil, nil, nil, false
	}
	loc = time.UTC
	if tzn != nil {
		l, err := time.LoadLocation(tz)
		if err != nil {
			o.errorf(tzn, "timezone: %v", err)
			return nil, nil, nil, false
		}
		loc = l
	}
	if ln != nil {
		switch strings.ToLower(strings.ReplaceAll(locale, "-", "_")) {
		case "", "en", "english", "en_us", "en_gb", "root", "us", "uk":
		default:
			o.errorf(ln, "locale: only English month and day names are supported, not %q", locale)
		}
	}
	formats = make([]dateFormat, 0, len(names))
	for i, name := range names {
		f, err := parseDateFormat(name)
		if err != nil {
			n := fn
			if fn != nil && fn.Kind == 2 && i < len(fn.Content) { // yaml.SequenceNode
				n = fn.Content[i]
			}
			o.errorf(n, "%s[%d]: %v", key, i, err)
			continue
		}
		formats = append(formats, f)
	}
	return loc, formats, names, true
}

// javaUnixMillis reads UNIX seconds as the node does: Java's
// Double.parseDouble (surrounding spaces, a d/f suffix, exponents, hex with
// a p exponent, NaN and Infinity spelled so), times 1000, cast to a long
// (towards zero; NaN is 0, out of range the nearest long).
func javaUnixMillis(s string) (int64, error) {
	t := strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if n := len(t); n > 1 && strings.IndexByte("dDfF", t[n-1]) >= 0 {
		t = t[:n-1]
	}
	unsigned := strings.TrimLeft(t, "+-")
	if len(t)-len(unsigned) > 1 || strings.Contains(t, "_") {
		return 0, fmt.Errorf("[%s] is not a number of seconds", s)
	}
	if lower := strings.ToLower(unsigned); (strings.Contains(lower, "inf") || strings.Contains(lower, "nan")) && unsigned != "Infinity" && unsigned != "NaN" {
		return 0, fmt.Errorf("[%s] is not a number of seconds", s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("[%s] is not a number of seconds", s)
	}
	ms := f * 1000
	switch {
	case math.IsNaN(ms):
		return 0, nil
	case ms >= math.MaxInt64:
		return math.MaxInt64, nil
	case ms <= math.MinInt64:
		return math.MinInt64, nil
	}
	return int64(ms), nil
}
