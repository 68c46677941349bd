package acl

import (
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Filter selects ACLs, as Kafka's AclBindingFilter (DescribeAcls,
// DeleteAcls): a nil string matches any, ANY any enum value; the pattern
// type MATCH selects the patterns that would apply to Name (its LITERAL,
// the wildcard, the PREFIXED ones it starts with).
type Filter struct {
	Type       ResourceType
	Name       *string
	Pattern    PatternType
	Principal  *string
	Host       *string
	Operation  Operation
	Permission Permission
}

// Valid reports whether f names no UNKNOWN value, which Kafka refuses
// (INVALID_REQUEST).
func (f Filter) Valid() bool {
	return f.Type != kmsg.ACLResourceTypeUnknown && f.Pattern != kmsg.ACLResourcePatternTypeUnknown &&
		f.Operation != kmsg.ACLOperationUnknown && f.Permission != kmsg.ACLPermissionTypeUnknown
}

// MatchesPattern reports whether f's resource part selects p.
func (f Filter) MatchesPattern(p Pattern) bool {
	if f.Type != kmsg.ACLResourceTypeAny && f.Type != p.Type {
		return false
	}
	if f.Pattern != kmsg.ACLResourcePatternTypeAny && f.Pattern != kmsg.ACLResourcePatternTypeMatch && f.Pattern != p.Pattern {
		return false
	}
	if f.Name == nil {
		return true
	}
	if f.Pattern != kmsg.ACLResourcePatternTypeMatch {
		return *f.Name == p.Name
	}
	switch p.Pattern {
	case kmsg.ACLResourcePatternTypeLiteral:
		return *f.Name == p.Name || p.Name == Wildcard
	case kmsg.ACLResourcePatternTypePrefixed:
		return strings.HasPrefix(*f.Name, p.Name)
	}
	return false
}

// MatchesEntry reports whether f's entry part selects e.
func (f Filter) MatchesEntry(e Entry) bool {
	return (f.Principal == nil || *f.Principal == e.Principal) && (f.Host == nil || *f.Host == e.Host) &&
		(f.Operation == kmsg.ACLOperationAny || f.Operation == e.Operation) &&
		(f.Permission == kmsg.ACLPermissionTypeAny || f.Permission == e.Permission)
}
