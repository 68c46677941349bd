package config

import (
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// FuzzExpandYAML: ExpandYAML on any text, with every variable but UNSET
// set to val (which may itself hold "${…}"), does not panic; an
// unterminated "${" in a value is an error; what it returns parses to
// the same values, each reference replaced once by its variable's text
// and never expanded again (Filebeat's documents say nothing of
// expanding a variable's value, so it is taken as written); and it
// allocates a bounded multiple of what parsing the text costs. Its seeds
// are in testdata/fuzz/FuzzExpandYAML.
func FuzzExpandYAML(f *testing.F) {
	f.Fuzz(func(t *testing.T, text, val string) {
		if !utf8.ValidString(val) {
			return // refused with an error: TestExpandYAMLNotUTF8
		}
		lookup := func(name string) (string, bool) { return val, name != "UNSET" }
		var in yaml.Node
		parsed := yaml.Unmarshal([]byte(text), &in) == nil
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		var probe yaml.Node
		_ = yaml.Unmarshal([]byte(text), &probe)
		runtime.ReadMemStats(&ms)
		parse := ms.TotalAlloc - before
		before = ms.TotalAlloc
		out, err := ExpandYAML("f.yml", []byte(text), lookup)
		runtime.ReadMemStats(&ms)
		alloc := ms.TotalAlloc - before
		if !parsed {
			return
		}
		values := scalarValues(&in)
		if err != nil {
			return
		}
		wholes := 0
		for _, v := range values {
			if unterminated(v) {
				t.Fatalf("%q expanded without an error", v)
			}
			if strings.HasPrefix(v, "${") {
				wholes++
			}
		}
		if limit := 3*parse + 16<<10*uint64(wholes) + 64*uint64(len(text)+len(out)) + 64<<10; alloc > limit {
			t.Fatalf("%d bytes allocated for %d bytes in, %d out (parsing: %d): over %d", alloc, len(text), len(out), parse, limit)
		}
		var got yaml.Node
		if err := yaml.Unmarshal(out, &got); err != nil {
			t.Fatalf("the expanded text does not parse: %v\n%s", err, out)
		}
		gotValues := scalarValues(&got)
		if len(gotValues) != len(values) {
			t.Fatalf("%d values became %d:\n%s", len(values), len(gotValues), out)
		}
		for i, v := range values {
			if want := expandOnce(v, lookup); gotValues[i] != want {
				t.Fatalf("value %q became %q, want %q", v, gotValues[i], want)
			}
		}
	})
}

// scalarValues lists the values (not keys) of a document in order.
func scalarValues(n *yaml.Node) []string {
	var out []string
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c)
			}
		case yaml.MappingNode:
			for i := 1; i < len(n.Content); i += 2 {
				walk(n.Content[i])
			}
		case yaml.ScalarNode:
			out = append(out, n.Value)
		}
	}
	walk(n)
	return out
}

// unterminated reports whether s has a "${" with no "}" after it.
func unterminated(s string) bool {
	i := strings.LastIndex(s, "${")
	return i >= 0 && !strings.Contains(s[i:], "}")
}

// expandOnce is the test's own reading of Filebeat's rule, for values
// known to expand: each ${NAME} or ${NAME:default} replaced by its
// text, which is not looked at again.
func expandOnce(s string, lookup Lookup) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return b.String() + s
		}
		j := i + strings.IndexByte(s[i:], '}')
		name, def, _ := strings.Cut(s[i+2:j], ":")
		v, ok := lookup(name)
		if !ok {
			v = def
		}
		b.WriteString(s[:i] + v)
		s = s[j+1:]
	}
}
