package pipelines

import (
	"fmt"
	"strings"
)

// buildJoin compiles join: the elements of a list written as strings and
// joined with separator.
func buildJoin(o *opts, ignoreMissing bool) doFunc {
	field, target := fieldTarget(o, "")
	sep, sn := o.strNode("separator")
	if sn == nil {
		o.errorf(nil, "missing required option separator")
		return nil
	}
	return func(ev Event, _ *state) error {
		v, ok, err := source(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		l, isList := v.([]any)
		if !isList {
			return fmt.Errorf("field [%s] is a %s, not a list", field, typeName(v))
		}
		parts := make([]string, len(l))
		for i, e := range l {
			if e == nil {
				parts[i] = "null" // Java's String.valueOf
				continue
			}
			parts[i] = toString(e)
		}
		return target.set(ev, strings.Join(parts, sep))
	}
}
