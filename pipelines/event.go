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

// listIndex reads a numeric path segment as an index into l, as the node
// does: an integer (Java's parseInt: a sign and leading zeros allowed)
// within the list.
func (p path) listIndex(l []any, seg string) (int, error) {
	i, err := strconv.Atoi(seg)
	if err != nil {
		return 0, fmt.Errorf("cannot use [%s] of [%s] as a list index: not an integer", seg, p.name)
	}
	if i < 0 || i >= len(l) {
		return 0, fmt.Errorf("list index [%d] of [%s] is out of bounds for a list of %d", i, p.name, len(l))
	}
	return i, nil
}

// container walks to what holds the last segment of p, as the node's
// setFieldValue does: an object key that is missing is created as an
// object when create is set (without create, container returns nil, nil),
// a segment after a list indexes it (in range), and anything else on the
// way (a scalar, null) fails.
func (p path) container(ev Event, create bool) (any, error) {
	var cur any = map[string]any(ev)
	for i, seg := range p.parts[:len(p.parts)-1] {
		if e, isEvent := cur.(Event); isEvent {
			cur = map[string]any(e)
		}
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[seg]
			if !ok {
				if !create {
					return nil, nil
				}
				m := make(map[string]any, 4)
				c[seg] = m
				next = m
			}
			cur = next
		case []any:
			j, err := p.listIndex(c, seg)
			if err != nil {
				return nil, err
			}
			cur = c[j]
		default:
			return nil, p.notContainer(i, cur)
		}
	}
	return cur, nil
}

// notContainer is the error of a path whose first i segments lead to v, a
// scalar or null, where an object or a list is needed.
func (p path) notContainer(i int, v any) error {
	if v == nil {
		return fmt.Errorf("cannot set [%s]: [%s] is null", p.name, strings.Join(p.parts[:i], "."))
	}
	return fmt.Errorf("cannot set [%s]: [%s] is a %s, not an object", p.name, strings.Join(p.parts[:i], "."), typeName(v))
}

// set writes v at p, creating intermediate objects; a last segment after a
// list replaces an element.
func (p path) set(ev Event, v any) error {
	if len(p.parts) == 1 {
		ev[p.name] = v
		return nil
	}
	c, err := p.container(ev, true)
	if err != nil {
		return err
	}
	if e, isEvent := c.(Event); isEvent {
		c = map[string]any(e)
	}
	last := p.parts[len(p.parts)-1]
	switch x := c.(type) {
	case map[string]any:
		x[last] = v
		return nil
	case []any:
		j, err := p.listIndex(x, last)
		if err != nil {
			return err
		}
		x[j] = v
		return nil
	}
	return p.notContainer(len(p.parts)-1, c)
}

// remove deletes p and reports whether it was present; a last segment
// after a list removes that element (the list is replaced by a shorter
// one).
func (p path) remove(ev Event) bool {
	if len(p.parts) == 1 {
		_, ok := ev[p.name]
		delete(ev, p.name)
		return ok
	}
	c, err := p.container(ev, false)
	if err != nil {
		return false
	}
	last := p.parts[len(p.parts)-1]
	switch x := c.(type) {
	case map[string]any:
		_, ok := x[last]
		delete(x, last)
		return ok
	case []any:
		j, err := p.listIndex(x, last)
		if err != nil {
			return false
		}
		shorter := make([]any, 0, len(x)-1)
		shorter = append(append(shorter, x[:j]...), x[j+1:]...)
		up := p.parts[:len(p.parts)-1]
		return path{name: strings.Join(up, "."), parts: up}.set(ev, shorter) == nil
	}
	return false
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
