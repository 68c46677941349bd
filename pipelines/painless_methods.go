package pipelines

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/expr-lang/expr"

	"github.com/sluicelogs/sluice/internal/jsonnum"
)

// plMethod is a method of the Painless subset: the Java method of the
// receiver's class (String, List or Map), dispatched at run time as
// Painless's def calls are.
type plMethod struct {
	args    int
	boolean bool // returns a boolean
	do      func(recv any, args []any) (any, error)
}

// plMethods are the supported methods; add is translated apart (see
// plTranslator.call) and only its arity is here.
var plMethods = map[string]plMethod{
	"contains":    {1, true, plContains},
	"containsKey": {1, true, plContainsKey},
	"startsWith":  {1, true, plStrings(strings.HasPrefix)},
	"endsWith":    {1, true, plStrings(strings.HasSuffix)},
	"equals":      {1, true, func(r any, a []any) (any, error) { return equalValues(plNorm(r), plNorm(a[0])), nil }},
	"isEmpty":     {0, true, plIsEmpty},
	"length":      {0, false, plLength},
	"size":        {0, false, plSize},
	"toLowerCase": {0, false, plString(strings.ToLower)},
	"toUpperCase": {0, false, plString(strings.ToUpper)},
	"trim":        {0, false, plString(func(s string) string { return strings.TrimLeft(strings.TrimRight(s, plSpaces), plSpaces) })},
	"remove":      {1, false, plRemove},
	"add":         {1, true, nil},
}

// plSpaces are what Java's String.trim removes: code points up to U+0020.
const plSpaces = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "

func checkMethod(c *plCall) error {
	m, ok := plMethods[c.method]
	if !ok {
		names := make([]string, 0, len(plMethods))
		for n := range plMethods {
			names = append(names, n)
		}
		sort.Strings(names)
		return unsupported(c.at, fmt.Sprintf("method %s() (supported: %s)", c.method, strings.Join(names, ", ")))
	}
	if len(c.args) != m.args {
		return plErrorf(c.at, "%s() takes %d argument(s), not %d", c.method, m.args, len(c.args))
	}
	return nil
}

// painlessOptions are the expr functions every Painless program may call.
var painlessOptions = func() []expr.Option {
	opts := []expr.Option{
		expr.Function(plBoolFunc, func(a ...any) (any, error) { return plBool(a[0]) }),
		expr.Function(plAddFunc, func(a ...any) (any, error) { return plAdd(a[0], a[1]) }),
		expr.Function(plPutFunc, func(a ...any) (any, error) { return nil, plPut(a[0], a[1], a[2]) }),
		expr.Function(plDivFunc, func(a ...any) (any, error) { return plDiv(a[0].(string), a[1], a[2]) }),
		expr.Function(plLiteralFunc, func(a ...any) (any, error) { return normalize(a[0]), nil }),
		expr.Function(plEqFunc, func(a ...any) (any, error) { return plEq(a[0], a[1]), nil }),
		expr.Function(plNumFunc, func(a ...any) (any, error) { return plNum(a[0]) }),
		expr.Function(plIndexFunc, func(a ...any) (any, error) { return plIndexValue(a[0], a[1]) }),
		expr.Function(plAppendFunc, func(a ...any) (any, error) { return plListAdd(a[0].(bool), a[1], a[2], a[3]) }),
	}
	for name, m := range plMethods {
		if m.do == nil {
			continue
		}
		name, do := name, m.do
		opts = append(opts, expr.Function(plMethodPre+name, func(a ...any) (any, error) {
			if a[1] == nil {
				if a[0].(bool) {
					return nil, nil
				}
				return nil, fmt.Errorf("%w: %s() on null", errNullPointer, name)
			}
			return do(a[1], a[2:])
		}))
	}
	return opts
}()

// plNorm makes expr's int literals event integers.
func plNorm(v any) any {
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v
}

func plBool(v any) (any, error) {
	b, ok := v.(bool)
	if !ok {
		return nil, fmt.Errorf("cannot cast %s to boolean", plTypeName(v))
	}
	return b, nil
}

// plEq is Painless's == on two values: numbers by value (1 == 1.0),
// anything else by Java's equals (lists and maps element by element).
func plEq(a, b any) bool {
	x, y := numberValue(plNorm(a)), numberValue(plNorm(b))
	xi, xint := x.(int64)
	yi, yint := y.(int64)
	if xint && yint {
		return xi == yi
	}
	if xf, ok := plFloat(x); ok {
		yf, ok := plFloat(y)
		return ok && xf == yf
	}
	return equalValues(x, y)
}

// plNum is an operand of <, <=, >, >=, / or %: a number, else an error.
func plNum(v any) (any, error) {
	switch x := numberValue(plNorm(v)).(type) {
	case int64, float64:
		return x, nil
	case nil:
		return nil, fmt.Errorf("%w: comparing null", errNullPointer)
	}
	return nil, fmt.Errorf("cannot compare %s: only numbers are ordered", plTypeName(v))
}

func plTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "String"
	case bool:
		return "Boolean"
	case map[string]any:
		return "Map"
	case []any:
		return "List"
	case json.Number, int, int64, float64:
		return "Number"
	}
	return fmt.Sprintf("%T", v)
}

func plStr(v any, method string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s() is a method of String, not of %s", method, plTypeName(v))
	}
	return s, nil
}

func plStrings(f func(s, t string) bool) func(any, []any) (any, error) {
	return func(r any, a []any) (any, error) {
		s, err := plStr(r, "startsWith/endsWith")
		if err != nil {
			return nil, err
		}
		t, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("want a String argument, not %s", plTypeName(a[0]))
		}
		return f(s, t), nil
	}
}

func plString(f func(string) string) func(any, []any) (any, error) {
	return func(r any, _ []any) (any, error) {
		s, err := plStr(r, "toLowerCase/toUpperCase/trim")
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

func plContains(r any, a []any) (any, error) {
	switch x := r.(type) {
	case string:
		t, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("String.contains wants a String, not %s", plTypeName(a[0]))
		}
		return strings.Contains(x, t), nil
	case []any:
		v := plNorm(a[0])
		for _, e := range x {
			if equalValues(e, v) {
				return true, nil
			}
		}
		return false, nil
	}
	return nil, fmt.Errorf("contains() is a method of String and List, not of %s", plTypeName(r))
}

func plContainsKey(r any, a []any) (any, error) {
	m, ok := r.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("containsKey() is a method of Map, not of %s", plTypeName(r))
	}
	k, ok := a[0].(string)
	if !ok {
		return false, nil
	}
	_, has := m[k]
	return has, nil
}

func plIsEmpty(r any, _ []any) (any, error) {
	switch x := r.(type) {
	case string:
		return x == "", nil
	case []any:
		return len(x) == 0, nil
	case map[string]any:
		return len(x) == 0, nil
	}
	return nil, fmt.Errorf("isEmpty() is a method of String, List and Map, not of %s", plTypeName(r))
}

// plLength is String.length: UTF-16 code units, as Java counts.
func plLength(r any, _ []any) (any, error) {
	s, err := plStr(r, "length")
	if err != nil {
		return nil, err
	}
	n := 0
	for _, c := range s {
		n += utf16.RuneLen(c)
	}
	return int64(n), nil
}

func plSize(r any, _ []any) (any, error) {
	switch x := r.(type) {
	case []any:
		return int64(len(x)), nil
	case map[string]any:
		return int64(len(x)), nil
	}
	return nil, fmt.Errorf("size() is a method of List and Map, not of %s", plTypeName(r))
}

// plRemove is Map.remove: it removes the key and returns its value.
func plRemove(r any, a []any) (any, error) {
	m, ok := r.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("remove() is supported on a Map, not on %s", plTypeName(r))
	}
	k, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	v := m[k]
	delete(m, k)
	return v, nil
}

// plIndexValue is brace access with a computed key: a List's element
// (negative counts from the end) or a Map's value.
func plIndexValue(recv, key any) (any, error) {
	switch x := recv.(type) {
	case []any:
		i, err := plListIndex(x, key)
		if err != nil {
			return nil, err
		}
		return x[i], nil
	case map[string]any:
		k, _ := key.(string)
		return x[k], nil
	case nil:
		return nil, fmt.Errorf("%w: [] on null", errNullPointer)
	}
	return nil, fmt.Errorf("cannot index %s", plTypeName(recv))
}

// plPut is an assignment: Map.put, or List.set with an integer index
// (negative counts from the end, as Painless's brace access does).
func plPut(recv, key, v any) error {
	v = plNorm(v)
	switch x := recv.(type) {
	case map[string]any:
		k, ok := key.(string)
		if !ok {
			return fmt.Errorf("a Map key here must be a String, not %s", plTypeName(key))
		}
		x[k] = v
		return nil
	case []any:
		i, err := plListIndex(x, key)
		if err != nil {
			return err
		}
		x[i] = v
		return nil
	case nil:
		return fmt.Errorf("%w: assigning a field of null", errNullPointer)
	}
	return fmt.Errorf("cannot assign a field of %s", plTypeName(recv))
}

func plListIndex(l []any, key any) (int, error) {
	var i int64
	switch k := numberValue(plNorm(key)).(type) {
	case int64:
		i = k
	default:
		return 0, fmt.Errorf("a List index must be an integer, not %s", plTypeName(key))
	}
	if i < 0 {
		i += int64(len(l))
	}
	if i < 0 || i >= int64(len(l)) {
		return 0, fmt.Errorf("index %v out of bounds for length %d", key, len(l))
	}
	return int(i), nil
}

// plListAdd is List.add on the list at parent[key], stored back there.
func plListAdd(nullSafe bool, parent, key, v any) (any, error) {
	var list any
	switch p := parent.(type) {
	case map[string]any:
		k, _ := key.(string)
		list = p[k]
	case []any:
		i, err := plListIndex(p, key)
		if err != nil {
			return nil, err
		}
		list = p[i]
	case nil:
		return nil, fmt.Errorf("%w: reading a field of null", errNullPointer)
	default:
		return nil, fmt.Errorf("cannot read a field of %s", plTypeName(parent))
	}
	l, ok := list.([]any)
	if !ok {
		if list == nil && nullSafe {
			return nil, nil
		}
		if list == nil {
			return nil, fmt.Errorf("%w: add() on null", errNullPointer)
		}
		return nil, fmt.Errorf("add() is a method of List, not of %s", plTypeName(list))
	}
	return true, plPut(parent, key, append(l, plNorm(v)))
}

// plBoth applies f to both operands of a binary operator.
func plBoth[T any](a, b any, f func(any) (T, error)) (x, y T, err error) {
	if x, err = f(a); err == nil {
		y, err = f(b)
	}
	return x, y, err
}

// plAdd is Painless's +: string concatenation when either side is a
// String, else numeric addition (long, or double when either is one).
func plAdd(a, b any) (any, error) {
	_, as := a.(string)
	_, bs := b.(string)
	if as || bs {
		x, y, err := plBoth(a, b, javaString)
		if err != nil {
			return nil, err
		}
		return x + y, nil
	}
	x, y := numberValue(plNorm(a)), numberValue(plNorm(b))
	xi, xint := x.(int64)
	yi, yint := y.(int64)
	if xint && yint {
		return xi + yi, nil
	}
	xf, xok := plFloat(x)
	yf, yok := plFloat(y)
	if !xok || !yok {
		if a == nil || b == nil {
			return nil, fmt.Errorf("%w: + with null", errNullPointer)
		}
		return nil, fmt.Errorf("cannot add %s and %s", plTypeName(a), plTypeName(b))
	}
	return xf + yf, nil
}

// plDiv is Java's / and % on numbers: integers truncate toward zero
// and fail on a zero divisor (ArithmeticException); doubles follow IEEE
// (x/0 is Infinity) and % is fmod.
func plDiv(op string, a, b any) (any, error) {
	x, y, err := plBoth(a, b, plNum)
	if err != nil {
		return nil, err
	}
	xi, xint := x.(int64)
	yi, yint := y.(int64)
	if xint && yint {
		if yi == 0 {
			return nil, errors.New("/ by zero")
		}
		if op == "/" {
			return xi / yi, nil
		}
		return xi % yi, nil
	}
	xf, _ := plFloat(x)
	yf, _ := plFloat(y)
	if op == "/" {
		return xf / yf, nil
	}
	return math.Mod(xf, yf), nil
}

func plFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// javaString is String.valueOf of an event value, for concatenation.
// Objects and lists are refused: Java would write its toString ({a=1}).
func javaString(v any) (string, error) {
	switch x := numberValue(plNorm(v)).(type) {
	case nil:
		return "null", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		if n, ok := v.(json.Number); ok && jsonnum.IsInteger(n) {
			return string(n), nil // beyond long: Java's BigInteger prints it
		}
		return javaDouble(x), nil
	}
	return "", fmt.Errorf("concatenating a %s to a String is not supported", plTypeName(v))
}

// javaDouble is Java's Double.toString: plain decimals from 10^-3 to
// 10^7 (always with a fraction: 2.0), else d.dddE±n.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}
