package pipelines

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// metaValue is the key under _ingest holding foreach's current element.
const metaValue = "_value"

// buildForeach compiles foreach: its processor runs once for each element
// of the list in field, which it reads and changes as _ingest._value; the
// list becomes the values left there.
func buildForeach(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.required("field"))
	n := o.node("processor")
	if n == nil {
		o.errorf(nil, "missing required option processor")
		return nil
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		o.errorf(n, "processor: want one processor name mapped to its options")
		return nil
	}
	inner := o.d.step(n, o.label+".", 0)
	if inner == nil {
		return nil
	}
	return func(ev Event, st *state) error {
		v, ok, err := source(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		l, isList := v.([]any)
		if !isList {
			return fmt.Errorf("field [%s] is a %s, not a list", field, typeName(v))
		}
		out := make([]any, len(l))
		var term error // terminate ends the pipeline once the list is done
		for i, e := range l {
			r, err := foreachOne(ev, st, inner, e)
			if errors.Is(err, errTerminate) {
				term, err = err, nil
			}
			if err != nil {
				return err
			}
			out[i] = r
		}
		if err := field.set(ev, out); err != nil {
			return err
		}
		return term
	}
}

// foreachOne runs s with _ingest._value set to e and returns what is left
// there; _ingest is as it was afterwards.
func foreachOne(ev Event, st *state, s *step, e any) (any, error) {
	prev, had := ev[metaRoot]
	meta := map[string]any{}
	if pm, ok := prev.(map[string]any); ok {
		for k, v := range pm {
			meta[k] = v
		}
	}
	meta[metaValue] = e
	ev[metaRoot] = meta
	err := s.run(ev, st)
	var r any
	if m, ok := ev[metaRoot].(map[string]any); ok {
		r = m[metaValue]
	}
	if had {
		ev[metaRoot] = prev
	} else {
		delete(ev, metaRoot)
	}
	return r, err
}
