package clientsec

import (
	"net/url"
	"strings"
)

// Masked stands in for a secret in logs and messages, as Filebeat writes it.
const Masked = "xxxxx"

// RedactURL returns s with the password of its user information masked
// (https://elastic:xxxxx@host:9200), for logs; s unchanged when it has no
// password. A string that does not parse as a URL but has user
// information before an @ is masked after its first colon all the same.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err == nil && u.User != nil {
		if _, set := u.User.Password(); !set {
			return s
		}
		u.User = url.UserPassword(u.User.Username(), Masked)
		return strings.Replace(u.String(), url.QueryEscape(Masked), Masked, 1)
	}
	if err == nil {
		return s
	}
	// Unparsable ("http://u:p%zz@host"): mask between the scheme's
	// colon-slash-slash, the next colon and the last @ before any path.
	rest, scheme := s, ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = s[:i+3], s[i+3:]
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	at := strings.LastIndexByte(host, '@')
	if at < 0 {
		return s
	}
	user := host[:at]
	if c := strings.IndexByte(user, ':'); c >= 0 {
		user = user[:c+1] + Masked
	}
	return scheme + user + rest[at:]
}

// RedactURLs is RedactURL for each of urls.
func RedactURLs(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = RedactURL(u)
	}
	return out
}
