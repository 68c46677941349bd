package pipelines

import (
	"fmt"
	"strings"
)

// This file parses the subset of Painless that pipelines exported from
// Elasticsearch use in if: conditions and script processors (see
// "Painless" in the package doc). The parser refuses everything outside
// the subset with the construct and its position; painless_expr.go
// translates what it accepts into an expr program.

// plNode is a node of a Painless expression or statement.
type plNode interface{ pos() int }

type (
	plLit struct { // string, number, boolean or null literal
		at  int
		val any // string, int64, float64, bool or nil
	}
	plVar struct { // ctx or params
		at   int
		name string
	}
	plField struct { // recv.name or recv?.name
		at       int
		recv     plNode
		name     string
		nullSafe bool
	}
	plIndex struct { // recv[key]
		at   int
		recv plNode
		key  plNode
	}
	plCall struct { // recv.method(args) or recv?.method(args)
		at       int
		recv     plNode
		method   string
		args     []plNode
		nullSafe bool
	}
	plUnary struct {
		at int
		op string // "!" or "-"
		x  plNode
	}
	plBinary struct {
		at   int
		op   string
		l, r plNode
	}
	plCond struct { // c ? a : b
		at      int
		c, a, b plNode
	}
	plList struct { // [a, b]
		at    int
		elems []plNode
	}
	plMap struct { // ['k': v], [:]
		at   int
		keys []string
		vals []plNode
	}
	plAssign struct { // target = value;
		at     int
		target plNode // a *plField or *plIndex
		value  plNode
	}
	plIf struct {
		at        int
		cond      plNode
		then, els []plNode
	}
)

func (n *plLit) pos() int    { return n.at }
func (n *plVar) pos() int    { return n.at }
func (n *plField) pos() int  { return n.at }
func (n *plIndex) pos() int  { return n.at }
func (n *plCall) pos() int   { return n.at }
func (n *plUnary) pos() int  { return n.at }
func (n *plBinary) pos() int { return n.at }
func (n *plCond) pos() int   { return n.at }
func (n *plAssign) pos() int { return n.at }
func (n *plList) pos() int   { return n.at }
func (n *plMap) pos() int    { return n.at }
func (n *plIf) pos() int     { return n.at }

// plMaxDepth bounds the nesting of expressions and blocks, so hostile
// input cannot exhaust the stack.
const plMaxDepth = 100

// plParser is a recursive-descent parser over the tokens of one source.
type plParser struct {
	toks  []plToken
	i     int
	depth int
}

func (p *plParser) peek() plToken { return p.toks[p.i] }

func (p *plParser) next() plToken {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *plParser) is(punct string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == punct
}

func (p *plParser) accept(punct string) bool {
	if p.is(punct) {
		p.i++
		return true
	}
	return false
}

func (p *plParser) expect(punct string) error {
	if !p.accept(punct) {
		return p.unexpected("want " + punct)
	}
	return nil
}

func (p *plParser) unexpected(want string) error {
	t := p.peek()
	if t.kind == tokEOF {
		return plErrorf(t.at, "unexpected end (%s)", want)
	}
	return plErrorf(t.at, "unexpected %q (%s)", t.text, want)
}

func (p *plParser) enter() error {
	p.depth++
	if p.depth > plMaxDepth {
		return plErrorf(p.peek().at, "nested deeper than %d", plMaxDepth)
	}
	return nil
}

// parsePainlessExpr parses a condition: one expression, optionally
// "return"ed and followed by a semicolon, as conditions are written.
func parsePainlessExpr(src string) (plNode, error) {
	toks, err := plLex(src)
	if err != nil {
		return nil, err
	}
	p := &plParser{toks: toks}
	if t := p.peek(); t.kind == tokIdent && t.text == "return" {
		p.next()
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.accept(";")
	if p.peek().kind != tokEOF {
		return nil, p.unexpected("want the end of the condition")
	}
	return x, nil
}

// parsePainlessScript parses a script's statements.
func parsePainlessScript(src string) ([]plNode, error) {
	toks, err := plLex(src)
	if err != nil {
		return nil, err
	}
	p := &plParser{toks: toks}
	var out []plNode
	for p.peek().kind != tokEOF {
		s, err := p.stmt()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *plParser) stmt() (plNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	if t.kind == tokIdent {
		switch t.text {
		case "if":
			return p.ifStmt()
		case "def", "var", "String", "int", "long", "double", "boolean", "Map", "List", "for", "while", "do",
			"return", "try", "throw", "new", "else", "break", "continue":
			return nil, unsupported(t.at, fmt.Sprintf("%q", t.text))
		}
	}
	if t.kind == tokPunct && t.text == ";" {
		return nil, p.unexpected("an empty statement")
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	var s plNode = x
	if op := p.peek(); op.kind == tokPunct && plAssignOps[op.text] {
		p.next()
		switch x.(type) {
		case *plField, *plIndex:
		default:
			return nil, unsupported(op.at, "assigning to anything but a field (ctx.a = …, ctx['a'] = …)")
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		if op.text != "=" { // ctx.n += 1 is ctx.n = ctx.n + 1
			v = &plBinary{at: op.at, op: strings.TrimSuffix(op.text, "="), l: x, r: v}
		}
		s = &plAssign{at: op.at, target: x, value: v}
	} else if _, call := x.(*plCall); !call {
		return nil, unsupported(x.pos(), "a statement that is neither an assignment nor a method call")
	}
	if !p.accept(";") && !p.is("}") && p.peek().kind != tokEOF {
		return nil, p.unexpected("want ; after a statement")
	}
	return s, nil
}

func (p *plParser) ifStmt() (plNode, error) {
	at := p.next().at
	if err := p.expect("("); err != nil {
		return nil, err
	}
	c, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	n := &plIf{at: at, cond: c}
	if n.then, err = p.block(); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokIdent && t.text == "else" {
		p.next()
		if n.els, err = p.block(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// block is { statements } or one statement (else if … is the latter).
func (p *plParser) block() ([]plNode, error) {
	if !p.accept("{") {
		s, err := p.stmt()
		if err != nil {
			return nil, err
		}
		return []plNode{s}, nil
	}
	var out []plNode
	for !p.accept("}") {
		if p.peek().kind == tokEOF {
			return nil, p.unexpected("want }")
		}
		s, err := p.stmt()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *plParser) expr() (plNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	c, err := p.binary(0)
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if !p.accept("?") {
		return c, nil
	}
	a, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	b, err := p.expr()
	if err != nil {
		return nil, err
	}
	return &plCond{at: t.at, c: c, a: a, b: b}, nil
}

// plLevels are the binary operators of the subset by precedence, lowest
// first.
var plLevels = [][]string{
	{"||"}, {"&&"}, {"==", "!="}, {"<", "<=", ">", ">="}, {"+", "-"}, {"*", "/", "%"},
}

// plAssignOps are the assignments of the subset: = and the compound ones
// of the subset's arithmetic.
var plAssignOps = map[string]bool{"=": true, "+=": true, "-=": true, "*=": true, "/=": true, "%=": true}

// plOutside are binary operators of Painless outside the subset.
var plOutside = map[string]bool{
	"===": true, "!==": true, "&": true, "|": true, "^": true, "<<": true, ">>": true,
	">>>": true, "?:": true, "->": true, "::": true, "=~": true, "==~": true,
	"&=": true, "|=": true, "^=": true, "<<=": true, ">>=": true,
	"++": true, "--": true,
}

func (p *plParser) binary(level int) (plNode, error) {
	if level == len(plLevels) {
		return p.unary()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind == tokPunct && plOutside[t.text] {
			return nil, unsupported(t.at, fmt.Sprintf("operator %s", t.text))
		}
		if t.kind == tokIdent && t.text == "instanceof" {
			return nil, unsupported(t.at, "instanceof")
		}
		op := ""
		for _, o := range plLevels[level] {
			if t.kind == tokPunct && t.text == o {
				op = o
			}
		}
		if op == "" {
			return l, nil
		}
		p.next()
		r, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		l = &plBinary{at: t.at, op: op, l: l, r: r}
	}
}

func (p *plParser) unary() (plNode, error) {
	t := p.peek()
	if t.kind == tokPunct && (t.text == "!" || t.text == "-") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &plUnary{at: t.at, op: t.text, x: x}, nil
	}
	if t.kind == tokPunct && (t.text == "~" || t.text == "++" || t.text == "--" || t.text == "+") {
		return nil, unsupported(t.at, fmt.Sprintf("operator %s", t.text))
	}
	return p.postfix()
}

func (p *plParser) postfix() (plNode, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case p.accept(".") || p.accept("?."):
			name := p.next()
			if name.kind != tokIdent {
				return nil, plErrorf(name.at, "want a field or method name after %s", t.text)
			}
			ns := t.text == "?."
			if !p.accept("(") {
				x = &plField{at: name.at, recv: x, name: name.text, nullSafe: ns}
				continue
			}
			call := &plCall{at: name.at, recv: x, method: name.text, nullSafe: ns}
			for !p.accept(")") {
				if len(call.args) > 0 {
					if err := p.expect(","); err != nil {
						return nil, err
					}
				}
				a, err := p.expr()
				if err != nil {
					return nil, err
				}
				call.args = append(call.args, a)
			}
			if err := checkMethod(call); err != nil {
				return nil, err
			}
			x = call
		case p.accept("["):
			k, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			x = &plIndex{at: t.at, recv: x, key: k}
		default:
			return x, nil
		}
	}
}

func (p *plParser) primary() (plNode, error) {
	start := p.i
	t := p.next()
	switch t.kind {
	case tokString:
		return &plLit{at: t.at, val: t.text}, nil
	case tokNumber:
		v, err := plNumber(t.text)
		if err != nil {
			return nil, plErrorf(t.at, "%w", err)
		}
		return &plLit{at: t.at, val: v}, nil
	case tokIdent:
		switch t.text {
		case "true", "false":
			return &plLit{at: t.at, val: t.text == "true"}, nil
		case "null":
			return &plLit{at: t.at}, nil
		case "ctx", "params":
			return &plVar{at: t.at, name: t.text}, nil
		}
		return nil, unsupported(t.at, fmt.Sprintf("%q (the subset reads ctx and params only)", t.text))
	case tokPunct:
		if t.text == "[" {
			return p.collection(t.at)
		}
		if t.text == "(" {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return x, p.expect(")")
		}
	}
	p.i = start
	return nil, p.unexpected("want a value")
}

// collection reads a list literal [a, b] or a map literal ['k': v]
// (keys are string literals), after its [; [] and [:] are empty.
func (p *plParser) collection(at int) (plNode, error) {
	if p.accept(":") {
		return &plMap{at: at}, p.expect("]")
	}
	if p.accept("]") {
		return &plList{at: at}, nil
	}
	var list plList
	var m plMap
	for i := 0; ; i++ {
		if i > 0 {
			if p.accept("]") {
				break
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		k, err := p.expr()
		if err != nil {
			return nil, err
		}
		if i == 0 && p.is(":") || i > 0 && m.keys != nil {
			lit, ok := k.(*plLit)
			key, str := lit.valString()
			if !ok || !str {
				return nil, unsupported(k.pos(), "a map key that is not a string literal")
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			m.keys, m.vals = append(m.keys, key), append(m.vals, v)
			continue
		}
		list.elems = append(list.elems, k)
	}
	if m.keys != nil {
		m.at = at
		return &m, nil
	}
	list.at = at
	return &list, nil
}

// valString is the literal's string, if it is one; false for a nil
// literal too.
func (n *plLit) valString() (string, bool) {
	if n == nil {
		return "", false
	}
	s, ok := n.val.(string)
	return s, ok
}
