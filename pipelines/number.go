package pipelines

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"

	"github.com/sluicelogs/sluice/internal/jsonnum"
)

// DecodeEvent decodes a JSON object into an event, numbers kept as
// json.Number (see "Numbers" in the package doc). A JSON null decodes to
// a nil Event without error.
func DecodeEvent(b []byte) (Event, error) {
	var m map[string]any
	if err := jsonnum.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return Event(m), nil
}

// numberFunc is the name of the function conditions call on the operands
// of comparisons and arithmetic (see numberOperands).
const numberFunc = "__sluice_number"

// numberValue is numberFunc: a json.Number becomes the int64 or float64
// that expr compares and computes with; anything else is returned as it
// is. An integer beyond int64 becomes the nearest float64.
func numberValue(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if jsonnum.IsInteger(n) {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i
		}
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !math.IsInf(f, 0) { // not a number literal: leave it
		return v
	}
	return f
}

// numberOperands is an expr patch: it wraps the operands of comparison,
// membership and arithmetic operators that read event data in a call of
// numberFunc, so that `status >= 400` works on a status decoded as a
// json.Number. Literals are left alone, and so are other uses of fields
// (function arguments, string operators), which see the json.Number.
type numberOperands struct{}

// numericOperators are the binary operators whose operands are wrapped.
var numericOperators = map[string]bool{
	"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
	"+": true, "-": true, "*": true, "/": true, "%": true, "**": true, "^": true,
	"in": true, "..": true,
}

func (numberOperands) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		if numericOperators[n.Operator] && !textLiteral(n.Left) && !textLiteral(n.Right) {
			wrapNumber(&n.Left)
			wrapNumber(&n.Right)
		}
	case *ast.UnaryNode:
		if n.Operator == "-" || n.Operator == "+" {
			wrapNumber(&n.Node)
		}
	}
}

// textLiteral reports whether node is a string, bool or nil literal, or
// a list of them: compared with one, a json.Number gives the same answer
// as the int64 or float64 it stands for (false, or expr's type error), so
// `_c?.ident not in [nil, "-"]` costs no call.
func textLiteral(node ast.Node) bool {
	switch n := node.(type) {
	case *ast.StringNode, *ast.BoolNode, *ast.NilNode:
		return true
	case *ast.ArrayNode:
		for _, e := range n.Nodes {
			if !textLiteral(e) {
				return false
			}
		}
		return true
	}
	return false
}

// wrapNumber replaces *node by numberFunc(*node) when *node may read a
// field.
func wrapNumber(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode, *ast.MemberNode, *ast.ChainNode, *ast.ConditionalNode, *ast.BuiltinNode:
	case *ast.BinaryNode:
		if n.Operator != "??" {
			return
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == numberFunc {
			return
		}
	default:
		return
	}
	ast.Patch(node, &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: numberFunc},
		Arguments: []ast.Node{*node},
	})
}

// numberOptions make expr compare and compute with json.Numbers (see
// numberOperands); Painless conditions and scripts use them too.
var numberOptions = []expr.Option{
	expr.Function(numberFunc, func(params ...any) (any, error) { return numberValue(params[0]), nil }, new(func(any) any)),
	expr.Patch(numberOperands{}),
}

// conditionOptions are the expr options of every expr if: condition.
var conditionOptions = append([]expr.Option{expr.AsBool()}, numberOptions...)

// equalNumber compares a json.Number with another event value by value:
// an integer equals the same integer (json.Number or int64), a float the
// same float (json.Number or float64); an integer never equals a float,
// as in Java's equals.
func equalNumber(n json.Number, v any) bool {
	switch x := v.(type) {
	case json.Number:
		if n == x {
			return true
		}
		if jsonnum.IsInteger(n) != jsonnum.IsInteger(x) {
			return false
		}
		a, b := numberValue(n), numberValue(x)
		if jsonnum.IsInteger(n) { // beyond int64 only the same text is equal
			ai, aok := a.(int64)
			bi, bok := b.(int64)
			return aok && bok && ai == bi
		}
		return a == b
	case int64:
		i, ok := numberValue(n).(int64)
		return ok && jsonnum.IsInteger(n) && i == x
	case float64:
		f, ok := numberValue(n).(float64)
		return ok && !jsonnum.IsInteger(n) && f == x
	}
	return false
}
