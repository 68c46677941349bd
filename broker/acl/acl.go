package acl

import (
	"slices"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// The enums, with Kafka's wire values.
type (
	ResourceType = kmsg.ACLResourceType
	PatternType  = kmsg.ACLResourcePatternType
	Operation    = kmsg.ACLOperation
	Permission   = kmsg.ACLPermissionType
)

// ClusterName is the one name of the CLUSTER resource, as Kafka's.
const ClusterName = "kafka-cluster"

// Wildcard is the LITERAL name matching every resource of its type, and
// WildcardPrincipal the principal matching every principal, as Kafka's.
const (
	Wildcard          = "*"
	WildcardPrincipal = "User:*"
)

// Pattern is a resource pattern: LITERAL (a name, or Wildcard) or
// PREFIXED.
type Pattern struct {
	Type    ResourceType
	Name    string
	Pattern PatternType
}

// Entry is an access control entry.
type Entry struct {
	Principal  string
	Host       string
	Operation  Operation
	Permission Permission
}

// Binding is an entry bound to a pattern.
type Binding struct {
	Pattern
	Entry
}

// Authorizer holds every ACL of the cluster (a cache of the stored ones,
// set by Set) and answers whether a principal may do an operation. It
// is safe for concurrent use.
type Authorizer struct {
	superUsers   map[string]bool
	allowIfNoACL bool

	mu   sync.RWMutex
	acls map[Pattern][]Entry
}

// New returns an Authorizer with no ACLs; superUsers are principals
// ("User:alice"), allowIfNoACL is allow.everyone.if.no.acl.found.
func New(superUsers []string, allowIfNoACL bool) *Authorizer {
	a := &Authorizer{superUsers: map[string]bool{}, allowIfNoACL: allowIfNoACL, acls: map[Pattern][]Entry{}}
	for _, u := range superUsers {
		a.superUsers[u] = true
	}
	return a
}

// Set replaces the entries of p (none: p has no ACL).
func (a *Authorizer) Set(p Pattern, entries []Entry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(entries) == 0 {
		delete(a.acls, p)
		return
	}
	a.acls[p] = slices.Clone(entries)
}

// Entries returns the entries of p.
func (a *Authorizer) Entries(p Pattern) []Entry {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return slices.Clone(a.acls[p])
}

// IsSuperUser reports whether principal is in super.users.
func (a *Authorizer) IsSuperUser(principal string) bool { return a.superUsers[principal] }

// Authorize reports whether principal, connected from host (an IP
// address), may do op on the resource rt/name.
func (a *Authorizer) Authorize(principal, host string, op Operation, rt ResourceType, name string) bool {
	if a.superUsers[principal] {
		return true
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	var matching [][]Entry
	for p, es := range a.acls {
		if p.Type == rt && p.matches(name) {
			matching = append(matching, es)
		}
	}
	if len(matching) == 0 {
		return a.allowIfNoACL
	}
	for _, es := range matching {
		for _, e := range es {
			if e.Permission == kmsg.ACLPermissionTypeDeny && e.appliesTo(principal, host) && (e.Operation == op || e.Operation == kmsg.ACLOperationAll) {
				return false
			}
		}
	}
	for _, es := range matching {
		for _, e := range es {
			if e.Permission == kmsg.ACLPermissionTypeAllow && e.appliesTo(principal, host) && allows(e.Operation, op) {
				return true
			}
		}
	}
	return false
}

// AuthorizeAny reports whether principal may do op on some resource of
// type rt, as Kafka's authorizeByResourceType: allowed on a hard-coded
// name (a super user, or no ACL and allow.everyone.if.no.acl.found), or
// some ALLOW (op, or ALL) not overridden by a DENY: a DENY on the
// wildcard denies every name, a DENY on a LITERAL name the same LITERAL
// name, a DENY on a prefix every LITERAL or PREFIXED name it starts.
// Unlike Authorize, only op itself or ALL allow (no implied operations).
func (a *Authorizer) AuthorizeAny(principal, host string, op Operation, rt ResourceType) bool {
	if a.Authorize(principal, host, op, rt, "hardcode") {
		return true
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	var denyLiteral, denyPrefix, allowLiteral, allowPrefix []string
	for p, es := range a.acls {
		if p.Type != rt {
			continue
		}
		for _, e := range es {
			if !e.appliesTo(principal, host) || (e.Operation != op && e.Operation != kmsg.ACLOperationAll) {
				continue
			}
			literal := p.Pattern == kmsg.ACLResourcePatternTypeLiteral
			switch {
			case e.Permission == kmsg.ACLPermissionTypeDeny && literal:
				if p.Name == Wildcard {
					return false
				}
				denyLiteral = append(denyLiteral, p.Name)
			case e.Permission == kmsg.ACLPermissionTypeDeny:
				denyPrefix = append(denyPrefix, p.Name)
			case literal:
				allowLiteral = append(allowLiteral, p.Name)
			default:
				allowPrefix = append(allowPrefix, p.Name)
			}
		}
	}
	deniedByPrefix := func(name string) bool {
		return slices.ContainsFunc(denyPrefix, func(d string) bool { return strings.HasPrefix(name, d) })
	}
	for _, n := range allowLiteral {
		if n == Wildcard || (!slices.Contains(denyLiteral, n) && !deniedByPrefix(n)) {
			return true
		}
	}
	for _, n := range allowPrefix {
		if !deniedByPrefix(n) {
			return true
		}
	}
	return false
}

// Bindings returns every ACL f matches, in a stable order.
func (a *Authorizer) Bindings(f Filter) []Binding {
	a.mu.RLock()
	var out []Binding
	for p, es := range a.acls {
		if !f.MatchesPattern(p) {
			continue
		}
		for _, e := range es {
			if f.MatchesEntry(e) {
				out = append(out, Binding{p, e})
			}
		}
	}
	a.mu.RUnlock()
	slices.SortFunc(out, compareBindings)
	return out
}

func compareBindings(x, y Binding) int {
	if c := int(x.Type) - int(y.Type); c != 0 {
		return c
	}
	if c := strings.Compare(x.Name, y.Name); c != 0 {
		return c
	}
	if c := int(x.Pattern.Pattern) - int(y.Pattern.Pattern); c != 0 {
		return c
	}
	if c := strings.Compare(x.Principal, y.Principal); c != 0 {
		return c
	}
	if c := strings.Compare(x.Host, y.Host); c != 0 {
		return c
	}
	if c := int(x.Operation) - int(y.Operation); c != 0 {
		return c
	}
	return int(x.Permission) - int(y.Permission)
}

// matches reports whether the pattern covers the resource name.
func (p Pattern) matches(name string) bool {
	switch p.Pattern {
	case kmsg.ACLResourcePatternTypeLiteral:
		return p.Name == name || p.Name == Wildcard
	case kmsg.ACLResourcePatternTypePrefixed:
		return strings.HasPrefix(name, p.Name)
	}
	return false
}

func (e Entry) appliesTo(principal, host string) bool {
	return (e.Principal == principal || e.Principal == WildcardPrincipal) && (e.Host == host || e.Host == Wildcard)
}

// allows reports whether an ALLOW of granted permits op: ALL everything,
// and DESCRIBE (DESCRIBE_CONFIGS) implied as Kafka implies them.
func allows(granted, op Operation) bool {
	if granted == op || granted == kmsg.ACLOperationAll {
		return true
	}
	switch op {
	case kmsg.ACLOperationDescribe:
		return granted == kmsg.ACLOperationRead || granted == kmsg.ACLOperationWrite ||
			granted == kmsg.ACLOperationDelete || granted == kmsg.ACLOperationAlter
	case kmsg.ACLOperationDescribeConfigs:
		return granted == kmsg.ACLOperationAlterConfigs
	}
	return false
}
