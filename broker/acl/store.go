package acl

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// The ZooKeeper nodes of Kafka 2.x's AclAuthorizer.
const (
	LiteralRoot     = "/kafka-acl"
	PrefixedRoot    = "/kafka-acl-extended/prefixed"
	LiteralChanges  = "/kafka-acl-changes"
	ExtendedChanges = "/kafka-acl-extended-changes"
	ChangePrefix    = "acl_changes_"
)

// typeNames are the resource types' names in ZooKeeper paths and change
// notifications (Kafka's camel case).
var typeNames = map[ResourceType]string{
	kmsg.ACLResourceTypeTopic:           "Topic",
	kmsg.ACLResourceTypeGroup:           "Group",
	kmsg.ACLResourceTypeCluster:         "Cluster",
	kmsg.ACLResourceTypeTransactionalId: "TransactionalId",
	kmsg.ACLResourceTypeDelegationToken: "DelegationToken",
}

var opNames = map[Operation]string{
	kmsg.ACLOperationAll:             "All",
	kmsg.ACLOperationRead:            "Read",
	kmsg.ACLOperationWrite:           "Write",
	kmsg.ACLOperationCreate:          "Create",
	kmsg.ACLOperationDelete:          "Delete",
	kmsg.ACLOperationAlter:           "Alter",
	kmsg.ACLOperationDescribe:        "Describe",
	kmsg.ACLOperationClusterAction:   "ClusterAction",
	kmsg.ACLOperationDescribeConfigs: "DescribeConfigs",
	kmsg.ACLOperationAlterConfigs:    "AlterConfigs",
	kmsg.ACLOperationIdempotentWrite: "IdempotentWrite",
}

var permNames = map[Permission]string{kmsg.ACLPermissionTypeAllow: "Allow", kmsg.ACLPermissionTypeDeny: "Deny"}

// ResourceTypes are the types ACLs can be stored for.
func ResourceTypes() []ResourceType {
	return []ResourceType{kmsg.ACLResourceTypeTopic, kmsg.ACLResourceTypeGroup, kmsg.ACLResourceTypeCluster,
		kmsg.ACLResourceTypeTransactionalId, kmsg.ACLResourceTypeDelegationToken}
}

// TypeName is rt's name in ZooKeeper ("Topic"), "" for a type not stored.
func TypeName(rt ResourceType) string { return typeNames[rt] }

// ParseTypeName is TypeName's inverse.
func ParseTypeName(s string) (ResourceType, bool) { return lookup(typeNames, s) }

func lookup[K comparable](m map[K]string, s string) (K, bool) {
	for k, v := range m {
		if strings.EqualFold(v, s) {
			return k, true
		}
	}
	var zero K
	return zero, false
}

// Storable reports why p cannot be stored ("" if it can): a type,
// pattern type, or name Kafka refuses.
func (p Pattern) Storable() string {
	switch {
	case typeNames[p.Type] == "":
		return "Invalid resource type"
	case p.Pattern != kmsg.ACLResourcePatternTypeLiteral && p.Pattern != kmsg.ACLResourcePatternTypePrefixed:
		return "Invalid resource pattern type"
	case p.Name == "":
		return "Invalid empty resource name specified"
	case strings.Contains(p.Name, "/") || p.Name == "." || p.Name == "..":
		// A node's name in ZooKeeper, where Kafka 2.x fails to store it.
		return "Invalid resource name " + p.Name + ": ACLs are kept in ZooKeeper, whose node names cannot be it"
	case p.Type == kmsg.ACLResourceTypeCluster && p.Name != ClusterName:
		return "The only valid name for the CLUSTER resource is " + ClusterName
	}
	return ""
}

// Storable reports why e cannot be stored ("" if it can).
func (e Entry) Storable() string {
	switch {
	case opNames[e.Operation] == "":
		return "Invalid operation"
	case permNames[e.Permission] == "":
		return "Invalid permission type"
	case e.Host == "":
		return "Invalid host"
	}
	if typ, name, ok := strings.Cut(e.Principal, ":"); !ok || typ == "" || name == "" {
		return fmt.Sprintf("Invalid principal %q: want Type:name", e.Principal)
	}
	return ""
}

// Path is the node holding p's entries.
func Path(p Pattern) string {
	root := LiteralRoot
	if p.Pattern == kmsg.ACLResourcePatternTypePrefixed {
		root = PrefixedRoot
	}
	return root + "/" + typeNames[p.Type] + "/" + p.Name
}

// Change is the change notification for p: the directory its sequential
// node goes in and its data.
func Change(p Pattern) (dir string, data []byte) {
	if p.Pattern == kmsg.ACLResourcePatternTypeLiteral {
		return LiteralChanges, []byte(typeNames[p.Type] + ":" + p.Name)
	}
	data, _ = json.Marshal(extendedChange{Version: 1, ResourceType: typeNames[p.Type], Name: p.Name, PatternType: "PREFIXED"})
	return ExtendedChanges, data
}

type extendedChange struct {
	Version      int    `json:"version"`
	ResourceType string `json:"resourceType"`
	Name         string `json:"name"`
	PatternType  string `json:"patternType"`
}

var errBadChange = errors.New("acl: bad change notification")

// DecodeChange decodes a change notification read from dir (LiteralChanges
// or ExtendedChanges).
func DecodeChange(dir string, data []byte) (Pattern, error) {
	if dir == LiteralChanges {
		typ, name, ok := strings.Cut(string(data), ":")
		rt, known := ParseTypeName(typ)
		if !ok || !known || name == "" {
			return Pattern{}, fmt.Errorf("%w: %q", errBadChange, data)
		}
		return Pattern{rt, name, kmsg.ACLResourcePatternTypeLiteral}, nil
	}
	var c extendedChange
	if err := json.Unmarshal(data, &c); err != nil {
		return Pattern{}, fmt.Errorf("%w: %v", errBadChange, err)
	}
	rt, known := ParseTypeName(c.ResourceType)
	p := Pattern{rt, c.Name, kmsg.ACLResourcePatternTypePrefixed}
	if c.Version != 1 || !known || !strings.EqualFold(c.PatternType, "PREFIXED") || c.Name == "" {
		return Pattern{}, fmt.Errorf("%w: %q", errBadChange, data)
	}
	return p, nil
}

type storedEntry struct {
	Principal      string `json:"principal"`
	PermissionType string `json:"permissionType"`
	Operation      string `json:"operation"`
	Host           string `json:"host"`
}

type stored struct {
	Version int           `json:"version"`
	ACLs    []storedEntry `json:"acls"`
}

// Encode is the node data of entries, as Kafka 2.x writes it.
func Encode(entries []Entry) []byte {
	s := stored{Version: 1, ACLs: []storedEntry{}}
	for _, e := range entries {
		s.ACLs = append(s.ACLs, storedEntry{e.Principal, permNames[e.Permission], opNames[e.Operation], e.Host})
	}
	b, _ := json.Marshal(s)
	return b
}

var errBadACLs = errors.New("acl: bad ACL node")

// Decode reads a node written by Encode or by Kafka. Empty data is no
// entry (Kafka's own reading of an empty node).
func Decode(data []byte) ([]Entry, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var s stored
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadACLs, err)
	}
	if s.Version != 1 {
		return nil, fmt.Errorf("%w: version %d", errBadACLs, s.Version)
	}
	out := make([]Entry, 0, len(s.ACLs))
	for _, se := range s.ACLs {
		op, ok1 := lookup(opNames, se.Operation)
		perm, ok2 := lookup(permNames, se.PermissionType)
		e := Entry{se.Principal, se.Host, op, perm}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: operation %q, permission %q", errBadACLs, se.Operation, se.PermissionType)
		}
		if why := e.Storable(); why != "" {
			return nil, fmt.Errorf("%w: %s", errBadACLs, why)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}
