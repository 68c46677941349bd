package acl

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	topic   = kmsg.ACLResourceTypeTopic
	group   = kmsg.ACLResourceTypeGroup
	cluster = kmsg.ACLResourceTypeCluster
	literal = kmsg.ACLResourcePatternTypeLiteral
	prefix  = kmsg.ACLResourcePatternTypePrefixed
	allow   = kmsg.ACLPermissionTypeAllow
	deny    = kmsg.ACLPermissionTypeDeny
	read    = kmsg.ACLOperationRead
	write   = kmsg.ACLOperationWrite
	descr   = kmsg.ACLOperationDescribe
	all     = kmsg.ACLOperationAll
)

func TestAuthorize(t *testing.T) {
	a := New([]string{"User:admin"}, false)
	a.Set(Pattern{topic, "logs", literal}, []Entry{
		{"User:alice", "*", read, allow},
		{"User:bob", "10.0.0.1", write, allow},
		{"User:*", "*", kmsg.ACLOperationAlterConfigs, allow},
	})
	a.Set(Pattern{topic, "app-", prefix}, []Entry{{"User:carol", "*", all, allow}})
	a.Set(Pattern{topic, "app-secret", literal}, []Entry{{"User:carol", "*", read, deny}})
	a.Set(Pattern{topic, "*", literal}, []Entry{{"User:dave", "*", descr, allow}})
	a.Set(Pattern{group, "g", literal}, []Entry{{"User:alice", "*", all, deny}})
	for _, c := range []struct {
		principal, host string
		op              Operation
		rt              ResourceType
		name            string
		want            bool
	}{
		{"User:admin", "1.2.3.4", kmsg.ACLOperationClusterAction, cluster, ClusterName, true}, // super user
		{"User:alice", "1.2.3.4", read, topic, "logs", true},
		{"User:alice", "1.2.3.4", descr, topic, "logs", true}, // implied by READ
		{"User:alice", "1.2.3.4", write, topic, "logs", false},
		{"User:bob", "10.0.0.1", write, topic, "logs", true},
		{"User:bob", "10.0.0.2", write, topic, "logs", false},                          // other host
		{"User:eve", "1.2.3.4", kmsg.ACLOperationDescribeConfigs, topic, "logs", true}, // User:*, implied by ALTER_CONFIGS
		{"User:eve", "1.2.3.4", read, topic, "other", false},                           // no ACL: allow.everyone false
		{"User:carol", "1.2.3.4", write, topic, "app-x", true},                         // prefixed ALL
		{"User:carol", "1.2.3.4", read, topic, "app-secret", false},                    // DENY wins
		{"User:carol", "1.2.3.4", write, topic, "app-secret", true},
		{"User:dave", "1.2.3.4", descr, topic, "anything", true}, // wildcard
		{"User:dave", "1.2.3.4", read, topic, "anything", false},
		{"User:alice", "1.2.3.4", read, group, "g", false}, // DENY ALL
		{"User:alice", "1.2.3.4", read, kmsg.ACLResourceTypeTransactionalId, "g", false},
	} {
		if got := a.Authorize(c.principal, c.host, c.op, c.rt, c.name); got != c.want {
			t.Errorf("Authorize(%s@%s %v %v:%s) = %v, want %v", c.principal, c.host, c.op, c.rt, c.name, got, c.want)
		}
	}
}

func TestAllowEveryoneIfNoACLFound(t *testing.T) {
	a := New(nil, true)
	a.Set(Pattern{topic, "closed", literal}, []Entry{{"User:ANONYMOUS", "*", read, deny}})
	if !a.Authorize("User:ANONYMOUS", "127.0.0.1", write, topic, "open") {
		t.Error("no ACL: want allowed")
	}
	if a.Authorize("User:ANONYMOUS", "127.0.0.1", read, topic, "closed") {
		t.Error("denied READ allowed")
	}
	if a.Authorize("User:ANONYMOUS", "127.0.0.1", write, topic, "closed") {
		t.Error("an ACL exists on the topic: WRITE without an ALLOW must be refused")
	}
}

func TestAuthorizeAny(t *testing.T) {
	a := New(nil, false)
	if a.AuthorizeAny("User:a", "h", write, topic) {
		t.Error("no ACL at all: allowed")
	}
	a.Set(Pattern{topic, "t1", literal}, []Entry{{"User:a", "*", write, allow}})
	if !a.AuthorizeAny("User:a", "h", write, topic) {
		t.Error("WRITE on t1: refused")
	}
	a.Set(Pattern{topic, "t", prefix}, []Entry{{"User:a", "*", write, deny}})
	if a.AuthorizeAny("User:a", "h", write, topic) {
		t.Error("t1 under a denied prefix: allowed")
	}
	a.Set(Pattern{topic, "u", prefix}, []Entry{{"User:a", "*", all, allow}})
	if !a.AuthorizeAny("User:a", "h", write, topic) {
		t.Error("ALL on prefix u: refused")
	}
	a.Set(Pattern{topic, "*", literal}, []Entry{{"User:*", "*", write, deny}})
	if a.AuthorizeAny("User:a", "h", write, topic) {
		t.Error("wildcard DENY: allowed")
	}
}

func TestFilter(t *testing.T) {
	a := New(nil, false)
	a.Set(Pattern{topic, "logs", literal}, []Entry{{"User:a", "*", read, allow}, {"User:b", "*", write, deny}})
	a.Set(Pattern{topic, "*", literal}, []Entry{{"User:a", "*", descr, allow}})
	a.Set(Pattern{topic, "lo", prefix}, []Entry{{"User:a", "*", read, allow}})
	a.Set(Pattern{group, "logs", literal}, []Entry{{"User:a", "*", read, allow}})
	name, princ := "logs", "User:a"
	any := Filter{Type: kmsg.ACLResourceTypeAny, Pattern: kmsg.ACLResourcePatternTypeAny, Operation: kmsg.ACLOperationAny, Permission: kmsg.ACLPermissionTypeAny}
	for _, c := range []struct {
		f    Filter
		want int
	}{
		{any, 5},
		{Filter{topic, &name, kmsg.ACLResourcePatternTypeAny, nil, nil, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny}, 2},
		{Filter{topic, &name, kmsg.ACLResourcePatternTypeMatch, nil, nil, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny}, 4},
		{Filter{topic, &name, literal, &princ, nil, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny}, 1},
		{Filter{kmsg.ACLResourceTypeAny, nil, kmsg.ACLResourcePatternTypeAny, nil, nil, kmsg.ACLOperationAny, deny}, 1},
		{Filter{topic, nil, prefix, nil, nil, read, kmsg.ACLPermissionTypeAny}, 1},
	} {
		if got := a.Bindings(c.f); len(got) != c.want {
			t.Errorf("Bindings(%+v) = %d %v, want %d", c.f, len(got), got, c.want)
		}
	}
	if (Filter{Type: kmsg.ACLResourceTypeUnknown}).Valid() {
		t.Error("UNKNOWN type valid")
	}
}
