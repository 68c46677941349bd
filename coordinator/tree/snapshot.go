package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// Snapshot format (big-endian jute primitives, see package zkproto):
//
//	"sluice-tree-v1"        string: magic and version
//	zxid                    int64: the last applied zxid
//	nACL, nACL × ACL list   int32, then per list: int32 count + ACLs
//	nNodes                  int32
//	nNodes × { path string, data buffer, acl int32 (index), stat Stat }
//	                        shallowest first, so a parent precedes its children
//	nSessions × { id int64, timeout int32 }
//
// Ephemeral ownership is not written twice: it is rebuilt from each node's
// EphemeralOwner.
const snapshotMagic = "sluice-tree-v1"

// Snapshot returns the tree's state, to be restored with Restore.
func (t *Tree) Snapshot() []byte { return t.Freeze().Encode() }

// Frozen is the tree's state at one zxid, copied cheaply (node data and
// ACL lists are never changed in place, only replaced, so they are shared)
// so that it can be encoded while the tree goes on changing.
type Frozen struct {
	zxid     int64
	acls     map[string][]zk.ACL
	nodes    []frozenNode
	sessions map[int64]int32
}

type frozenNode struct {
	path string
	data []byte
	acl  []zk.ACL
	stat zk.Stat
}

// Freeze copies the tree's state under its read lock.
func (t *Tree) Freeze() *Frozen {
	t.mu.RLock()
	defer t.mu.RUnlock()
	f := &Frozen{zxid: t.zxid, acls: make(map[string][]zk.ACL, len(t.acls)),
		nodes: make([]frozenNode, 0, len(t.nodes)), sessions: make(map[int64]int32, len(t.sessions))}
	for k, v := range t.acls {
		f.acls[k] = v
	}
	for p, n := range t.nodes {
		f.nodes = append(f.nodes, frozenNode{path: p, data: n.data, acl: n.acl, stat: n.stat})
	}
	for id, s := range t.sessions {
		f.sessions[id] = s.timeout
	}
	return f
}

// Encode returns the frozen state in the snapshot format above.
func (f *Frozen) Encode() []byte {
	size := 64
	for i := range f.nodes {
		size += len(f.nodes[i].path) + len(f.nodes[i].data) + zk.StatSize + 12
	}
	b := bytes.NewBuffer(make([]byte, 0, size))
	_ = f.EncodeTo(b) // a bytes.Buffer does not fail
	return b.Bytes()
}

// flushAt is how much EncodeTo encodes before it writes to its writer.
const flushAt = 64 << 10

// EncodeTo writes the frozen state to w in the snapshot format above, a
// piece at a time, so that a snapshot never needs its size in memory.
func (f *Frozen) EncodeTo(w io.Writer) error {
	e := zk.NewEncoder(make([]byte, 0, 2*flushAt))
	flush := func(force bool) error {
		if e.Len() < flushAt && !force {
			return nil
		}
		_, err := w.Write(e.Bytes())
		e.Reset(e.Bytes()[:0])
		return err
	}
	e.WriteString(snapshotMagic)
	e.WriteInt64(f.zxid)

	aclIndex := map[*zk.ACL]int32{}
	e.WriteInt32(int32(len(f.acls)))
	keys := make([]string, 0, len(f.acls))
	for k := range f.acls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		list := f.acls[k]
		e.WriteInt32(int32(len(list)))
		for j := range list {
			list[j].Encode(e)
		}
		if len(list) > 0 {
			aclIndex[&list[0]] = int32(i)
		}
		if err := flush(false); err != nil {
			return err
		}
	}

	e.WriteInt32(int32(len(f.nodes)))
	for _, n := range f.byDepth() {
		e.WriteString(n.path)
		e.WriteBuffer(n.data)
		e.WriteInt32(aclIndex[&n.acl[0]])
		n.stat.Encode(e)
		if err := flush(false); err != nil {
			return err
		}
	}

	ids := make([]int64, 0, len(f.sessions))
	for id := range f.sessions {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	e.WriteInt32(int32(len(ids)))
	for _, id := range ids {
		e.WriteInt64(id)
		e.WriteInt32(f.sessions[id])
		if err := flush(false); err != nil {
			return err
		}
	}
	return flush(true)
}

// byDepth returns the nodes shallowest first, so that a parent precedes its
// children: a counting sort, linear where sorting the paths was most of the
// cost of a snapshot.
func (f *Frozen) byDepth() []*frozenNode {
	depth := make([]int32, len(f.nodes))
	var count []int
	for i := range f.nodes {
		d := 0
		if p := f.nodes[i].path; p != "/" {
			d = strings.Count(p, "/")
		}
		depth[i] = int32(d)
		for len(count) <= d {
			count = append(count, 0)
		}
		count[d]++
	}
	next := make([]int, len(count))
	for d := 1; d < len(count); d++ {
		next[d] = next[d-1] + count[d-1]
	}
	out := make([]*frozenNode, len(f.nodes))
	for i := range f.nodes {
		out[next[depth[i]]] = &f.nodes[i]
		next[depth[i]]++
	}
	return out
}

// Restore replaces the tree's state with a snapshot's.
func (t *Tree) Restore(b []byte) error {
	d := zk.NewDecoder(b)
	if magic := d.ReadString(); magic != snapshotMagic {
		return fmt.Errorf("tree: restore: not a tree snapshot (magic %q)", magic)
	}
	nt := &Tree{nodes: map[string]*node{}, sessions: map[int64]*session{}, acls: map[string][]zk.ACL{}}
	nt.zxid = d.ReadInt64()
	nACL := d.ReadInt32()
	if nACL < 0 || int(nACL) > d.Remaining()/4 {
		return errors.New("tree: restore: bad ACL count")
	}
	acls := make([][]zk.ACL, nACL)
	for i := range acls {
		n := d.ReadInt32()
		if n < 0 || int(n) > d.Remaining()/12 {
			return errors.New("tree: restore: bad ACL list length")
		}
		list := make([]zk.ACL, n)
		for j := range list {
			if err := list[j].Decode(d); err != nil {
				return fmt.Errorf("tree: restore: %w", err)
			}
		}
		acls[i] = nt.intern(list)
	}
	nNodes := d.ReadInt32()
	if nNodes < 1 || int(nNodes) > d.Remaining()/(zk.StatSize+12) {
		return errors.New("tree: restore: bad node count")
	}
	for i := int32(0); i < nNodes; i++ {
		p := d.ReadString()
		n := &node{data: d.ReadBuffer()}
		ai := d.ReadInt32()
		if err := n.stat.Decode(d); err != nil {
			return fmt.Errorf("tree: restore: node %d: %w", i, err)
		}
		if ai < 0 || int(ai) >= len(acls) {
			return fmt.Errorf("tree: restore: %s: bad ACL index %d", p, ai)
		}
		n.acl = acls[ai]
		if p != "/" {
			parent, _ := split(p)
			if !ValidatePath(p) || nt.nodes[parent] == nil {
				return fmt.Errorf("tree: restore: %q has no parent before it", p)
			}
		}
		children := n.stat.NumChildren
		nt.nodes[p] = n
		if p != "/" {
			nt.link(p)
		}
		n.stat.NumChildren = children
	}
	nSessions := d.ReadInt32()
	if nSessions < 0 || int(nSessions) > d.Remaining()/12 {
		return errors.New("tree: restore: bad session count")
	}
	for i := int32(0); i < nSessions; i++ {
		id := d.ReadInt64()
		nt.sessions[id] = &session{timeout: d.ReadInt32(), ephemerals: map[string]struct{}{}}
	}
	if err := d.Finish(); err != nil {
		return fmt.Errorf("tree: restore: %w", err)
	}
	for p, n := range nt.nodes {
		if s, ok := nt.sessions[n.stat.EphemeralOwner]; ok && isEphemeralOwner(n.stat.EphemeralOwner) {
			s.ephemerals[p] = struct{}{}
		}
		if int(n.stat.NumChildren) != len(n.children) {
			return fmt.Errorf("tree: restore: %s: numChildren %d but %d children", p, n.stat.NumChildren, len(n.children))
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nodes, t.sessions, t.acls, t.zxid = nt.nodes, nt.sessions, nt.acls, nt.zxid
	return nil
}
