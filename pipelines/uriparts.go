package pipelines

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// buildURIParts compiles uri_parts: a URI split into the ECS url.* fields
// (scheme, domain, port, path, extension, query, fragment, user_info,
// username, password and, with keep_original, original) under
// target_field, "url" by default. remove_if_successful removes the source
// field once it is parsed.
func buildURIParts(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.required("field"))
	target := newPath(o.str("target_field", "url"))
	keepOriginal := o.boolean("keep_original", true)
	removeSource := o.boolean("remove_if_successful", false)
	return func(ev Event, _ *state) error {
		s, ok, err := sourceString(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		parts, err := uriParts(s)
		if err != nil {
			return fmt.Errorf("field [%s]: %w", field, err)
		}
		if keepOriginal {
			parts["original"] = s
		}
		if removeSource && target.name != field.name {
			field.remove(ev)
		}
		return target.set(ev, parts)
	}
}

// uriParts splits s as Java's URI does: components decoded, no port when
// none is written, domain only for a server authority.
func uriParts(s string) (map[string]any, error) {
	u, err := url.Parse(s)
	if err != nil || (strings.ContainsFunc(s, uriIllegal) && !urlScheme[strings.ToLower(u.Scheme)]) {
		return nil, fmt.Errorf("unable to parse URI [%s]", s)
	}
	out := map[string]any{}
	if u.Scheme != "" {
		out["scheme"] = u.Scheme
	}
	if u.Opaque != "" {
		// mailto:x@y: Java's URI has neither path nor host for it.
		if u.Fragment != "" || strings.HasSuffix(s, "#") {
			out["fragment"] = u.Fragment
		}
		return out, nil
	}
	host := u.Host
	if p := u.Port(); p != "" {
		host = strings.TrimSuffix(host, ":"+p)
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("unable to parse URI [%s]: port %s", s, p)
		}
		out["port"] = n
	}
	host = strings.TrimSuffix(host, ":")
	if host != "" {
		out["domain"] = host
	}
	out["path"] = u.Path
	last := u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	if i := strings.LastIndexByte(last, '.'); i >= 0 {
		out["extension"] = last[i+1:]
	}
	if u.RawQuery != "" || u.ForceQuery {
		q, err := url.PathUnescape(u.RawQuery)
		if err != nil {
			return nil, fmt.Errorf("unable to parse URI [%s]: query: %w", s, err)
		}
		out["query"] = q
	}
	if u.Fragment != "" || strings.HasSuffix(s, "#") {
		out["fragment"] = u.Fragment
	}
	if u.User != nil {
		info := u.User.Username()
		if pw, set := u.User.Password(); set {
			info += ":" + pw
			out["username"] = u.User.Username()
			out["password"] = pw
		}
		out["user_info"] = info
	}
	return out, nil
}

// uriIllegal reports the characters Java's URI refuses anywhere; Go's
// url.Parse takes some of them (a space in a path). Elasticsearch then
// tries Java's URL, which takes them after a scheme it knows (urlScheme).
func uriIllegal(r rune) bool {
	return r <= ' ' || r == 0x7f || strings.ContainsRune("\"<>\\^`{|}", r)
}

var urlScheme = map[string]bool{"http": true, "https": true, "ftp": true, "file": true, "jar": true}
