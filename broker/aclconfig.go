package broker

import (
	"strings"

	"github.com/sluicelogs/sluice/internal/config"
)

// The authorizer's keys, Kafka's (ZooKeeper mode).
const (
	authorizerClassKey   = "authorizer.class.name"
	superUsersKey        = "super.users"
	allowIfNoACLKey      = "allow.everyone.if.no.acl.found"
	aclAuthorizerClass   = "kafka.security.authorizer.AclAuthorizer" // Kafka 2.4+
	simpleAuthorizerName = "kafka.security.auth.SimpleAclAuthorizer" // before 2.4
)

// AuthzConfig is the authorizer's configuration: with ClassName empty,
// as in Kafka, nothing is authorized (every request allowed, the ACL
// APIs answer SECURITY_DISABLED).
type AuthzConfig struct {
	ClassName    string   // authorizer.class.name: "" or one of Kafka's ZooKeeper-mode AclAuthorizers
	SuperUsers   []string // super.users: principals ("User:admin") allowed everything
	AllowIfNoACL bool     // allow.everyone.if.no.acl.found: a resource without ACLs is open
}

// Enabled reports whether requests are authorized.
func (a AuthzConfig) Enabled() bool { return a.ClassName != "" }

func (c *Config) readAuthzProperties(p *config.Properties, add func(error)) {
	if v, ok := p.Lookup(authorizerClassKey); ok {
		c.Authz.ClassName = strings.TrimSpace(v)
	}
	if v, ok := p.Lookup(superUsersKey); ok {
		c.Authz.SuperUsers = parseSuperUsers(v)
	}
	b, err := p.Bool(allowIfNoACLKey, c.Authz.AllowIfNoACL)
	add(err)
	c.Authz.AllowIfNoACL = b
}

// parseSuperUsers splits super.users ("User:a;User:b") as Kafka does.
func parseSuperUsers(v string) []string {
	var out []string
	for _, u := range strings.Split(v, ";") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

func (c *Config) validateAuthz(errs *config.Errors) {
	switch c.Authz.ClassName {
	case "", aclAuthorizerClass, simpleAuthorizerName:
	default:
		errs.Addf(authorizerClassKey, "%q is not an authorizer sluice has: %s (or %s, its name before Kafka 2.4), or empty for none",
			c.Authz.ClassName, aclAuthorizerClass, simpleAuthorizerName)
	}
	for _, u := range c.Authz.SuperUsers {
		if typ, name, ok := strings.Cut(u, ":"); !ok || typ == "" || name == "" {
			errs.Addf(superUsersKey, "%q is not a principal (Type:name, as User:admin)", u)
		}
	}
}

func (c *Config) renderAuthz(line func(string, any)) {
	if c.Authz.ClassName != "" {
		line(authorizerClassKey, c.Authz.ClassName)
	}
	if len(c.Authz.SuperUsers) > 0 {
		line(superUsersKey, strings.Join(c.Authz.SuperUsers, ";"))
	}
	if c.Authz.AllowIfNoACL {
		line(allowIfNoACLKey, true)
	}
}
