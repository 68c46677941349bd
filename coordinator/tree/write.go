package tree

import (
	"fmt"
	"strings"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// journal records how to undo each change of a multi that may yet fail.
type journal struct{ undo []func() }

func (j *journal) record(f func()) {
	if j != nil {
		j.undo = append(j.undo, f)
	}
}

func (j *journal) rollback() {
	for i := len(j.undo) - 1; i >= 0; i-- {
		j.undo[i]()
	}
	j.undo = j.undo[:0]
}

// CreateArgs are the arguments of a create of any kind. The tree keeps
// Data as it is (the caller must not modify it afterwards).
type CreateArgs struct {
	Path string
	Data []byte
	ACL  []zk.ACL
	Mode zk.CreateMode
	TTL  int64 // ms, for the TTL modes
}

// Create applies a create and returns the created path (with its sequential
// suffix) and stat.
func (t *Tree) Create(tx Txn, a CreateArgs) (string, zk.Stat, []Event, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.advance(tx); err != nil {
		return "", zk.Stat{}, nil, err
	}
	var ev []Event
	p, st, err := t.create(tx, a, nil, &ev)
	return p, st, ev, err
}

// advance checks and records tx's zxid; the caller holds the write lock.
func (t *Tree) advance(tx Txn) error {
	if tx.Zxid <= t.zxid {
		return fmt.Errorf("tree: zxid %#x is not above the last applied %#x", tx.Zxid, t.zxid)
	}
	t.zxid = tx.Zxid
	return nil
}

func (t *Tree) create(tx Txn, a CreateArgs, j *journal, ev *[]Event) (string, zk.Stat, error) {
	// The checks come in ZooKeeper's order, which clients can observe when
	// several apply: a path with no slash or a NUL, the ACL, the parent,
	// the permission, the rest of the path, existence, an ephemeral parent.
	slash := strings.LastIndexByte(a.Path, '/')
	if slash < 0 || strings.IndexByte(a.Path, 0) >= 0 {
		return "", zk.Stat{}, zk.ErrBadArguments
	}
	var owner int64
	switch a.Mode {
	case zk.ModePersistent, zk.ModePersistentSequential:
	case zk.ModeEphemeral, zk.ModeEphemeralSequential:
		if _, ok := t.sessions[tx.Session]; !ok {
			return "", zk.Stat{}, zk.ErrSessionExpired
		}
		owner = tx.Session
	case zk.ModeContainer:
		owner = containerOwner
	case zk.ModePersistentWithTTL, zk.ModePersistentSequentialWithTTL:
		if a.TTL <= 0 || a.TTL > ttlMax {
			return "", zk.Stat{}, zk.ErrBadArguments
		}
		owner = ttlOwnerMark | a.TTL
	default:
		return "", zk.Stat{}, zk.ErrBadArguments
	}
	acl, err := fixACL(a.ACL, tx.Auth)
	if err != nil {
		return "", zk.Stat{}, err
	}
	parentPath := a.Path[:slash]
	if parentPath == "" {
		parentPath = "/"
	}
	parent, ok := t.nodes[parentPath]
	if !ok {
		return "", zk.Stat{}, zk.ErrNoNode
	}
	if !allowed(parent.acl, zk.PermCreate, tx.Auth) {
		return "", zk.Stat{}, zk.ErrNoAuth
	}
	p := a.Path
	if a.Mode == zk.ModePersistentSequential || a.Mode == zk.ModeEphemeralSequential || a.Mode == zk.ModePersistentSequentialWithTTL {
		// The suffix is the count of children ever created below the parent
		// (the stored cversion), formatted as ZooKeeper does.
		p = fmt.Sprintf("%s%010d", p, parent.stat.Cversion)
	}
	if !ValidatePath(p) {
		return "", zk.Stat{}, zk.ErrBadArguments
	}
	if _, exists := t.nodes[p]; exists {
		return "", zk.Stat{}, zk.ErrNodeExists
	}
	if isEphemeralOwner(parent.stat.EphemeralOwner) {
		return "", zk.Stat{}, zk.ErrNoChildrenForEphemerals
	}
	n := &node{
		data: a.Data,
		acl:  t.intern(acl),
		stat: zk.Stat{
			Czxid: tx.Zxid, Mzxid: tx.Zxid, Pzxid: tx.Zxid,
			Ctime: tx.Time, Mtime: tx.Time,
			EphemeralOwner: owner, DataLength: int32(len(a.Data)),
		},
	}
	oldParent := parent.stat
	t.nodes[p] = n
	t.link(p)
	parent.stat.Cversion++
	parent.stat.Pzxid = tx.Zxid
	if s, ok := t.sessions[owner]; ok && isEphemeralOwner(owner) {
		s.ephemerals[p] = struct{}{}
	}
	j.record(func() {
		t.unlink(p)
		delete(t.nodes, p)
		parent.stat = oldParent
		if s, ok := t.sessions[owner]; ok {
			delete(s.ephemerals, p)
		}
	})
	*ev = append(*ev, Event{zk.EventNodeCreated, p, n.acl}, Event{zk.EventNodeChildrenChanged, parentPath, parent.acl})
	return p, clientStat(n.stat), nil
}

// isEphemeralOwner reports whether an EphemeralOwner value is a session
// (not 0, a container or a TTL mark).
func isEphemeralOwner(owner int64) bool {
	return owner != 0 && owner != containerOwner && owner&ttlOwnerMark != ttlOwnerMark
}

// Delete applies a delete; version -1 matches any version.
func (t *Tree) Delete(tx Txn, path string, version int32) ([]Event, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.advance(tx); err != nil {
		return nil, err
	}
	var ev []Event
	err := t.delete(tx, path, version, nil, &ev)
	return ev, err
}

func (t *Tree) delete(tx Txn, path string, version int32, j *journal, ev *[]Event) error {
	if !ValidatePath(path) || path == "/" || isSystem(path) {
		return zk.ErrBadArguments
	}
	n, ok := t.nodes[path]
	if !ok {
		return zk.ErrNoNode
	}
	parentPath, _ := split(path)
	parent := t.nodes[parentPath]
	if !allowed(parent.acl, zk.PermDelete, tx.Auth) {
		return zk.ErrNoAuth
	}
	if version != -1 && version != n.stat.Version {
		return zk.ErrBadVersion
	}
	if len(n.children) > 0 {
		return zk.ErrNotEmpty
	}
	oldParent := parent.stat
	t.unlink(path)
	delete(t.nodes, path)
	parent.stat.Pzxid = tx.Zxid // the stored cversion counts creates only
	owner := n.stat.EphemeralOwner
	if s, ok := t.sessions[owner]; ok {
		delete(s.ephemerals, path)
	}
	j.record(func() {
		t.nodes[path] = n
		t.link(path)
		parent.stat = oldParent
		if s, ok := t.sessions[owner]; ok {
			s.ephemerals[path] = struct{}{}
		}
	})
	*ev = append(*ev, Event{zk.EventNodeDeleted, path, n.acl}, Event{zk.EventNodeChildrenChanged, parentPath, parent.acl})
	return nil
}

func isSystem(path string) bool {
	for _, p := range systemPaths {
		if path == p {
			return true
		}
	}
	return false
}

// SetData applies a setData and returns the new stat. The tree keeps data
// as it is (the caller must not modify it afterwards).
func (t *Tree) SetData(tx Txn, path string, data []byte, version int32) (zk.Stat, []Event, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.advance(tx); err != nil {
		return zk.Stat{}, nil, err
	}
	var ev []Event
	st, err := t.setData(tx, path, data, version, nil, &ev)
	return st, ev, err
}

func (t *Tree) setData(tx Txn, path string, data []byte, version int32, j *journal, ev *[]Event) (zk.Stat, error) {
	n, ok := t.nodes[path]
	if !ok {
		return zk.Stat{}, zk.ErrNoNode
	}
	if !allowed(n.acl, zk.PermWrite, tx.Auth) {
		return zk.Stat{}, zk.ErrNoAuth
	}
	if version != -1 && version != n.stat.Version {
		return zk.Stat{}, zk.ErrBadVersion
	}
	oldData, oldStat := n.data, n.stat
	n.data = data
	n.stat.Version++
	n.stat.Mzxid = tx.Zxid
	n.stat.Mtime = tx.Time
	n.stat.DataLength = int32(len(data))
	j.record(func() { n.data, n.stat = oldData, oldStat })
	*ev = append(*ev, Event{zk.EventNodeDataChanged, path, n.acl})
	return clientStat(n.stat), nil
}

// SetACL applies a setACL (version is the ACL version) and returns the stat.
func (t *Tree) SetACL(tx Txn, path string, acl []zk.ACL, version int32) (zk.Stat, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.advance(tx); err != nil {
		return zk.Stat{}, err
	}
	n, ok := t.nodes[path]
	if !ok {
		return zk.Stat{}, zk.ErrNoNode
	}
	if !allowed(n.acl, zk.PermAdmin, tx.Auth) {
		return zk.Stat{}, zk.ErrNoAuth
	}
	fixed, err := fixACL(acl, tx.Auth)
	if err != nil {
		return zk.Stat{}, err
	}
	if version != -1 && version != n.stat.Aversion {
		return zk.Stat{}, zk.ErrBadVersion
	}
	n.acl = t.intern(fixed)
	n.stat.Aversion++
	return clientStat(n.stat), nil
}

// check is a multi's version check.
func (t *Tree) check(path string, version int32) error {
	n, ok := t.nodes[path]
	if !ok {
		return zk.ErrNoNode
	}
	if version != -1 && version != n.stat.Version {
		return zk.ErrBadVersion
	}
	return nil
}
