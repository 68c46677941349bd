package pipelines

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// stepClock is a clock that moves on by step at every reading, so that a
// run's budget runs out after a known number of checks whatever the
// machine's speed.
type stepClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func parseWith(t *testing.T, def string, opts Options) *Pipeline {
	t.Helper()
	p, err := Parse("limits.yml", []byte(def), opts)
	if err != nil {
		t.Fatalf("definition:\n%s\nerror: %v", def, err)
	}
	return p
}

// TestBudgetEndsRunBetweenProcessors: the budget is checked after every
// processor that parses text (dissect here, not set); the run that went
// over it ends there, neither ignore_failure nor the pipeline's
// on_failure handles it, and the error names the processor.
func TestBudgetEndsRunBetweenProcessors(t *testing.T) {
	clock := &stepClock{t: testNow, step: 400 * time.Millisecond}
	p := parseWith(t, `processors:
  - dissect: {field: m, pattern: '%{a}'}
  - set: {field: x, value: 1}
  - dissect: {field: m, pattern: '%{b}'}
  - dissect: {field: m, pattern: '%{c}', ignore_failure: true}
  - dissect: {field: m, pattern: '%{d}'}
on_failure:
  - set: {field: error.message, value: '{{ _ingest.on_failure_message }}'}
`, Options{Now: clock.now, Budget: time.Second})
	// The start reads the clock (deadline +1s), then each dissect's
	// check: +0.4s, +0.8s, +1.2s: over after dissect#3.
	ev, dropped, err := p.Run(Event{"m": "v"})
	if !errors.Is(err, ErrOverBudget) || dropped {
		t.Fatalf("err %v, dropped %v: want ErrOverBudget", err, dropped)
	}
	var pe *ProcessorError
	if !errors.As(err, &pe) || pe.Processor != "dissect#3" {
		t.Errorf("error %q: want it to name dissect#3", err)
	}
	if !strings.Contains(err.Error(), "over the pipeline's time budget of 1s") {
		t.Errorf("error %q: want the budget in it", err)
	}
	if _, ok := ev["d"]; ok {
		t.Errorf("dissect#4 ran after the budget was used up: %v", ev)
	}
	if _, ok := ev["error"]; ok {
		t.Errorf("on_failure ran: %v", ev)
	}

	// Without a budget, the same clock changes nothing.
	p = parseWith(t, `processors: [{dissect: {field: m, pattern: '%{a}'}}, {dissect: {field: m, pattern: '%{b}'}}, {dissect: {field: m, pattern: '%{c}'}}]`,
		Options{Now: clock.now})
	if _, _, err := p.Run(Event{"m": "v"}); err != nil {
		t.Fatal(err)
	}
}

// TestBudgetWithinGrok: grok checks the budget before each search, and
// ignore_failure does not hide a run over it.
func TestBudgetWithinGrok(t *testing.T) {
	clock := &stepClock{t: testNow, step: 300 * time.Millisecond}
	p := parseWith(t, `processors:
  - grok:
      field: message
      ignore_failure: true
      patterns: ['^a%{INT:n}$', '^b%{INT:n}$', '^c%{INT:n}$', '^d%{INT:n}$', '^e%{INT:n}$']
`, Options{Now: clock.now, Budget: time.Second})
	_, _, err := p.Run(Event{"message": "no match"})
	var pe *ProcessorError
	if !errors.Is(err, ErrOverBudget) || !errors.As(err, &pe) || pe.Type != "grok" {
		t.Fatalf("err %v: want ErrOverBudget in grok#0", err)
	}
}

// TestGrokFieldCap: a field over GrokMaxBytes fails grok at once (a
// failure like any other: here the nginx example's fallback grok fails
// and the pipeline's on_failure records it), rather than running the
// stock patterns over it.
func TestGrokFieldCap(t *testing.T) {
	p, err := Load("../examples/pipelines/nginx.yml", Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x ", 990_000/2) // 990 KB that dissect rejects
	ev, _, err := p.Run(Event{"message": line})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := ev["error"].(map[string]any)["message"].(string)
	if want := "field [message] is 990000 bytes, over grok's limit of 65536"; msg != want {
		t.Errorf("error.message %q, want %q", msg, want)
	}

	// GrokMaxBytes moves the cap.
	q := parseWith(t, `processors: [{grok: {field: message, patterns: ['%{INT:n:int}']}}]`, Options{GrokMaxBytes: 4})
	if _, _, err := q.Run(Event{"message": "12345"}); err == nil || !strings.Contains(err.Error(), "over grok's limit of 4") {
		t.Errorf("5 bytes, cap 4: err %v", err)
	}
	if ev, _, err := q.Run(Event{"message": "1234"}); err != nil || ev["n"] != int64(1234) {
		t.Errorf("4 bytes, cap 4: %v, %v", ev, err)
	}
}

// TestUserAgentCap: user_agent parses only the first UserAgentMaxBytes of
// a user agent, so a browser named beyond them is not seen; the original
// is kept whole. The example's 900 KB user agent goes through the nginx
// pipeline, parsed from its head.
func TestUserAgentCap(t *testing.T) {
	p, err := Load("../examples/pipelines/nginx.yml", Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
	cases := []struct {
		ua, name string
	}{
		{firefox + strings.Repeat(" (junk; x)", 90_000), "Firefox"},                        // 900 KB
		{strings.Repeat("j", DefaultUserAgentMaxBytes) + " " + firefox, "Other"},           // named past the cap
		{strings.Repeat("j", DefaultUserAgentMaxBytes-len(firefox)-1) + " " + firefox, ""}, // named within it
	}
	for i, c := range cases {
		line := `10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 12 "-" "` + c.ua + `"`
		ev, _, err := p.Run(Event{"message": line})
		if err != nil {
			t.Fatal(err)
		}
		ua, _ := ev["user_agent"].(map[string]any)
		want := c.name
		if want == "" {
			want = "Firefox"
		}
		if ua["name"] != want || ua["original"] != c.ua {
			t.Errorf("case %d (%d bytes): name %v, original of %d bytes; want %s and the whole", i, len(c.ua), ua["name"], len(ua["original"].(string)), want)
		}
	}
	if got := uaHead("aé", 2); got != "a" {
		t.Errorf("uaHead cuts inside a character: %q", got)
	}
}

// TestGrokMaxBytesOption: a grok processor's max_bytes is its cap,
// whatever Options.GrokMaxBytes says: a field one byte over it is a grok
// failure like TestGrokFieldCap's (here recorded by on_failure), a field
// of exactly max_bytes is matched, whether Options.GrokMaxBytes is the
// default, lower or higher.
func TestGrokMaxBytesOption(t *testing.T) {
	def := func(max int) string {
		return fmt.Sprintf(`processors:
  - grok: {field: message, patterns: ['%%{INT:n:int}'], max_bytes: %d}
on_failure:
  - set: {field: error.message, value: '{{ _ingest.on_failure_message }}'}
`, max)
	}
	for _, o := range []Options{{}, {GrokMaxBytes: 2}, {GrokMaxBytes: 1 << 20}} {
		p := parseWith(t, def(4), o)
		ev, _, err := p.Run(Event{"message": "12345"})
		if err != nil {
			t.Fatal(err)
		}
		e, _ := ev["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if want := "field [message] is 5 bytes, over grok's limit of 4"; msg != want || ev["n"] != nil {
			t.Errorf("Options %+v, max_bytes 4, 5 bytes: error.message %q, n %v; want %q and no n", o, msg, ev["n"], want)
		}
		if ev, _, err := p.Run(Event{"message": "1234"}); err != nil || ev["n"] != int64(1234) || ev["error"] != nil {
			t.Errorf("Options %+v, max_bytes 4, 4 bytes: %v, %v", o, ev, err)
		}
	}
}

// TestUserAgentMaxBytesOption: a user_agent processor with a small
// max_bytes parses only that prefix: a user agent whose browser is named
// after max_bytes bytes of junk is Other, and the same one with max_bytes
// reaching its end is Firefox on Linux; original keeps the whole either
// way. The option wins over Options.UserAgentMaxBytes.
func TestUserAgentMaxBytesOption(t *testing.T) {
	const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
	junk := strings.Repeat("j", 40)
	ua := junk + " " + firefox
	for _, c := range []struct {
		max  int
		opts Options
		name string
		os   bool
	}{
		{len(junk), Options{}, "Other", false}, // the junk alone
		{len(junk), Options{UserAgentMaxBytes: 1 << 20}, "Other", false},
		{len(ua), Options{UserAgentMaxBytes: 8}, "Firefox", true}, // all of it
	} {
		p := parseWith(t, fmt.Sprintf("processors: [{user_agent: {field: ua, max_bytes: %d}}]", c.max), c.opts)
		ev, _, err := p.Run(Event{"ua": ua})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := ev["user_agent"].(map[string]any)
		_, hasOS := got["os"]
		if got["name"] != c.name || hasOS != c.os || got["original"] != ua {
			t.Errorf("max_bytes %d, Options %+v: %v; want name %s, os %v and the whole original", c.max, c.opts, got, c.name, c.os)
		}
	}
}
