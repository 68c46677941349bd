package pipelines

import (
	"errors"
	"fmt"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"
)

// buildScript compiles a script processor: source in the Painless
// statement subset (see "Painless" in the package doc), lang painless (the
// default), params. A stored script (id) or a construct outside the subset
// is refused here, at load, never run half-understood.
func buildScript(o *opts, _ bool) doFunc {
	if n := o.node("id"); n != nil {
		o.errorf(n, "id: stored scripts are not supported; put the script's source in the pipeline")
		return nil
	}
	src, params, ok := o.script(o.self, "")
	if !ok {
		return nil
	}
	if src == "" {
		o.errorf(nil, "missing required option source")
		return nil
	}
	prog, err := compilePainlessScript(src, params)
	if err != nil {
		n := o.keys["source"][1]
		o.errorf(plNodeAt(n, src, err), "source: %v", plLocated(n, src, err))
		return nil
	}
	return func(ev Event, _ *state) error {
		_, err := runScript(prog, ev)
		return painlessError(err)
	}
}

// painlessError is a run-time error of a Painless program without
// expr's excerpt of the code, which is the translation, not what the
// definition says.
func painlessError(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return errors.New(fe.Message)
	}
	return err
}

// runScript runs a compiled script or condition on ev.
func runScript(prog *vm.Program, ev Event) (any, error) {
	m := vms.Get().(*vm.VM)
	v, err := m.Run(prog, map[string]any(ev))
	vms.Put(m)
	return v, err
}

// script reads source, lang and params from the mapping n (a script
// processor's options, or an if: given as a script object); key prefixes
// the options in messages ("if."). ok is false after an error.
func (o *opts) script(n *yaml.Node, key string) (src string, params map[string]any, ok bool) {
	lang := "painless"
	ok = true
	var keys map[string]*yaml.Node
	if n == o.self {
		keys = map[string]*yaml.Node{"source": o.node("source"), "lang": o.node("lang"), "params": o.node("params")}
	} else {
		keys = map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			switch k {
			case "source", "lang", "params":
				keys[k] = n.Content[i+1]
			default:
				o.errorf(n.Content[i], "%sunknown option %s (want source, lang and params)", key, k)
				ok = false
			}
		}
	}
	for _, k := range []string{"source", "lang"} {
		v := keys[k]
		if v == nil {
			continue
		}
		if v.Kind != yaml.ScalarNode {
			o.errorf(v, "%s%s: want a string", key, k)
			ok = false
			continue
		}
		if k == "source" {
			src = v.Value
		} else {
			lang = v.Value
		}
	}
	if lang != "painless" {
		o.errorf(keys["lang"], "%slang: %q is not supported (only painless)", key, lang)
		ok = false
	}
	if v := keys["params"]; v != nil {
		var p any
		if err := v.Decode(&p); err != nil {
			o.errorf(v, "%sparams: %v", key, err)
			return "", nil, false
		}
		m, isMap := normalize(p).(map[string]any)
		if !isMap {
			o.errorf(v, "%sparams: want a mapping", key)
			return "", nil, false
		}
		params = m
	}
	return src, params, ok
}

// condition compiles the if option and reports whether it is Painless: a string, Painless when it names ctx
// (see isPainless) and expr otherwise, or a script object {source, lang,
// params} as Elasticsearch also takes, always Painless.
func (o *opts) condition() (prog *vm.Program, painless bool) {
	n := o.node("if")
	if n == nil {
		return nil, false
	}
	var err error
	switch n.Kind {
	case yaml.ScalarNode:
		painless = isPainless(n.Value)
		prog, err = compileCondition(n.Value)
	case yaml.MappingNode:
		painless = true
		src, params, ok := o.script(n, "if.")
		if !ok {
			return nil, false
		}
		if src == "" {
			err = errors.New("missing source")
		} else {
			prog, err = compilePainlessCondition(src, params)
		}
	default:
		err = fmt.Errorf("want a condition or a script object {source, lang, params}")
	}
	if err != nil {
		src := n.Value
		if n.Kind == yaml.MappingNode {
			src, n = o.scriptSource(n)
		}
		o.errorf(plNodeAt(n, src, err), "if: %v", plLocated(n, src, err))
		return nil, false
	}
	return prog, painless
}

// scriptSource returns the source of a script object and its node (the
// object when it has none).
func (o *opts) scriptSource(n *yaml.Node) (string, *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "source" {
			return n.Content[i+1].Value, n.Content[i+1]
		}
	}
	return "", n
}

// plFirstLine is the file line of a source's first line: a block scalar
// (source: |) starts on the line after its indicator.
func plFirstLine(n *yaml.Node) int {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Line + 1
	}
	return n.Line
}

// plNodeAt is n with the line of the Painless error err in its source,
// for config errors.
func plNodeAt(n *yaml.Node, src string, err error) *yaml.Node {
	line, _ := plLocate(err, src, plFirstLine(n))
	return &yaml.Node{Line: line}
}

// plLocated is err with its column counted in its line of the source.
func plLocated(n *yaml.Node, src string, err error) error {
	_, err = plLocate(err, src, plFirstLine(n))
	return err
}
