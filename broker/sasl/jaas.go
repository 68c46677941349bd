package sasl

import (
	"fmt"
	"strings"
	"unicode"
)

// The login modules of Kafka's PLAIN and SCRAM mechanisms.
const (
	PlainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
	ScramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule"
)

// JAAS is one login module entry of a sasl.jaas.config value:
//
//	org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_alice="alice-secret";
//
// username and password are what this broker sends to other brokers;
// PlainLoginModule's user_<name> options are the PLAIN users it accepts.
type JAAS struct {
	Module  string
	Flag    string // required, requisite, sufficient or optional
	Options map[string]string
}

// Username and Password are the credentials this side presents.
func (j JAAS) Username() string { return j.Options["username"] }
func (j JAAS) Password() string { return j.Options["password"] }

// PlainUsers are the user_<name>=<password> options.
func (j JAAS) PlainUsers() map[string]string {
	users := map[string]string{}
	for k, v := range j.Options {
		if name, ok := strings.CutPrefix(k, "user_"); ok && name != "" {
			users[name] = v
		}
	}
	return users
}

// ParseJAAS reads a sasl.jaas.config value: exactly one login module
// entry, ended by a semicolon, as Kafka requires of the property.
func ParseJAAS(s string) (JAAS, error) {
	toks, err := jaasTokens(s)
	if err != nil {
		return JAAS{}, err
	}
	if len(toks) < 3 || toks[len(toks)-1] != ";" {
		return JAAS{}, fmt.Errorf("JAAS config %q: want 'LoginModule flag key=value ... ;'", s)
	}
	j := JAAS{Module: toks[0], Flag: toks[1], Options: map[string]string{}}
	switch j.Flag {
	case "required", "requisite", "sufficient", "optional":
	default:
		return JAAS{}, fmt.Errorf("JAAS config: invalid control flag %q", j.Flag)
	}
	rest := toks[2 : len(toks)-1]
	for len(rest) > 0 {
		if len(rest) < 3 || rest[1] != "=" || rest[0] == ";" || rest[2] == ";" {
			return JAAS{}, fmt.Errorf("JAAS config: option %q is not key=value, or more than one login module", rest[0])
		}
		j.Options[rest[0]] = rest[2]
		rest = rest[3:]
	}
	return j, nil
}

// jaasTokens splits a JAAS entry into words, quoted strings (with
// backslash escapes), "=" and ";".
func jaasTokens(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case unicode.IsSpace(rune(c)):
			i++
		case c == '=' || c == ';':
			toks = append(toks, string(c))
			i++
		case c == '"':
			var b strings.Builder
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("JAAS config: unterminated quoted string")
			}
			i++
			toks = append(toks, b.String())
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && s[j] != '=' && s[j] != ';' && s[j] != '"' {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}
