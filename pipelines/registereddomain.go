package pipelines

import (
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// buildRegisteredDomain compiles registered_domain (Elasticsearch 7.13):
// a fully qualified domain name split along the Mozilla Public Suffix List
// into domain (the name as given), registered_domain (the public suffix
// and the label before it), top_level_domain (the public suffix) and
// subdomain (what is left, when anything is), under target_field (the top
// level by default). A name that is a public suffix itself gets domain and
// top_level_domain only. A name that is not a domain fails, unless
// ignore_missing (true by default, as in Elasticsearch) is set.
func buildRegisteredDomain(o *opts, _ bool) doFunc {
	field := newPath(o.required("field"))
	prefix := o.str("target_field", "")
	if prefix != "" {
		prefix += "."
	}
	ignoreMissing := o.boolean("ignore_missing", true)
	out := map[string]path{}
	for _, k := range []string{"domain", "registered_domain", "top_level_domain", "subdomain"} {
		out[k] = newPath(prefix + k)
	}
	return func(ev Event, _ *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		parts, ok := domainParts(s)
		if !ok {
			if ignoreMissing {
				return nil
			}
			return fmt.Errorf("field [%s]: [%s] is not a domain name under a public suffix", field, s)
		}
		for _, k := range []string{"domain", "registered_domain", "top_level_domain", "subdomain"} {
			if v, set := parts[k]; set {
				if err := out[k].set(ev, v); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// domainParts splits a domain name; ok is false when it is not one.
func domainParts(s string) (map[string]string, bool) {
	name := strings.ToLower(s)
	if name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") ||
		strings.ContainsAny(name, " /:@\t") {
		return nil, false
	}
	suffix, _ := publicsuffix.PublicSuffix(name)
	if suffix == name {
		if !strings.Contains(name, ".") && !knownSuffix(name) {
			return nil, false // one label that is no TLD
		}
		return map[string]string{"domain": s, "top_level_domain": suffix}, true
	}
	reg, err := publicsuffix.EffectiveTLDPlusOne(name)
	if err != nil {
		return nil, false
	}
	parts := map[string]string{"domain": s, "registered_domain": reg, "top_level_domain": suffix}
	if sub := strings.TrimSuffix(name, "."+reg); sub != name && sub != "" {
		parts["subdomain"] = sub
	}
	return parts, true
}

// knownSuffix reports whether a single label is a suffix of the list
// rather than one matched by its default rule ("*").
func knownSuffix(label string) bool {
	_, icann := publicsuffix.PublicSuffix(label)
	return icann
}
