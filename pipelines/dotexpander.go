package pipelines

import (
	"fmt"
	"sort"
	"strings"
)

// buildDotExpander compiles dot_expander: a top-level field whose name
// holds dots ("a.b") becomes the nested field it names (a: {b: …}); field
// "*" expands every such field. path names the object holding the field
// instead of the top level. When the nested field exists already, the
// value is appended to it (a list), or replaces it with override.
func buildDotExpander(o *opts, _ bool) doFunc {
	field, fn := o.strNode("field")
	if fn == nil {
		o.errorf(nil, "missing required option field")
		return nil
	}
	parent := o.str("path", "")
	override := o.boolean("override", false)
	switch {
	case field != "*" && !strings.Contains(field, "."):
		o.errorf(fn, "field: %q has no dot to expand and is not *", field)
		return nil
	case strings.HasPrefix(field, ".") || strings.HasSuffix(field, "."):
		o.errorf(fn, "field: %q starts or ends with a dot", field)
		return nil
	case strings.Contains(field, ".."):
		o.errorf(fn, "field: %q has two dots in a row", field)
		return nil
	}
	var pp path
	if parent != "" {
		pp = newPath(parent)
	}
	return func(ev Event, _ *state) error {
		m := map[string]any(ev)
		if parent != "" {
			v, ok := pp.get(ev)
			if !ok {
				return missingError(pp)
			}
			if m, ok = asObject(v); !ok {
				return fmt.Errorf("field [%s] is a %s, not an object", pp, typeName(v))
			}
		}
		keys := []string{field}
		if field == "*" {
			keys = keys[:0]
			for k := range m {
				if strings.Index(k, ".") > 0 {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
		}
		for _, k := range keys {
			full := k
			if parent != "" {
				full = parent + "." + k
			}
			if err := expandDot(ev, m, k, newPath(full), override); err != nil {
				return err
			}
		}
		return nil
	}
}

func asObject(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case Event:
		return x, true
	}
	return nil, false
}

// expandDot moves m[key] to the nested field full.
func expandDot(ev Event, m map[string]any, key string, full path, override bool) error {
	v, ok := m[key]
	if !ok {
		return nil
	}
	if cur, exists := full.get(ev); exists {
		delete(m, key)
		if override {
			return full.set(ev, v)
		}
		return full.set(ev, appendAll(cur, v))
	}
	for i := 1; i < len(full.parts); i++ {
		p := path{name: strings.Join(full.parts[:i], "."), parts: full.parts[:i]}
		pv, exists := p.get(ev)
		if !exists {
			break
		}
		if _, isObj := asObject(pv); !isObj {
			return fmt.Errorf("cannot expand [%s]: [%s] is a %s, not an object", full, p, typeName(pv))
		}
	}
	delete(m, key)
	return full.set(ev, v)
}

// appendAll appends v (each of its elements when it is a list) to cur,
// which becomes a list if it is not one, as Elasticsearch's
// appendFieldValue does.
func appendAll(cur, v any) []any {
	l, isList := cur.([]any)
	if !isList {
		l = []any{cur}
	}
	if vl, ok := v.([]any); ok {
		return append(l, vl...)
	}
	return append(l, v)
}
