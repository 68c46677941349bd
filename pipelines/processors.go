package pipelines

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/sluicelogs/sluice/internal/jsonnum"
)

// doFunc is a compiled processor body.
type doFunc = func(ev Event, st *state) error

// buildFunc compiles a processor's options; it reports errors through o
// and may return nil after reporting one.
type buildFunc func(o *opts, ignoreMissing bool) doFunc

func processorNames() []string {
	return []string{"append", "bytes", "community_id", "convert", "csv", "date", "date_index_name", "dissect",
		"dot_expander", "drop", "fail", "fingerprint", "foreach", "geoip", "grok", "gsub", "html_strip", "join",
		"json", "kv", "lowercase", "network_direction", "pipeline", "redact", "registered_domain", "remove",
		"rename", "script", "set", "sort", "split", "terminate", "trim", "uppercase", "uri_parts", "urldecode",
		"user_agent"}
}

func builder(name string) (buildFunc, bool) {
	switch name {
	case "grok":
		return buildGrok, true
	case "dissect":
		return buildDissect, true
	case "json":
		return buildJSON, true
	case "kv":
		return buildKV, true
	case "date":
		return buildDate, true
	case "date_index_name":
		return buildDateIndexName, true
	case "set":
		return buildSet, true
	case "append":
		return buildAppend, true
	case "rename":
		return buildRename, true
	case "remove":
		return buildRemove, true
	case "convert":
		return buildConvert, true
	case "lowercase":
		return stringProc(strings.ToLower), true
	case "uppercase":
		return stringProc(strings.ToUpper), true
	case "trim":
		return stringProc(strings.TrimSpace), true
	case "gsub":
		return buildGsub, true
	case "split":
		return buildSplit, true
	case "drop":
		return func(*opts, bool) doFunc { return func(Event, *state) error { return errDrop } }, true
	case "fail":
		return buildFail, true
	case "fingerprint":
		return buildFingerprint, true
	case "user_agent":
		return buildUserAgent, true
	case "pipeline":
		return buildPipeline, true
	case "csv":
		return buildCSV, true
	case "urldecode":
		return buildURLDecode, true
	case "uri_parts":
		return buildURIParts, true
	case "bytes":
		return buildBytes, true
	case "join":
		return buildJoin, true
	case "sort":
		return buildSort, true
	case "dot_expander":
		return buildDotExpander, true
	case "html_strip":
		return buildHTMLStrip, true
	case "foreach":
		return buildForeach, true
	case "terminate":
		return buildTerminate, true
	case "community_id":
		return buildCommunityID, true
	case "network_direction":
		return buildNetworkDirection, true
	case "registered_domain":
		return buildRegisteredDomain, true
	case "redact":
		return buildRedact, true
	case "geoip":
		return buildGeoIP, true
	case "script":
		return buildScript, true
	}
	return nil, false
}

// missingError is the failure of a processor whose field is absent.
func missingError(p path) error {
	return fmt.Errorf("field [%s] not present", p)
}

// source reads the field a processor works on. It returns ok=false with a
// nil error when the field is missing and ignoreMissing is set (the
// processor then does nothing), as Elasticsearch does; a null value counts
// as missing.
func source(ev Event, p path, ignoreMissing bool) (any, bool, error) {
	v, ok := p.get(ev)
	if !ok || v == nil {
		if ignoreMissing {
			return nil, false, nil
		}
		if ok {
			return nil, false, fmt.Errorf("field [%s] is null", p)
		}
		return nil, false, missingError(p)
	}
	return v, true, nil
}

func sourceString(ev Event, p path, ignoreMissing bool) (string, bool, error) {
	v, ok, err := source(ev, p, ignoreMissing)
	if !ok {
		return "", false, err
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, fmt.Errorf("field [%s] is a %s, not a string", p, typeName(v))
	}
	return s, true, nil
}

// fieldTarget reads the common field/target_field pair.
func fieldTarget(o *opts, defTarget string) (path, path) {
	f := newPath(o.required("field"))
	t := o.str("target_field", defTarget)
	if t == "" {
		return f, f
	}
	return f, newPath(t)
}

// grokPatterns compiles the patterns key of a grok or redact processor
// (with its pattern_definitions), reporting each pattern that does not
// compile at its own line; nil if there are none or any failed.
func grokPatterns(o *opts) []*grokExpr {
	defs := o.stringMap("pattern_definitions")
	pats, pn := o.strs("patterns"), o.node("patterns")
	if len(pats) == 0 {
		o.errorf(pn, "patterns: want at least one grok expression")
		return nil
	}
	c := &grokCompiler{stock: o.d.l.stockGrok(), custom: defs}
	exprs := make([]*grokExpr, 0, len(pats))
	failed := false
	for i, p := range pats {
		g, err := c.compile(p)
		if err != nil {
			n := pn
			if pn != nil && pn.Kind == 2 && i < len(pn.Content) { // yaml.SequenceNode
				n = pn.Content[i]
			}
			o.errorf(n, "patterns[%d]: %v", i, err)
			failed = true
			continue
		}
		exprs = append(exprs, g)
	}
	if failed {
		return nil
	}
	return exprs
}

func buildGrok(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.str("field", "message"))
	o.boolean("trace_match", false)
	maxBytes := o.byteCount("max_bytes", o.d.l.opts.GrokMaxBytes)
	exprs := grokPatterns(o)
	if exprs == nil {
		return nil
	}
	return func(ev Event, st *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		if len(s) > maxBytes {
			return fmt.Errorf("field [%s] is %d bytes, over grok's limit of %d", field, len(s), maxBytes)
		}
		for _, g := range exprs {
			matched, err := g.match(ev, s, st)
			if err != nil {
				return err
			}
			if matched {
				return nil
			}
		}
		return fmt.Errorf("field [%s] matches none of the grok patterns", field)
	}
}

func buildJSON(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.required("field"))
	target := o.str("target_field", "")
	addToRoot := o.boolean("add_to_root", false)
	if addToRoot && target != "" {
		o.errorf(nil, "add_to_root and target_field exclude each other")
	}
	tp := field
	if target != "" {
		tp = newPath(target)
	}
	return func(ev Event, _ *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		var v any
		if err := jsonnum.Unmarshal([]byte(s), &v); err != nil {
			return fmt.Errorf("field [%s] is not JSON: %v", field, err)
		}
		if !addToRoot {
			return tp.set(ev, v)
		}
		m, isMap := v.(map[string]any)
		if !isMap {
			return fmt.Errorf("field [%s]: add_to_root needs a JSON object, not a %s", field, typeName(v))
		}
		for k, e := range m {
			ev[k] = e
		}
		return nil
	}
}

func buildKV(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.str("field", "message"))
	fieldSplit := o.required("field_split")
	valueSplit := o.required("value_split")
	target := o.str("target_field", "")
	prefix := o.str("prefix", "")
	include := o.strs("include_keys")
	exclude := o.strs("exclude_keys")
	trimKey := o.str("trim_key", "")
	trimValue := o.str("trim_value", "")
	stripBrackets := o.boolean("strip_brackets", false)
	fs, err := regexp.Compile(fieldSplit)
	if err != nil {
		o.errorf(o.keys["field_split"][1], "field_split: %v", err)
	}
	vs, err := regexp.Compile(valueSplit)
	if err != nil {
		o.errorf(o.keys["value_split"][1], "value_split: %v", err)
	}
	if fs == nil || vs == nil {
		return nil
	}
	inc := set(include)
	exc := set(exclude)
	return func(ev Event, _ *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		for _, pair := range fs.Split(s, -1) {
			kv := vs.Split(pair, 2)
			if len(kv) != 2 {
				return fmt.Errorf("field [%s]: %q has no value_split", field, pair)
			}
			k, v := strings.Trim(kv[0], trimKey), kv[1]
			if stripBrackets {
				v = stripBracket(v) // before trim_value, as the node does
			}
			v = strings.Trim(v, trimValue)
			if (inc != nil && !inc[k]) || exc[k] {
				continue
			}
			name := prefix + k
			if target != "" {
				name = target + "." + name
			}
			if err := appendValue(ev, newPath(name), v, true); err != nil {
				return err
			}
		}
		return nil
	}
}

// stripBracket is kv's strip_brackets as the node has it: one bracket or
// quote character (any of <>[]()"') is removed from each end, matched or
// not: "((v))" gives "(v)", "(v]" gives "v", "(" gives "".
func stripBracket(v string) string {
	const brackets = `<>[]()"'`
	if v != "" && strings.IndexByte(brackets, v[0]) >= 0 {
		v = v[1:]
	}
	if v != "" && strings.IndexByte(brackets, v[len(v)-1]) >= 0 {
		v = v[:len(v)-1]
	}
	return v
}

func set(l []string) map[string]bool {
	if l == nil {
		return nil
	}
	m := make(map[string]bool, len(l))
	for _, s := range l {
		m[s] = true
	}
	return m
}

func buildSet(o *opts, _ bool) doFunc {
	field := newPath(o.required("field"))
	v, hasValue := o.value("value")
	copyFrom := o.str("copy_from", "")
	override := o.boolean("override", true)
	ignoreEmpty := o.boolean("ignore_empty_value", false)
	if hasValue == (copyFrom != "") {
		o.errorf(nil, "want exactly one of value and copy_from")
		return nil
	}
	if copyFrom != "" {
		from := newPath(copyFrom)
		return func(ev Event, _ *state) error {
			v, ok := from.get(ev)
			if !ok {
				if ignoreEmpty {
					return nil
				}
				return missingError(from)
			}
			if !override {
				if _, exists := field.get(ev); exists {
					return nil
				}
			}
			return field.set(ev, cloneValue(v))
		}
	}
	tv, err := newTemplateValue(v)
	if err != nil {
		o.errorf(o.keys["value"][1], "value: %v", err)
		return nil
	}
	templated := tv.tmpl != nil && !tv.tmpl.static()
	return func(ev Event, _ *state) error {
		if !override {
			if cur, exists := field.get(ev); exists && cur != nil {
				return nil
			}
		}
		val := tv.eval(ev)
		if ignoreEmpty && templated && val == "" {
			return nil // only a template's empty result, as the node does: a literal "" is set
		}
		return field.set(ev, val)
	}
}

func buildAppend(o *opts, _ bool) doFunc {
	field := newPath(o.required("field"))
	v, ok := o.value("value")
	allowDup := o.boolean("allow_duplicates", true)
	if !ok {
		o.errorf(nil, "missing required option value")
		return nil
	}
	var vals []*templateValue
	items, isList := v.([]any)
	if !isList {
		items = []any{v}
	}
	for _, it := range items {
		tv, err := newTemplateValue(it)
		if err != nil {
			o.errorf(o.keys["value"][1], "value: %v", err)
			return nil
		}
		vals = append(vals, tv)
	}
	return func(ev Event, _ *state) error {
		add := make([]any, len(vals))
		for i, tv := range vals {
			add[i] = tv.eval(ev)
		}
		return appendValues(ev, field, add, allowDup)
	}
}

// appendValues is the append processor: a missing field becomes a list of
// the values (even of one, and without removing duplicates, as the node
// does); a scalar becomes a list holding it, then the values; a list gets
// the values, those already in it skipped unless allowDup.
func appendValues(ev Event, p path, add []any, allowDup bool) error {
	cur, ok := p.get(ev)
	if !ok {
		return p.set(ev, add)
	}
	l, isList := cur.([]any)
	if !isList {
		l = []any{cur}
	}
	for _, v := range add {
		if !allowDup && containsValue(l, v) {
			continue
		}
		l = append(l, v)
	}
	return p.set(ev, l)
}

func containsValue(l []any, v any) bool {
	for _, e := range l {
		if equalValues(e, v) {
			return true
		}
	}
	return false
}

// appendValue adds v to the value at p as kv does with a repeated key: a
// missing field is set to v, a scalar becomes a list holding it and v.
func appendValue(ev Event, p path, v any, allowDup bool) error {
	cur, ok := p.get(ev)
	if !ok {
		return p.set(ev, v)
	}
	l, isList := cur.([]any)
	if !isList {
		l = []any{cur}
	}
	if !allowDup {
		for _, e := range l {
			if equalValues(e, v) {
				return p.set(ev, l)
			}
		}
	}
	return p.set(ev, append(l, v))
}

// equalValues compares two event values the way Elasticsearch's append
// compares list elements (Java's equals): objects and lists by their
// contents, scalars by type and value, so int64(1) and 1.0 differ (a
// json.Number is an integer or a float by its text, see equalNumber). ==
// on two interfaces holding maps or slices panics, and both come from
// event data.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalValues(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	switch b.(type) {
	case map[string]any, []any:
		return false
	case nil:
		return a == nil
	}
	if a == nil {
		return false
	}
	if n, ok := a.(json.Number); ok {
		return equalNumber(n, b)
	}
	if n, ok := b.(json.Number); ok {
		return equalNumber(n, a)
	}
	if !reflect.TypeOf(a).Comparable() || !reflect.TypeOf(b).Comparable() {
		return reflect.DeepEqual(a, b) // a type decoding does not produce
	}
	return a == b
}

func buildRename(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.required("field"))
	target := newPath(o.required("target_field"))
	override := o.boolean("override", false)
	return func(ev Event, _ *state) error {
		v, ok := field.get(ev) // a null value is renamed too
		if !ok {
			if ignoreMissing {
				return nil
			}
			return missingError(field)
		}
		if _, exists := target.get(ev); exists && !override {
			return fmt.Errorf("field [%s] already exists", target)
		}
		field.remove(ev)
		if err := target.set(ev, v); err != nil {
			// Put the source back, as the node does: a failed rename
			// (under ignore_failure or on_failure) loses nothing.
			if rerr := field.set(ev, v); rerr != nil {
				return fmt.Errorf("%w (and restoring [%s]: %v)", err, field, rerr)
			}
			return err
		}
		return nil
	}
}

func buildRemove(o *opts, ignoreMissing bool) doFunc {
	fields := o.strs("field")
	keep := o.strs("keep")
	if (len(fields) == 0) == (len(keep) == 0) {
		o.errorf(nil, "want exactly one of field and keep")
		return nil
	}
	if len(keep) > 0 {
		paths := make([]path, len(keep))
		for i, k := range keep {
			paths[i] = newPath(k)
		}
		return func(ev Event, _ *state) error {
			kept := Event{}
			for _, p := range paths {
				if v, ok := p.get(ev); ok {
					if err := p.set(kept, v); err != nil {
						return err
					}
				}
			}
			for k := range ev {
				delete(ev, k)
			}
			for k, v := range kept {
				ev[k] = v
			}
			return nil
		}
	}
	paths := make([]path, len(fields))
	for i, f := range fields {
		paths[i] = newPath(f)
	}
	return func(ev Event, _ *state) error {
		for _, p := range paths {
			if !p.remove(ev) && !ignoreMissing {
				return missingError(p)
			}
		}
		return nil
	}
}

// stringProc builds lowercase, uppercase and trim: f applied to a string or
// to every string of a list.
func stringProc(f func(string) string) buildFunc {
	return func(o *opts, ignoreMissing bool) doFunc {
		field, target := fieldTarget(o, "")
		return func(ev Event, _ *state) error {
			v, ok, err := source(ev, field, ignoreMissing)
			if !ok {
				return err
			}
			out, err := mapStrings(field, v, func(s string) (any, error) { return f(s), nil })
			if err != nil {
				return err
			}
			return target.set(ev, out)
		}
	}
}

// mapStrings applies f to a string or to each string of a list.
func mapStrings(field path, v any, f func(string) (any, error)) (any, error) {
	switch x := v.(type) {
	case string:
		return f(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("field [%s][%d] is a %s, not a string", field, i, typeName(e))
			}
			r, err := f(s)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return nil, fmt.Errorf("field [%s] is a %s, not a string", field, typeName(v))
}

func buildGsub(o *opts, ignoreMissing bool) doFunc {
	field, target := fieldTarget(o, "")
	pat, pn := o.strNode("pattern")
	if pn == nil {
		o.errorf(nil, "missing required option pattern")
		return nil
	}
	repl, rn := o.strNode("replacement")
	if rn == nil {
		o.errorf(nil, "missing required option replacement")
		return nil
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		o.errorf(pn, "pattern: %v", err)
		return nil
	}
	repl = javaReplacement(repl)
	return func(ev Event, _ *state) error {
		v, ok, err := source(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		out, err := mapStrings(field, v, func(s string) (any, error) { return re.ReplaceAllString(s, repl), nil })
		if err != nil {
			return err
		}
		return target.set(ev, out)
	}
}

// javaReplacement rewrites Java's $1 group references as Go's ${1}, so that
// "$1x" keeps meaning group 1 followed by x.
func javaReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i])
			}
			continue
		}
		if s[i] == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func buildSplit(o *opts, ignoreMissing bool) doFunc {
	field, target := fieldTarget(o, "")
	sep, sn := o.strNode("separator")
	preserveTrailing := o.boolean("preserve_trailing", false)
	if sn == nil {
		o.errorf(nil, "missing required option separator")
		return nil
	}
	re, err := regexp.Compile(sep)
	if err != nil {
		o.errorf(sn, "separator: %v", err)
		return nil
	}
	return func(ev Event, _ *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		parts := re.Split(s, -1)
		if !preserveTrailing {
			for len(parts) > 1 && parts[len(parts)-1] == "" {
				parts = parts[:len(parts)-1]
			}
		}
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return target.set(ev, out)
	}
}

func buildFail(o *opts, _ bool) doFunc {
	msg := o.required("message")
	t, err := parseTemplate(msg)
	if err != nil {
		o.errorf(o.keys["message"][1], "message: %v", err)
		return nil
	}
	return func(ev Event, _ *state) error { return errors.New(t.render(ev)) }
}

func buildPipeline(o *opts, _ bool) doFunc {
	name, n := o.strNode("name")
	ignoreMissingPipeline := o.boolean("ignore_missing_pipeline", false)
	if n == nil || name == "" {
		o.errorf(n, "missing required option name (a definition file, relative to this one)")
		return nil
	}
	p, err := o.d.resolvePipeline(name)
	if err != nil {
		if ignoreMissingPipeline && errors.Is(err, fs.ErrNotExist) {
			return func(Event, *state) error { return nil }
		}
		o.errorf(n, "name: %v", err)
		return nil
	}
	return func(ev Event, st *state) error { return p.exec(ev, st) }
}

// Conversions of the convert processor.
func buildConvert(o *opts, ignoreMissing bool) doFunc {
	field, target := fieldTarget(o, "")
	typ, tn := o.strNode("type")
	var conv func(any) (any, error)
	switch typ {
	case "integer":
		conv = func(v any) (any, error) { return toInt(v, 32) }
	case "long":
		conv = func(v any) (any, error) { return toInt(v, 64) }
	case "float", "double":
		conv = toFloat
	case "boolean":
		conv = toBool
	case "string":
		conv = func(v any) (any, error) { return toString(v), nil }
	case "ip":
		conv = toIP
	case "auto":
		conv = toAuto
	default:
		o.errorf(tn, "type: want integer, long, float, double, boolean, string, ip or auto, not %q", typ)
		return nil
	}
	return func(ev Event, _ *state) error {
		v, ok, err := source(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		var out any
		if l, isList := v.([]any); isList {
			ol := make([]any, len(l))
			for i, e := range l {
				if ol[i], err = conv(e); err != nil {
					return fmt.Errorf("field [%s]: %w", field, err)
				}
			}
			out = ol
		} else if out, err = conv(v); err != nil {
			return fmt.Errorf("field [%s]: %w", field, err)
		}
		return target.set(ev, out)
	}
}

func toInt(v any, bits int) (any, error) {
	switch x := v.(type) {
	case int64:
		if bits == 32 && (x > math.MaxInt32 || x < math.MinInt32) {
			return nil, fmt.Errorf("%d does not fit an integer (use long)", x)
		}
		return x, nil
	case float64:
		if x != math.Trunc(x) {
			return nil, fmt.Errorf("%v is not a whole number", x)
		}
		return toInt(int64(x), bits)
	case json.Number:
		if !jsonnum.IsInteger(x) {
			f, err := x.Float64()
			if err != nil {
				return nil, fmt.Errorf("unable to convert [%s] to %s", x, map[int]string{32: "integer", 64: "long"}[bits])
			}
			return toInt(f, bits)
		}
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s does not fit a long", x)
		}
		return toInt(n, bits)
	case string:
		s := x // Java's Integer.parseInt/decode, as the node's: no spaces
		var n int64
		var err error
		if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
			n, err = strconv.ParseInt(h, 16, bits)
		} else if h, ok := strings.CutPrefix(strings.ToLower(s), "-0x"); ok {
			n, err = strconv.ParseInt("-"+h, 16, bits)
		} else {
			n, err = strconv.ParseInt(s, 10, bits)
		}
		if err != nil {
			return nil, fmt.Errorf("unable to convert [%s] to %s", x, map[int]string{32: "integer", 64: "long"}[bits])
		}
		return n, nil
	case bool:
		return nil, fmt.Errorf("unable to convert boolean [%v] to an integer", x)
	}
	return nil, fmt.Errorf("unable to convert a %s to an integer", typeName(v))
}

func toFloat(v any) (any, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case json.Number:
		if !jsonnum.IsInteger(x) {
			return x, nil // already a float, kept as written
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("unable to convert [%s] to float", x)
		}
		return f, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, fmt.Errorf("unable to convert [%s] to float", x)
		}
		return f, nil
	}
	return nil, fmt.Errorf("unable to convert a %s to float", typeName(v))
}

func toBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(x) { // the node's equalsIgnoreCase: no spaces
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("[%s] is not a boolean value", x)
	}
	return nil, fmt.Errorf("unable to convert a %s to boolean", typeName(v))
}

func toIP(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("a %s is not an IP address", typeName(v))
	}
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("[%s] is not an IP address", s)
	}
	return a.String(), nil
}

// toAuto converts a string to the first type that reads it: long, double,
// boolean; anything else stays as it is.
func toAuto(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return v, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, nil
	}
	switch strings.ToLower(s) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return s, nil
}
