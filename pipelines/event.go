package pipelines

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicelogs/sluice/internal/jsonnum"
)

// Event is one document flowing through a pipeline: decoded JSON, with
// nested objects as map[string]any and arrays as []any.
type Event map[string]any

// path is a dotted field name split once, when a definition is loaded, so
// that the hot path never splits strings: "http.response.status_code" reads
// ev["http"]["response"]["status_code"], as Elasticsearch ingest does.
type path struct {
	name  string   // as written, for error messages
	parts []string // name split on "."
}

func newPath(name string) path {
	return path{name: name, parts: strings.Split(name, ".")}
}

func (p path) String() string { return p.name }

// index reads a list element for a numeric path segment.
func index(l []any, seg string) (any, bool) {
	i, err := strconv.Atoi(seg)
	if err != nil || i < 0 || i >= len(l) {
		return nil, false
	}
	return l[i], true
}

// get returns the value at p and whether it is present.
func (p path) get(ev Event) (any, bool) {
	var cur any = map[string]any(ev)
	for _, seg := range p.parts {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case Event:
			v, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			v, ok := index(c, seg)
			if !ok {
				return nil, false
			}
			cur = v
		default:
			return nil, false
		}
	}
	return cur, true
}

// parent returns the object holding the last segment of p, creating the
// missing objects on the way when create is set.
func (p path) parent(ev Event, create bool) (map[string]any, error) {
	cur := map[string]any(ev)
	for i, seg := range p.parts[:len(p.parts)-1] {
		next, ok := cur[seg]
		if !ok || next == nil {
			if !create {
				return nil, nil
			}
			m := make(map[string]any, 4)
			cur[seg] = m
			cur = m
			continue
		}
		switch n := next.(type) {
		case map[string]any:
			cur = n
		case Event:
			cur = n
		case []any:
			// A numeric segment addresses a list element holding an object.
			v, ok := index(n, p.parts[i+1])
			if m, isMap := v.(map[string]any); ok && isMap && i+1 < len(p.parts)-1 {
				// Consumed two segments: continue from the element.
				sub := path{name: p.name, parts: p.parts[i+2:]}
				return sub.parent(m, create)
			}
			return nil, fmt.Errorf("cannot set [%s]: [%s] is a list", p.name, strings.Join(p.parts[:i+1], "."))
		default:
			return nil, fmt.Errorf("cannot set [%s]: [%s] is a %s, not an object", p.name, strings.Join(p.parts[:i+1], "."), typeName(next))
		}
	}
	return cur, nil
}

// set writes v at p, creating intermediate objects.
func (p path) set(ev Event, v any) error {
	if len(p.parts) == 1 {
		ev[p.name] = v
		return nil
	}
	m, err := p.parent(ev, true)
	if err != nil {
		return err
	}
	m[p.parts[len(p.parts)-1]] = v
	return nil
}

// remove deletes p and reports whether it was present.
func (p path) remove(ev Event) bool {
	if len(p.parts) == 1 {
		_, ok := ev[p.name]
		delete(ev, p.name)
		return ok
	}
	m, err := p.parent(ev, false)
	if err != nil || m == nil {
		return false
	}
	last := p.parts[len(p.parts)-1]
	_, ok := m[last]
	delete(m, last)
	return ok
}

// Get returns the value at a dotted field name.
func (ev Event) Get(field string) (any, bool) { return newPath(field).get(ev) }

// Set writes v at a dotted field name, creating intermediate objects.
func (ev Event) Set(field string, v any) error { return newPath(field).set(ev, v) }

// Remove deletes the value at a dotted field name.
func (ev Event) Remove(field string) bool { return newPath(field).remove(ev) }

// Clone returns a deep copy of ev (objects and lists are copied, scalars
// shared).
func (ev Event) Clone() Event {
	return Event(cloneMap(ev))
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case Event:
		return cloneMap(x)
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = cloneValue(e)
		}
		return l
	}
	return v
}

func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int, int64, int32, uint64:
		return "integer"
	case float64, float32:
		return "number"
	case json.Number:
		if jsonnum.IsInteger(x) {
			return "integer"
		}
		return "number"
	case map[string]any, Event:
		return "object"
	case []any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}
