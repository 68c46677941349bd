package pipelines

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"

	"github.com/elastic/go-grok/patterns"
)

// Grok expressions are expanded here against the stock pattern library that
// github.com/elastic/go-grok ships (its patterns package). The expansion is
// ours rather than go-grok's Grok type because that type hides the compiled
// regexp and returns a fresh map of strings per match; the processor needs
// submatch indexes and field paths resolved once at load time to stay
// within the per-event budget (see BenchmarkGrok).

// stockPatterns merges every pattern set of go-grok, built once per Load.
func stockPatterns() map[string]string {
	sets := []map[string]string{
		patterns.Default, patterns.AWS, patterns.Bind9, patterns.Bro, patterns.Exim,
		patterns.HAProxy, patterns.Httpd, patterns.Firewalls, patterns.Java, patterns.Junos,
		patterns.Maven, patterns.MCollective, patterns.MongoDB, patterns.PostgreSQL,
		patterns.Rails, patterns.Redis, patterns.Ruby, patterns.Squid, patterns.Syslog,
	}
	n := 0
	for _, s := range sets {
		n += len(s)
	}
	all := make(map[string]string, n)
	for _, s := range sets {
		for k, v := range s {
			all[k] = v
		}
	}
	return all
}

// grokRef matches %{SYNTAX}, %{SYNTAX:field} and %{SYNTAX:field:type}.
var grokRef = regexp.MustCompile(`%\{(\w+)(?::([^:}]+))?(?::(\w+))?\}`)

// grokCapture says where one capture group of a compiled expression goes.
type grokCapture struct {
	group int    // submatch number
	field path   // destination
	typ   string // "", int, long, float, double, boolean, string
}

// grokExpr is one compiled grok expression.
type grokExpr struct {
	source string
	re     *regexp.Regexp
	// anchored is re tied to the start of the text, tried first. Go's
	// regexp has no DFA: an unanchored search starts a thread at every
	// position until one matches, which costs about 7× more on a typical
	// access log line. When the anchored form matches, the leftmost-first
	// match of re starts at 0 too and is the same match, so the result is
	// unchanged; only lines matching further in pay for both.
	anchored *regexp.Regexp
	captures []grokCapture
}

// grokCompiler expands expressions against the stock library overlaid with
// a processor's pattern_definitions.
type grokCompiler struct {
	stock  map[string]string
	custom map[string]string
}

func (c *grokCompiler) lookup(name string) (string, bool) {
	if p, ok := c.custom[name]; ok {
		return p, true
	}
	p, ok := c.stock[name]
	return p, ok
}

type grokField struct{ field, typ string }

// expand rewrites %{…} references recursively; stack detects definitions
// that refer to themselves.
func (c *grokCompiler) expand(expr string, stack []string, fields *[]grokField) (string, error) {
	var b strings.Builder
	last := 0
	for _, m := range grokRef.FindAllStringSubmatchIndex(expr, -1) {
		b.WriteString(expr[last:m[0]])
		last = m[1]
		name := expr[m[2]:m[3]]
		for _, s := range stack {
			if s == name {
				return "", fmt.Errorf("pattern %%{%s} refers to itself (%s → %s)", name, strings.Join(stack, " → "), name)
			}
		}
		def, ok := c.lookup(name)
		if !ok {
			return "", fmt.Errorf("unknown grok pattern %%{%s}", name)
		}
		inner, err := c.expand(def, append(stack, name), fields)
		if err != nil {
			return "", err
		}
		if m[4] < 0 {
			b.WriteString("(?:")
			b.WriteString(inner)
			b.WriteString(")")
			continue
		}
		f := grokField{field: expr[m[4]:m[5]]}
		if m[6] >= 0 {
			f.typ = expr[m[6]:m[7]]
			switch f.typ {
			case "int", "long", "float", "double", "boolean", "bool", "string":
			default:
				return "", fmt.Errorf("%%{%s}: unknown type %q (want int, long, float, double, boolean or string)", expr[m[2]:m[5]], f.typ)
			}
		}
		fmt.Fprintf(&b, "(?P<grok__%d>", len(*fields))
		*fields = append(*fields, f)
		b.WriteString(inner)
		b.WriteString(")")
	}
	b.WriteString(expr[last:])
	return b.String(), nil
}

// compile turns one grok expression into a regexp and its captures. Named
// groups written directly in a definition ((?P<field>…) or (?<field>…))
// capture into that field too.
func (c *grokCompiler) compile(expr string) (*grokExpr, error) {
	var fields []grokField
	src, err := c.expand(expr, nil, &fields)
	if err != nil {
		return nil, err
	}
	re, err := compileStripped(src)
	if err != nil {
		return nil, fmt.Errorf("grok expression %q: %w", expr, err)
	}
	g := &grokExpr{source: expr, re: re}
	if !strings.HasPrefix(src, "^") {
		if g.anchored, err = compileStripped("^(?:" + src + ")"); err != nil {
			return nil, fmt.Errorf("grok expression %q: %w", expr, err)
		}
	}
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		if n, ok := strings.CutPrefix(name, "grok__"); ok {
			k, _ := strconv.Atoi(n)
			f := fields[k]
			g.captures = append(g.captures, grokCapture{group: i, field: newPath(logstashField(f.field)), typ: f.typ})
			continue
		}
		g.captures = append(g.captures, grokCapture{group: i, field: newPath(name)})
	}
	return g, nil
}

// compileStripped compiles src with its unnamed groups made non-capturing:
// the stock patterns are full of (…) that only group, and every capture
// slot makes each thread of Go's regexp machine more expensive to copy.
func compileStripped(src string) (*regexp.Regexp, error) {
	tree, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, err
	}
	tree = stripCaptures(tree)
	return regexp.Compile(tree.String())
}

func stripCaptures(re *syntax.Regexp) *syntax.Regexp {
	for i, s := range re.Sub {
		re.Sub[i] = stripCaptures(s)
	}
	if re.Op == syntax.OpCapture && re.Name == "" {
		return re.Sub[0]
	}
	return re
}

// logstashField accepts Logstash's [a][b] field references as a.b.
func logstashField(f string) string {
	if !strings.HasPrefix(f, "[") {
		return f
	}
	f = strings.TrimSuffix(strings.TrimPrefix(f, "["), "]")
	return strings.ReplaceAll(f, "][", ".")
}

// typed converts a captured string by its type hint.
func grokTyped(s, typ string) (any, error) {
	switch typ {
	case "int", "long":
		return strconv.ParseInt(s, 10, 64)
	case "float", "double":
		return strconv.ParseFloat(s, 64)
	case "boolean", "bool":
		return strconv.ParseBool(s)
	}
	return s, nil
}

// match applies g to s and writes the captures into ev; it reports whether
// g matched. Before each search it checks the run's budget.
func (g *grokExpr) match(ev Event, s string, st *state) (bool, error) {
	var loc []int
	if g.anchored != nil {
		if err := st.overBudget(); err != nil {
			return false, err
		}
		loc = g.anchored.FindStringSubmatchIndex(s)
	}
	if loc == nil {
		if err := st.overBudget(); err != nil {
			return false, err
		}
		loc = g.re.FindStringSubmatchIndex(s)
	}
	if loc == nil {
		return false, nil
	}
	for _, c := range g.captures {
		a, b := loc[2*c.group], loc[2*c.group+1]
		if a < 0 {
			continue // the group did not take part (an alternative not taken)
		}
		if a == b && c.typ != "" && c.typ != "string" {
			continue
		}
		var v any = s[a:b]
		if c.typ != "" {
			var err error
			if v, err = grokTyped(s[a:b], c.typ); err != nil {
				return true, fmt.Errorf("field [%s]: cannot convert %q to %s", c.field, s[a:b], c.typ)
			}
		}
		if err := c.field.set(ev, v); err != nil {
			return true, err
		}
	}
	return true, nil
}
