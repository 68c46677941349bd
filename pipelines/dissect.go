package pipelines

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// dissectKey is one %{…} of a dissect pattern.
type dissectKey struct {
	name     string
	skip     bool // %{} or %{?name}
	appendTo bool // %{+name}
	order    int  // %{+name/2}
	refKey   bool // %{*name}: the value names a field …
	refVal   bool // %{&name}: … that gets this value
	padding  bool // %{name->}: repeated delimiters after it are skipped
	after    string
	// Resolved once by parseDissect, so that dissect does no map
	// look-ups per key: the destination of a plain key, and whether the
	// key's value is collected for an append.
	dest    path
	collect bool
}

// dissector splits text on the literal delimiters between keys, left to
// right, without regular expressions.
type dissector struct {
	pattern string
	prefix  string
	keys    []dissectKey
	sep     string // append_separator
	paths   map[string]path
	// appended names the keys with %{+key} parts: their plain %{key} is
	// the first part, not a value of its own.
	appended map[string]bool
}

func parseDissect(p, appendSep string) (*dissector, error) {
	d := &dissector{pattern: p, sep: appendSep, paths: map[string]path{}}
	rest := p
	i := strings.Index(rest, "%{")
	if i < 0 {
		return nil, errors.New("dissect pattern has no %{key}")
	}
	d.prefix, rest = rest[:i], rest[i:]
	for rest != "" {
		if !strings.HasPrefix(rest, "%{") {
			return nil, fmt.Errorf("dissect pattern %q: expected %%{ at %q", p, rest)
		}
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return nil, fmt.Errorf("dissect pattern %q: %%{ without }", p)
		}
		k := dissectKey{}
		spec := rest[2:end]
		rest = rest[end+1:]
		if s, ok := strings.CutSuffix(spec, "->"); ok {
			k.padding, spec = true, s
		}
		switch {
		case spec == "":
			k.skip = true
		case spec[0] == '?':
			k.skip, spec = true, spec[1:]
		case spec[0] == '+':
			k.appendTo, spec = true, spec[1:]
			if name, ord, ok := strings.Cut(spec, "/"); ok {
				n, err := strconv.Atoi(ord)
				if err != nil {
					return nil, fmt.Errorf("dissect pattern %q: bad append order in %%{+%s}", p, spec)
				}
				spec, k.order = name, n
			}
		case spec[0] == '*':
			k.refKey, spec = true, spec[1:]
		case spec[0] == '&':
			k.refVal, spec = true, spec[1:]
		}
		k.name = spec
		j := strings.Index(rest, "%{")
		if j < 0 {
			j = len(rest)
		}
		k.after, rest = rest[:j], rest[j:]
		if k.after == "" && rest != "" {
			return nil, fmt.Errorf("dissect pattern %q: keys %%{%s} and the next one need a delimiter between them", p, k.name)
		}
		if !k.skip && !k.refKey && !k.refVal {
			d.paths[k.name] = newPath(k.name)
		}
		d.keys = append(d.keys, k)
	}
	d.appended = map[string]bool{}
	for _, k := range d.keys {
		if k.appendTo {
			d.appended[k.name] = true
			d.paths[k.name] = newPath(k.name)
		}
	}
	for i := range d.keys {
		k := &d.keys[i]
		k.collect = k.appendTo || d.appended[k.name]
		k.dest = d.paths[k.name]
	}
	return d, nil
}

type dissectAppend struct {
	order int
	seq   int
	val   string
}

// dissect writes the values of s into ev; it fails when a delimiter is not
// found.
func (d *dissector) dissect(ev Event, s string) error {
	if !strings.HasPrefix(s, d.prefix) {
		return fmt.Errorf("unable to find match for dissect pattern %q", d.pattern)
	}
	s = s[len(d.prefix):]
	var (
		appends map[string][]dissectAppend
		refKeys map[string]string
		refVals map[string]string
	)
	for i := range d.keys {
		k := &d.keys[i]
		var v string
		if k.after == "" {
			v, s = s, ""
		} else {
			j := strings.Index(s, k.after)
			if j < 0 {
				return fmt.Errorf("unable to find match for dissect pattern %q", d.pattern)
			}
			v, s = s[:j], s[j+len(k.after):]
			if k.padding {
				for strings.HasPrefix(s, k.after) {
					s = s[len(k.after):]
				}
			}
		}
		switch {
		case k.skip:
		case k.collect:
			if appends == nil {
				appends = map[string][]dissectAppend{}
			}
			appends[k.name] = append(appends[k.name], dissectAppend{order: k.order, seq: i, val: v})
		case k.refKey:
			if refKeys == nil {
				refKeys = map[string]string{}
			}
			refKeys[k.name] = v
		case k.refVal:
			if refVals == nil {
				refVals = map[string]string{}
			}
			refVals[k.name] = v
		default:
			if err := k.dest.set(ev, v); err != nil {
				return err
			}
		}
	}
	for name, parts := range appends {
		sort.SliceStable(parts, func(a, b int) bool { return parts[a].order < parts[b].order })
		vals := make([]string, 0, len(parts))
		for _, p := range parts {
			vals = append(vals, p.val)
		}
		if err := d.paths[name].set(ev, strings.Join(vals, d.sep)); err != nil {
			return err
		}
	}
	for name, key := range refKeys {
		if err := newPath(key).set(ev, refVals[name]); err != nil {
			return err
		}
	}
	return nil
}

func buildDissect(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.str("field", "message"))
	pat, pn := o.strNode("pattern")
	sep := o.str("append_separator", "")
	if pn == nil {
		o.errorf(nil, "missing required option pattern")
		return nil
	}
	d, err := parseDissect(pat, sep)
	if err != nil {
		o.errorf(pn, "pattern: %v", err)
		return nil
	}
	return func(ev Event, _ *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		return d.dissect(ev, s)
	}
}
