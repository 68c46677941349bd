package pipelines

import (
	"fmt"
	"strings"
	"unicode/utf8"

	lru "github.com/hashicorp/golang-lru"
	"github.com/ua-parser/uap-go/uaparser"
)

// The user_agent processor uses github.com/ua-parser/uap-go, the Go port of
// the ua-parser project whose regexes.yaml Elasticsearch's processor also
// uses. Its parser keeps an internally locked cache of recent user agents,
// the only state shared between goroutines running a pipeline (with
// uaParsers' own cache of agent names and versions, locked as well).

// uaParsers is the user_agent processor's parsers, shared by the pipelines
// of one loader: uap-go's for the OS and the device, and its
// user_agent_parsers regexes matched here for the agent's name and version,
// because uap-go's UserAgent has three version components and the node
// keeps a fourth (Chrome/120.0.6099.144: a regex's fifth group).
type uaParsers struct {
	p      *uaparser.Parser
	agents *lru.Cache // user agent (head) → uaAgent
}

// uaAgent is a user agent's name and version components ("" when absent).
type uaAgent struct {
	family  string
	version [4]string
}

func newUAParsers(cacheSize int) (*uaParsers, error) {
	p, err := uaparser.New(uaparser.WithCacheSize(cacheSize))
	if err != nil {
		return nil, err
	}
	c, err := lru.New(cacheSize)
	if err != nil {
		return nil, fmt.Errorf("user agent cache: %w", err)
	}
	return &uaParsers{p: p, agents: c}, nil
}

// agent matches s against the user_agent_parsers in order, as uap-go's
// ParseUserAgent does (a match whose family expands to "" does not count),
// and reads the fourth component from the fifth group when the regex has
// one; "Other" when none matches.
func (u *uaParsers) agent(s string) uaAgent {
	if a, ok := u.agents.Get(s); ok {
		return a.(uaAgent)
	}
	a := uaAgent{family: "Other"}
	for _, pat := range u.p.RegexDefinitions.UA {
		m := pat.Reg.FindStringSubmatchIndex(s)
		if m == nil {
			continue
		}
		family := string(pat.Reg.ExpandString(nil, pat.FamilyReplacement, s, m))
		if family == "" {
			continue
		}
		a.family = family
		for i, r := range [...]string{pat.V1Replacement, pat.V2Replacement, pat.V3Replacement} {
			a.version[i] = string(pat.Reg.ExpandString(nil, r, s, m))
		}
		if pat.Reg.NumSubexp() >= 5 {
			a.version[3] = string(pat.Reg.ExpandString(nil, "$5", s, m))
		}
		break
	}
	u.agents.Add(s, a)
	return a
}

func isUAProperty(p string) bool {
	switch p {
	case "name", "version", "os", "device", "original":
		return true
	}
	return false
}

func buildUserAgent(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.required("field"))
	target := o.str("target_field", "user_agent")
	props := o.strs("properties")
	o.boolean("extract_device_type", false)
	maxBytes := o.byteCount("max_bytes", o.d.l.opts.UserAgentMaxBytes)
	want := uaWant{name: true, version: true, os: true, device: true, original: true}
	if props != nil {
		want = uaWant{}
		for _, p := range props {
			if !isUAProperty(p) {
				o.errorf(o.keys["properties"][1], "properties: unknown property %q (want name, version, os, device, original)", p)
			}
			switch p {
			case "name":
				want.name = true
			case "version":
				want.version = true
			case "os":
				want.os = true
			case "device":
				want.device = true
			case "original":
				want.original = true
			}
		}
	}
	parser, err := o.d.l.userAgents()
	if err != nil {
		o.errorf(nil, "user agent regexes: %v", err)
		return nil
	}
	tp := newPath(target)
	return func(ev Event, st *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		out, err := uaFields(parser, s, uaHead(s, maxBytes), want, st)
		if err != nil {
			return err
		}
		// Merge into an existing object (the grok capture of
		// user_agent.original lives there) rather than replace it.
		if cur, ok := tp.get(ev); ok {
			if m, isMap := cur.(map[string]any); isMap {
				for k, v := range out {
					m[k] = v
				}
				return nil
			}
		}
		return tp.set(ev, out)
	}
}

// uaWant is the properties a user_agent processor writes (a struct rather
// than a map: uaFields tests them on every event).
type uaWant struct{ name, version, os, device, original bool }

// uaHead is the part of the user agent s that is parsed: its first max
// bytes, cut at a character's start. ua-parser's regexes cost 20-30µs a
// byte on a long string of nonsense (27s for 900 KB, 20ms for the 1 KiB
// default, 20 times that under the race detector); real user agents are a
// few hundred bytes, and their names and versions come first.
func uaHead(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// uaFields builds the ECS user_agent object of s from the parses of its
// head, checking the run's budget before each parse.
func uaFields(p *uaParsers, s, head string, want uaWant, st *state) (map[string]any, error) {
	out := make(map[string]any, 5)
	if want.original {
		out["original"] = s
	}
	s = head
	if want.name || want.version {
		if err := st.overBudget(); err != nil {
			return nil, err
		}
		ua := p.agent(s)
		if want.name {
			out["name"] = ua.family
		}
		if v := joinVersion(ua.version[:]...); v != "" && want.version {
			out["version"] = v
		}
	}
	if want.os {
		if err := st.overBudget(); err != nil {
			return nil, err
		}
		o := p.p.ParseOs(s)
		if o.Family != "Other" {
			os := map[string]any{"name": o.Family}
			if v := joinVersion(o.Major, o.Minor, o.Patch, o.PatchMinor); v != "" {
				os["version"] = v
				os["full"] = o.Family + " " + v // only with a version, as the node
			}
			out["os"] = os
		}
	}
	if want.device {
		if err := st.overBudget(); err != nil {
			return nil, err
		}
		out["device"] = map[string]any{"name": p.p.ParseDevice(s).Family}
	}
	return out, nil
}

func joinVersion(parts ...string) string {
	n := 0
	for n < len(parts) && parts[n] != "" {
		n++
	}
	return strings.Join(parts[:n], ".")
}
