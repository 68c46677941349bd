package tree

import (
	"sort"
	"strings"
	"sync"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// Special EphemeralOwner values, as ZooKeeper encodes container and TTL nodes.
const (
	containerOwner = -1 << 63         // 0x8000000000000000
	ttlOwnerMark   = -1 << 56         // 0xFF00000000000000 | ttl marks a TTL node
	ttlMax         = int64(1<<40 - 1) // the largest TTL ZooKeeper accepts, ms
)

// ZooKeeper's own subtree, present in every tree.
var systemPaths = []string{"/zookeeper", "/zookeeper/quota", "/zookeeper/config"}

// OpenACL is ZooKeeper's OPEN_ACL_UNSAFE: world:anyone may do everything.
func OpenACL() []zk.ACL {
	return []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "world", ID: "anyone"}}}
}

// Txn is what the leader decided for one logged request: its zxid, its time
// (ms since the epoch) and the session it came from.
type Txn struct {
	Zxid    int64
	Time    int64
	Session int64
	Auth    []zk.ID // the client's identities, for ACL checks
}

// Event is a change a watch may be waiting for.
type Event struct {
	Type zk.EventType
	Path string
	// ACL is the ACL of the node the event is about (the parent's for
	// NodeChildrenChanged): only watchers allowed to read it are told, as
	// ZooKeeper does since 3.8.4 (CVE-2024-23944: a recursive watch on a
	// readable parent must not reveal the paths of unreadable children).
	ACL []zk.ACL
}

type node struct {
	data     []byte
	acl      []zk.ACL // interned: shared by every node with equal ACLs
	stat     zk.Stat
	children map[string]struct{} // nil until the first child
}

type session struct {
	timeout    int32 // negotiated, ms
	ephemerals map[string]struct{}
}

// Tree is the data tree and session table.
type Tree struct {
	mu       sync.RWMutex
	nodes    map[string]*node
	sessions map[int64]*session
	acls     map[string][]zk.ACL // interned ACL lists by their encoding
	zxid     int64               // the last applied zxid
}

// New returns a tree holding what every ZooKeeper tree holds: "/" and
// /zookeeper with its quota and config children.
func New() *Tree {
	t := &Tree{nodes: map[string]*node{}, sessions: map[int64]*session{}, acls: map[string][]zk.ACL{}}
	open := t.intern(OpenACL())
	t.nodes["/"] = &node{acl: open}
	for _, p := range systemPaths {
		t.nodes[p] = &node{acl: open}
		t.link(p)
	}
	return t
}

// LastZxid returns the zxid of the last applied Txn.
func (t *Tree) LastZxid() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.zxid
}

// link records p as a child of its parent (which must exist).
func (t *Tree) link(p string) {
	parent, name := split(p)
	pn := t.nodes[parent]
	if pn.children == nil {
		pn.children = map[string]struct{}{}
	}
	pn.children[name] = struct{}{}
	pn.stat.NumChildren = int32(len(pn.children))
}

func (t *Tree) unlink(p string) {
	parent, name := split(p)
	pn := t.nodes[parent]
	delete(pn.children, name)
	pn.stat.NumChildren = int32(len(pn.children))
}

// intern returns the shared copy of acl.
func (t *Tree) intern(acl []zk.ACL) []zk.ACL {
	var b strings.Builder
	for _, a := range acl {
		b.WriteString(a.ID.Scheme)
		b.WriteByte(0)
		b.WriteString(a.ID.ID)
		b.WriteByte(0)
		b.WriteByte(byte(a.Perms))
	}
	key := b.String()
	if shared, ok := t.acls[key]; ok {
		return shared
	}
	cp := append([]zk.ACL(nil), acl...)
	t.acls[key] = cp
	return cp
}

// split returns the parent path and the last name of a valid path other
// than "/".
func split(p string) (parent, name string) {
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/", p[1:]
	}
	return p[:i], p[i+1:]
}

// ValidatePath reports whether p is a path ZooKeeper accepts: absolute, no
// empty, "." or ".." segments, no trailing slash (except "/"), no NUL or
// other forbidden characters.
func ValidatePath(p string) bool {
	if p == "/" {
		return true
	}
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	for _, r := range p {
		if r == 0 || (r > 0 && r < 0x1f) || (r >= 0x7f && r <= 0x9f) ||
			(r >= 0xd800 && r <= 0xf8ff) || (r >= 0xfff0 && r <= 0xffff) {
			return false
		}
	}
	return true
}

// clientStat is a stat as clients see it. The stored cversion counts the
// creates of children (it names sequential children); clients see creates
// plus deletes, 2·creates − numChildren, as ZooKeeper reports it. Container
// and TTL marks are internal, and reported as ephemeralOwner 0.
func clientStat(st zk.Stat) zk.Stat {
	st.Cversion = 2*st.Cversion - st.NumChildren
	if !isEphemeralOwner(st.EphemeralOwner) {
		st.EphemeralOwner = 0
	}
	return st
}

// sortedKeys returns the keys of a set in order.
func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
