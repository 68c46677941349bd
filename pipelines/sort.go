package pipelines

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
)

// buildSort compiles sort: a list of strings, of integers or of other
// numbers, sorted in order asc (the default) or desc. Like Elasticsearch,
// which compares the elements as Java Comparables, it fails on a list that
// mixes kinds (strings and numbers, integers and fractions) or holds
// objects, lists or nulls.
func buildSort(o *opts, ignoreMissing bool) doFunc {
	field, target := fieldTarget(o, "")
	order, on := o.strNode("order")
	desc := false
	switch order {
	case "", "asc":
	case "desc":
		desc = true
	default:
		o.errorf(on, "order: want asc or desc, not %q", order)
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
		cmp, err := sortCompare(field, l)
		if err != nil {
			return err
		}
		out := slices.Clone(l)
		slices.SortStableFunc(out, cmp)
		if desc {
			slices.Reverse(out)
		}
		return target.set(ev, out)
	}
}

// sortCompare returns the comparison for the kind all elements of l share.
func sortCompare(field path, l []any) (func(a, b any) int, error) {
	if len(l) == 0 {
		return func(any, any) int { return 0 }, nil
	}
	kind := typeName(l[0])
	for i, e := range l {
		if k := typeName(e); k != kind {
			return nil, fmt.Errorf("field [%s]: cannot sort a %s [%d] among %ss", field, k, i, kind)
		}
	}
	switch l[0].(type) {
	case string:
		return func(a, b any) int { return compareUTF16(a.(string), b.(string)) }, nil
	case int64, float64, json.Number:
		return compareNumbers, nil
	case bool:
		return func(a, b any) int { return compareOrdered(boolInt(a.(bool)), boolInt(b.(bool))) }, nil
	}
	return nil, fmt.Errorf("field [%s]: cannot sort a list of %ss", field, kind)
}

// compareNumbers compares two numbers of one kind (typeName), each an
// int64, a float64 or a json.Number as decoded.
func compareNumbers(a, b any) int {
	x, y := numberValue(a), numberValue(b)
	xi, xok := x.(int64)
	yi, yok := y.(int64)
	if xok && yok {
		return compareOrdered(xi, yi)
	}
	return compareOrdered(asFloat(x), asFloat(y))
}

// asFloat is an int64 or float64 (numberValue's results) as a float64.
func asFloat(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

func compareOrdered[T int64 | float64 | int](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// compareUTF16 orders strings as Java's String.compareTo does, by UTF-16
// code units (which differs from byte order above U+FFFF).
func compareUTF16(a, b string) int {
	if !strings.ContainsFunc(a, isAstral) && !strings.ContainsFunc(b, isAstral) {
		return strings.Compare(a, b) // UTF-8 byte order is code point order
	}
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func isAstral(r rune) bool { return r > 0xFFFF }
