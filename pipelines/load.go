package pipelines

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/internal/config"
	"gopkg.in/yaml.v3"
)

// Options tune Load and LoadDir. The zero value is ready to use.
type Options struct {
	// Now is the clock used by the date processor to complete dates without
	// a year (syslog's "Oct 11 22:14:15"); nil means time.Now.
	Now func() time.Time
	// UserAgentCacheSize is how many distinct user agents the user_agent
	// processors remember (parsing one costs about half a millisecond);
	// 0 means 4096.
	UserAgentCacheSize int
	// Budget is the time one Run may take, measured on Now: checked after
	// every processor, between grok's patterns and between the user_agent
	// processor's parses. A run over it ends with ErrOverBudget. 0 means
	// no budget.
	Budget time.Duration
	// GrokMaxBytes is the longest field grok matches, in bytes: a longer
	// one is a grok failure (handled like any other), since matching the
	// stock patterns against it costs about 2µs a byte and cannot be
	// interrupted. It is the default of the grok processors' max_bytes
	// option (the indexer's grok_max_bytes). 0 means DefaultGrokMaxBytes.
	GrokMaxBytes int
	// UserAgentMaxBytes is how much of a user agent the user_agent
	// processor parses: the first bytes up to it (user_agent.original
	// keeps the whole). It is the default of the user_agent processors'
	// max_bytes option (the indexer's user_agent_max_bytes). 0 means
	// DefaultUserAgentMaxBytes: real user agents are a few hundred bytes;
	// ua-parser's libraries for other languages cut at 1000 to 2048.
	UserAgentMaxBytes int
	// GeoIP holds the databases of the geoip processors: give every Load
	// the same one to open each file once (the indexer does, for all its
	// routes). nil means one for this Load or LoadDir, reading from the
	// directory ingest-geoip beside the definition that names a file.
	GeoIP *GeoIPDatabases
}

// Defaults of the caps on processors whose cost grows with their input
// faster than the other processors' (see Options).
const (
	DefaultGrokMaxBytes      = 64 << 10
	DefaultUserAgentMaxBytes = 1 << 10
)

// loader holds what the files loaded together share: the pipelines already
// loaded (so that a definition called from two places is compiled once),
// the chain being loaded (to detect cycles), and the costly lazily built
// tables (stock grok patterns, the user-agent regexes).
type loader struct {
	opts    Options
	done    map[string]*Pipeline
	loading []string
	grok    map[string]string
	ua      *uaParsers
	geoip   *GeoIPDatabases // Options.GeoIP, or this loader's own
}

func newLoader(opts Options) *loader {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.UserAgentCacheSize <= 0 {
		opts.UserAgentCacheSize = 4096
	}
	if opts.GrokMaxBytes <= 0 {
		opts.GrokMaxBytes = DefaultGrokMaxBytes
	}
	if opts.UserAgentMaxBytes <= 0 {
		opts.UserAgentMaxBytes = DefaultUserAgentMaxBytes
	}
	return &loader{opts: opts, done: map[string]*Pipeline{}}
}

func (l *loader) stockGrok() map[string]string {
	if l.grok == nil {
		l.grok = stockPatterns()
	}
	return l.grok
}

func (l *loader) userAgents() (*uaParsers, error) {
	if l.ua == nil {
		p, err := newUAParsers(l.opts.UserAgentCacheSize)
		if err != nil {
			return nil, err
		}
		l.ua = p
	}
	return l.ua, nil
}

// Load reads and compiles the pipeline definition at path, with the
// definitions its pipeline processors call (resolved relative to it).
// Definition errors are config.Errors naming file, line and processor.
func Load(path string, opts Options) (*Pipeline, error) {
	return newLoader(opts).load(path)
}

// LoadDir loads every *.yml, *.yaml and *.json file of dir, keyed by file name
// without its extension. Files called by others are compiled once.
func LoadDir(dir string, opts Options) (map[string]*Pipeline, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("pipelines: %w", err)
	}
	l := newLoader(opts)
	out := map[string]*Pipeline{}
	var errs []error
	for _, e := range ents {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yml" && ext != ".yaml" && ext != ".json") {
			continue
		}
		p, err := l.load(filepath.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[p.Name] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func (l *loader) load(path string) (*Pipeline, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("pipelines: %w", err)
	}
	if p, ok := l.done[abs]; ok {
		return p, nil
	}
	// A definition is a regular file: reading a FIFO or a device (a
	// pipeline processor's name: /dev/zero) would block or never end.
	if fi, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("pipelines: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("pipelines: %s is not a regular file", path)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pipelines: %w", err)
	}
	l.loading = append(l.loading, abs)
	defer func() { l.loading = l.loading[:len(l.loading)-1] }()
	p, err := l.parse(path, abs, text)
	if err != nil {
		return nil, err
	}
	l.done[abs] = p
	return p, nil
}

// Parse compiles a definition from text; file names it in errors and is
// the base for the pipeline processors' references.
func Parse(file string, text []byte, opts Options) (*Pipeline, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("pipelines: %w", err)
	}
	l := newLoader(opts)
	l.loading = []string{abs}
	return l.parse(file, abs, text)
}

// defBuilder collects the errors of one definition file.
type defBuilder struct {
	l    *loader
	file string // as given, for messages
	abs  string
	errs config.Errors
}

func (d *defBuilder) errorf(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &config.Error{File: d.file, Line: line, Key: key, Err: fmt.Errorf(format, args...)})
}

func (l *loader) parse(file, abs string, text []byte) (*Pipeline, error) {
	d := &defBuilder{l: l, file: file, abs: abs}
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, &config.Error{File: file, Err: err}
	}
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	p := &Pipeline{Name: name, File: file, now: l.opts.Now, budget: l.opts.Budget}
	if len(doc.Content) == 0 {
		return nil, &config.Error{File: file, Err: errors.New("empty pipeline definition")}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &config.Error{File: file, Line: root.Line, Err: errors.New("a pipeline definition is a mapping with description, processors, on_failure and tests")}
	}
	root = unwrapExported(root)
	var testsNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "description":
			p.Description = v.Value
		case "processors":
			p.steps = d.steps(v, "")
		case "on_failure":
			p.onFailure = d.steps(v, "on_failure.")
		case "tests":
			testsNode = v
		case "version", "_meta":
			// accepted as in Elasticsearch, not used
		default:
			d.errorf(k, k.Value, "unknown key (want description, processors, on_failure or tests)")
		}
	}
	if testsNode != nil {
		p.tests = d.tests(testsNode)
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return p, nil
}

// unwrapExported returns the definition inside Elasticsearch's answer to
// GET _ingest/pipeline/<id>, {"<id>": {"description": …, "processors":
// …}}: a mapping of one key that is not a definition's, whose value is a
// mapping. Anything else (a definition, or the body of PUT) is returned
// as it is. YAML reads JSON, so an exported file loads as it was saved.
func unwrapExported(root *yaml.Node) *yaml.Node {
	if len(root.Content) != 2 || root.Content[1].Kind != yaml.MappingNode {
		return root
	}
	switch root.Content[0].Value {
	case "description", "processors", "on_failure", "tests", "version", "_meta":
		return root
	}
	inner := root.Content[1]
	for i := 0; i+1 < len(inner.Content); i += 2 {
		if inner.Content[i].Value == "processors" {
			return inner
		}
	}
	return root
}

// steps compiles a list of processors; prefix labels nested lists in
// messages ("on_failure.").
func (d *defBuilder) steps(n *yaml.Node, prefix string) []*step {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, strings.TrimSuffix(prefix, "."), "want a list of processors")
		return nil
	}
	var out []*step
	for i, item := range n.Content {
		if s := d.step(item, prefix, i); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// step compiles one "- name: {options}" item.
func (d *defBuilder) step(item *yaml.Node, prefix string, i int) *step {
	if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
		d.errorf(item, fmt.Sprintf("%sprocessor #%d", prefix, i), "want one processor name mapped to its options")
		return nil
	}
	kn, vn := item.Content[0], item.Content[1]
	name := kn.Value
	label := fmt.Sprintf("%sprocessor %s#%d", prefix, name, i)
	build, ok := builder(name)
	if !ok {
		d.errorf(kn, label, "unknown processor (known: %s)", strings.Join(builderNames(), ", "))
		return nil
	}
	if vn.Kind == yaml.ScalarNode && vn.Tag == "!!null" {
		vn = &yaml.Node{Kind: yaml.MappingNode, Line: vn.Line}
	}
	if vn.Kind != yaml.MappingNode {
		d.errorf(vn, label, "want a mapping of options")
		return nil
	}
	o := newOpts(d, label, vn)
	s := &step{kind: name, label: fmt.Sprintf("%s#%d", name, i), pipeline: d.file, timed: timedKind(name)}
	s.tag = o.str("tag", "")
	if s.tag != "" {
		s.label = fmt.Sprintf("%s#%d (tag %s)", name, i, s.tag)
	}
	o.str("description", "")
	s.ignoreFailure = o.boolean("ignore_failure", false)
	ignoreMissing := o.boolean("ignore_missing", false)
	s.cond, s.condPainless = o.condition()
	if n := o.node("on_failure"); n != nil {
		s.onFailure = d.steps(n, label+".on_failure.")
	}
	before := len(d.errs)
	s.do = build(o, ignoreMissing)
	o.unknown()
	if len(d.errs) > before || s.do == nil {
		return nil
	}
	return s
}

func builderNames() []string {
	names := processorNames()
	sort.Strings(names)
	return names
}

// opts reads the options of one processor, remembering which were read so
// that the rest can be rejected as unknown.
type opts struct {
	d     *defBuilder
	label string
	self  *yaml.Node               // the options mapping
	keys  map[string][2]*yaml.Node // key node, value node
	order []string
	used  map[string]bool
}

func newOpts(d *defBuilder, label string, n *yaml.Node) *opts {
	o := &opts{d: d, label: label, self: n, keys: map[string][2]*yaml.Node{}, used: map[string]bool{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if _, dup := o.keys[k.Value]; dup {
			o.errorf(k, "option %s given twice", k.Value)
		}
		o.keys[k.Value] = [2]*yaml.Node{k, n.Content[i+1]}
		o.order = append(o.order, k.Value)
	}
	return o
}

func (o *opts) errorf(n *yaml.Node, format string, args ...any) {
	if n == nil {
		n = o.self
	}
	o.d.errorf(n, o.label, format, args...)
}

// node returns the value node of key, or nil when absent.
func (o *opts) node(key string) *yaml.Node {
	kv, ok := o.keys[key]
	if !ok {
		return nil
	}
	o.used[key] = true
	return kv[1]
}

func (o *opts) strNode(key string) (string, *yaml.Node) {
	n := o.node(key)
	if n == nil {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		o.errorf(n, "%s: want a string", key)
		return "", nil
	}
	return n.Value, n
}

func (o *opts) str(key, def string) string {
	s, n := o.strNode(key)
	if n == nil {
		return def
	}
	return s
}

// required reads a string option that must be present and non-empty.
func (o *opts) required(key string) string {
	s, n := o.strNode(key)
	if n == nil && o.keys[key][1] == nil {
		o.errorf(nil, "missing required option %s", key)
	} else if n != nil && s == "" {
		o.errorf(n, "%s: must not be empty", key)
	}
	return s
}

// strs reads a string or a list of strings.
func (o *opts) strs(key string) []string {
	n := o.node(key)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		o.errorf(n, "%s: want a string or a list of strings", key)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			o.errorf(c, "%s: want a string", key)
			continue
		}
		out = append(out, c.Value)
	}
	return out
}

func (o *opts) boolean(key string, def bool) bool {
	n := o.node(key)
	if n == nil {
		return def
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		o.errorf(n, "%s: want true or false, not %q", key, n.Value)
		return def
	}
	return b
}

// byteCount reads a size in bytes that must be a whole number of at least
// 1 (max_bytes); def when absent.
func (o *opts) byteCount(key string, def int) int {
	n := o.node(key)
	if n == nil {
		return def
	}
	var v int
	// yaml.v3 would decode 1.5 into an int as 1: only integers are sizes.
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		o.errorf(n, "%s: want a whole number of bytes, not %q", key, n.Value)
		return def
	}
	if v < 1 {
		o.errorf(n, "%s: must be at least 1, not %d", key, v)
		return def
	}
	return v
}

// value decodes any YAML value (for set/append value).
func (o *opts) value(key string) (any, bool) {
	n := o.node(key)
	if n == nil {
		return nil, false
	}
	var v any
	if err := n.Decode(&v); err != nil {
		o.errorf(n, "%s: %v", key, err)
		return nil, false
	}
	return normalize(v), true
}

// stringMap reads a mapping of strings (pattern_definitions).
func (o *opts) stringMap(key string) map[string]string {
	n := o.node(key)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		o.errorf(n, "%s: want a mapping of names to strings", key)
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = n.Content[i+1].Value
	}
	return out
}

func (o *opts) unknown() {
	for _, k := range o.order {
		if !o.used[k] {
			o.errorf(o.keys[k][0], "unknown option %s", k)
		}
	}
}

// normalize turns YAML-decoded values into the JSON model of events:
// map[string]any objects, int64 integers.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	case int:
		return int64(x)
	}
	return v
}

// resolvePipeline finds the file a pipeline processor names, relative to
// the calling definition, and loads it.
func (d *defBuilder) resolvePipeline(name string) (*Pipeline, error) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(d.abs), name)
	}
	if filepath.Ext(path) == "" {
		for _, ext := range []string{".yml", ".yaml", ".json"} {
			if _, err := os.Stat(path + ext); err == nil {
				path += ext
				break
			}
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	for i, f := range d.l.loading {
		if f == abs {
			chain := append(append([]string{}, d.l.loading[i:]...), abs)
			for j := range chain {
				chain[j] = filepath.Base(chain[j])
			}
			return nil, fmt.Errorf("pipeline cycle: %s", strings.Join(chain, " → "))
		}
	}
	return d.l.load(path)
}
