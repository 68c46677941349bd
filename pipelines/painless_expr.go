package pipelines

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// This file translates parsed Painless (painless_parse.go) into expr
// source, compiled with the same options as expr conditions plus the
// runtime functions of painless_methods.go: one compiler, one machine.
//
//	Painless                    expr
//	ctx                         $env (the event)
//	ctx.a, ctx['a']             $env["a"]        (missing: nil; a.b on nil: error)
//	x[i]                        __pl_index(x, i) (List index, or Map get)
//	x?.a                        (x)?.["a"]       (nil on nil)
//	params                      __pl_params()    (the script's params)
//	x.m(args), x?.m(args)       __pl_m_m(nullSafe, x, args...)
//	a + b                       __pl_add(a, b)   (numbers or string concatenation)
//	[a, b], ['k': v]            __pl_literal([a, b]), __pl_literal({"k": v})
//	ctx.n += v                  ctx.n = ctx.n + v (also -= *= /= %=)
//	a / b, a % b                __pl_div("/", a, b) (Java's: integers truncate)
//	a && b, !a, if (a)          __pl_bool(a) …   (null or a non-boolean: error)
//	a == b (no scalar literal)  __pl_eq(a, b)    (lists and maps by equals)
//	a < b (no number literal)   __pl_num(a) < __pl_num(b) (only numbers order)
//	ctx.a = v                   __pl_put($env, "a", v)
//	if (c) {s} else {t}         (c ? (s; nil) : (t; nil))
//	s1; s2                      s1; s2; nil

// isPainless reports whether an if: condition is Painless rather than
// expr: it is when its Painless tokens name ctx (expr conditions reach
// the event through their variables and $env, never a ctx).
func isPainless(src string) bool {
	toks, err := plLex(src)
	if err != nil {
		return false
	}
	for _, t := range toks {
		if t.kind == tokIdent && t.text == "ctx" {
			return true
		}
	}
	return false
}

// compilePainlessCondition compiles a Painless condition; params are the
// script's params (nil when none).
func compilePainlessCondition(src string, params map[string]any) (*vm.Program, error) {
	n, err := parsePainlessExpr(src)
	if err != nil {
		return nil, fmt.Errorf("painless: %w", err)
	}
	code, err := translatePainlessCondition(n)
	if err != nil {
		return nil, fmt.Errorf("painless: %w", err)
	}
	return compilePainless(code, params)
}

// compilePainlessScript compiles a script processor's source.
func compilePainlessScript(src string, params map[string]any) (*vm.Program, error) {
	stmts, err := parsePainlessScript(src)
	if err != nil {
		return nil, fmt.Errorf("painless: %w", err)
	}
	tr := &plTranslator{}
	tr.stmts(stmts)
	if tr.err != nil {
		return nil, fmt.Errorf("painless: %w", tr.err)
	}
	return compilePainless(tr.b.String(), params)
}

func translatePainlessCondition(n plNode) (string, error) {
	tr := &plTranslator{}
	tr.boolean(n)
	return tr.b.String(), tr.err
}

func compilePainless(code string, params map[string]any) (*vm.Program, error) {
	if params == nil {
		params = map[string]any{}
	}
	opts := append(append([]expr.Option{}, numberOptions...), painlessOptions...)
	opts = append(opts, expr.Function(plParamsFunc, func(...any) (any, error) { return params, nil }))
	// A translation that expr cannot parse is a bug of the translator,
	// not of the definition: say so with the code. One it parses but
	// refuses misuses a literal's type ('a'.b, 'a' - 1), which Painless
	// refuses when it compiles too.
	if _, err := parser.Parse(code); err != nil {
		return nil, fmt.Errorf("painless: translation %q does not parse: %w", code, err)
	}
	prog, err := expr.Compile(code, opts...)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("painless: %s", fe.Message)
		}
		return nil, fmt.Errorf("painless: %w", err)
	}
	return prog, nil
}

const (
	plParamsFunc  = "__pl_params"
	plBoolFunc    = "__pl_bool"
	plAddFunc     = "__pl_add"
	plPutFunc     = "__pl_put"
	plIndexFunc   = "__pl_index"
	plNumFunc     = "__pl_num"
	plDivFunc     = "__pl_div"
	plLiteralFunc = "__pl_literal"
	plEqFunc      = "__pl_eq"
	plAppendFunc  = "__pl_list_add"
	plMethodPre   = "__pl_m_"
)

// plTranslator writes expr source; the first error stops it.
type plTranslator struct {
	b   strings.Builder
	err error
}

func (tr *plTranslator) fail(at int, what string) {
	if tr.err == nil {
		tr.err = unsupported(at, what)
	}
}

// boolean writes n where a boolean is required: values not known to be
// booleans are checked at run time (Painless fails on null there, expr
// would take it as false).
func (tr *plTranslator) boolean(n plNode) {
	if isBoolNode(n) {
		tr.value(n)
		return
	}
	tr.b.WriteString(plBoolFunc + "(")
	tr.value(n)
	tr.b.WriteString(")")
}

func isBoolNode(n plNode) bool {
	switch n := n.(type) {
	case *plLit:
		_, ok := n.val.(bool)
		return ok
	case *plUnary:
		return n.op == "!"
	case *plBinary:
		switch n.op {
		case "+", "-", "*", "/", "%":
			return false
		}
		return true
	case *plCall:
		return plMethods[n.method].boolean && !n.nullSafe
	}
	return false
}

func (tr *plTranslator) value(n plNode) {
	b := &tr.b
	switch n := n.(type) {
	case *plLit:
		switch v := n.val.(type) {
		case nil:
			b.WriteString("nil")
		case string:
			b.WriteString(strconv.Quote(v))
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'e', -1, 64))
		}
	case *plVar:
		if n.name == "ctx" {
			b.WriteString("$env")
		} else {
			b.WriteString(plParamsFunc + "()")
		}
	case *plField:
		tr.member(n.recv, n.nullSafe)
		b.WriteString(strconv.Quote(n.name))
		b.WriteString("]")
	case *plIndex:
		if k, ok := n.key.(*plLit); ok {
			if _, str := k.val.(string); str { // ctx['a']: a field
				tr.member(n.recv, false)
				tr.value(n.key)
				b.WriteString("]")
				return
			}
		}
		tr.fn(plIndexFunc, n.recv, n.key)
	case *plCall:
		tr.call(n)
	case *plUnary:
		b.WriteString(n.op + "(")
		if n.op == "!" {
			tr.boolean(n.x)
		} else {
			tr.value(n.x)
		}
		b.WriteString(")")
	case *plBinary:
		switch n.op {
		case "+":
			tr.fn(plAddFunc, n.l, n.r)
			return
		case "/", "%":
			tr.fn(plDivFunc, &plLit{at: n.at, val: n.op}, n.l, n.r)
			return
		case "&&", "||":
			b.WriteString("(")
			tr.boolean(n.l)
			b.WriteString(") " + n.op + " (")
			tr.boolean(n.r)
			b.WriteString(")")
			return
		}
		if (n.op == "==" || n.op == "!=") && !isScalarLit(n.l) && !isScalarLit(n.r) {
			// Two values read at run time may be lists or maps, which
			// Painless compares with equals, element by element.
			if n.op == "!=" {
				b.WriteString("!")
			}
			tr.fn(plEqFunc, n.l, n.r)
			return
		}
		if n.op != "==" && n.op != "!=" && !isNumberLit(n.l) && !isNumberLit(n.r) {
			// expr orders strings too; Painless only numbers. Against a
			// number literal expr refuses a string itself.
			b.WriteString("(" + plNumFunc + "(")
			tr.value(n.l)
			b.WriteString(")) " + n.op + " (" + plNumFunc + "(")
			tr.value(n.r)
			b.WriteString("))")
			return
		}
		b.WriteString("(")
		tr.value(n.l)
		b.WriteString(") " + n.op + " (")
		tr.value(n.r)
		b.WriteString(")")
	case *plList:
		b.WriteString(plLiteralFunc + "([")
		tr.joined(len(n.elems), func(i int) { tr.value(n.elems[i]) })
		b.WriteString("])")
	case *plMap:
		b.WriteString(plLiteralFunc + "({")
		tr.joined(len(n.keys), func(i int) {
			b.WriteString(strconv.Quote(n.keys[i]) + ": ")
			tr.value(n.vals[i])
		})
		b.WriteString("})")
	case *plCond:
		b.WriteString("(")
		tr.boolean(n.c)
		b.WriteString(" ? (")
		tr.value(n.a)
		b.WriteString(") : (")
		tr.value(n.b)
		b.WriteString("))")
	default:
		tr.fail(n.pos(), "a statement inside an expression")
	}
}

// isScalarLit reports whether n is a literal other than a list or map:
// == with one is expr's own.
func isScalarLit(n plNode) bool {
	_, ok := n.(*plLit)
	return ok
}

func isNumberLit(n plNode) bool {
	if l, ok := n.(*plLit); ok {
		switch l.val.(type) {
		case int64, float64:
			return true
		}
	}
	return false
}

// member writes "(recv)[" or "(recv)?.[", the start of a field or index
// access.
func (tr *plTranslator) member(recv plNode, nullSafe bool) {
	tr.b.WriteString("(")
	tr.value(recv)
	if nullSafe {
		tr.b.WriteString(")?.[")
	} else {
		tr.b.WriteString(")[")
	}
}

func (tr *plTranslator) fn(name string, args ...plNode) {
	tr.b.WriteString(name + "(")
	tr.joined(len(args), func(i int) { tr.value(args[i]) })
	tr.b.WriteString(")")
}

// joined writes n items, each by write, separated by commas.
func (tr *plTranslator) joined(n int, write func(i int)) {
	for i := 0; i < n; i++ {
		if i > 0 {
			tr.b.WriteString(", ")
		}
		write(i)
	}
}

func (tr *plTranslator) call(n *plCall) {
	if n.method == "add" {
		// A Go slice grows into a new one: add stores it back where the
		// list was read from.
		parent, key, ok := accessParts(n.recv)
		if !ok {
			tr.fail(n.at, "add() on anything but a field (ctx.tags.add(…))")
			return
		}
		tr.b.WriteString(plAppendFunc + "(" + strconv.FormatBool(n.nullSafe) + ", ")
		tr.value(parent)
		tr.b.WriteString(", ")
		tr.value(key)
		tr.b.WriteString(", ")
		tr.value(n.args[0])
		tr.b.WriteString(")")
		return
	}
	tr.b.WriteString(plMethodPre + n.method + "(" + strconv.FormatBool(n.nullSafe) + ", ")
	tr.value(n.recv)
	for _, a := range n.args {
		tr.b.WriteString(", ")
		tr.value(a)
	}
	tr.b.WriteString(")")
}

// accessParts splits ctx.a.b or x[k] into the object read and the key.
func accessParts(n plNode) (parent, key plNode, ok bool) {
	switch n := n.(type) {
	case *plField:
		if n.nullSafe {
			return nil, nil, false
		}
		return n.recv, &plLit{at: n.at, val: n.name}, true
	case *plIndex:
		return n.recv, n.key, true
	}
	return nil, nil, false
}

// stmts writes statements as an expr sequence ending in nil.
func (tr *plTranslator) stmts(list []plNode) {
	for _, s := range list {
		tr.stmt(s)
		tr.b.WriteString("; ")
	}
	tr.b.WriteString("nil")
}

func (tr *plTranslator) stmt(s plNode) {
	b := &tr.b
	switch s := s.(type) {
	case *plAssign:
		parent, key, ok := accessParts(s.target)
		if !ok {
			tr.fail(s.at, "assigning through ?.")
			return
		}
		if v, isVar := parent.(*plVar); isVar && v.name == "params" {
			tr.fail(s.at, "assigning to params")
			return
		}
		tr.fn(plPutFunc, parent, key, s.value)
	case *plIf:
		b.WriteString("(")
		tr.boolean(s.cond)
		b.WriteString(" ? (")
		tr.stmts(s.then)
		b.WriteString(") : (")
		tr.stmts(s.els)
		b.WriteString("))")
	default:
		tr.value(s)
	}
}

// errNullPointer is the cause of reading through a null, Painless's
// NullPointerException.
var errNullPointer = errors.New("null pointer")
