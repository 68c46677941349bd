package pipelines

import (
	"strings"

	"github.com/ua-parser/uap-go/uaparser"
)

// The user_agent processor uses github.com/ua-parser/uap-go, the Go port of
// the ua-parser project whose regexes.yaml Elasticsearch's processor also
// uses. Its parser keeps an internally locked cache of recent user agents,
// the only state shared between goroutines running a pipeline.

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
	return func(ev Event, _ *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		out := uaFields(parser, s, want)
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

// uaFields builds the ECS user_agent object.
func uaFields(p *uaparser.Parser, s string, want uaWant) map[string]any {
	out := make(map[string]any, 5)
	if want.original {
		out["original"] = s
	}
	if want.name || want.version {
		ua := p.ParseUserAgent(s)
		if want.name {
			out["name"] = ua.Family
		}
		if v := joinVersion(ua.Major, ua.Minor, ua.Patch, ""); v != "" && want.version {
			out["version"] = v
		}
	}
	if want.os {
		o := p.ParseOs(s)
		if o.Family != "Other" {
			os := map[string]any{"name": o.Family}
			if v := joinVersion(o.Major, o.Minor, o.Patch, o.PatchMinor); v != "" {
				os["version"] = v
				os["full"] = o.Family + " " + v
			} else {
				os["full"] = o.Family
			}
			out["os"] = os
		}
	}
	if want.device {
		out["device"] = map[string]any{"name": p.ParseDevice(s).Family}
	}
	return out
}

func joinVersion(parts ...string) string {
	n := 0
	for n < len(parts) && parts[n] != "" {
		n++
	}
	return strings.Join(parts[:n], ".")
}
