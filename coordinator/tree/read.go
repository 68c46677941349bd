package tree

import (
	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// Get returns a znode's data and its stat. The data is the tree's own,
// which is never changed in place (a write replaces it): the caller must
// not modify it.
func (t *Tree) Get(path string) ([]byte, zk.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, ok := t.nodes[path]
	if !ok {
		return nil, zk.Stat{}, zk.ErrNoNode
	}
	return n.data, clientStat(n.stat), nil
}

// Exists returns a znode's stat.
func (t *Tree) Exists(path string) (zk.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, ok := t.nodes[path]
	if !ok {
		return zk.Stat{}, zk.ErrNoNode
	}
	return clientStat(n.stat), nil
}

// Children returns the names of a znode's children, sorted, and its stat.
func (t *Tree) Children(path string) ([]string, zk.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, ok := t.nodes[path]
	if !ok {
		return nil, zk.Stat{}, zk.ErrNoNode
	}
	return sortedKeys(n.children), clientStat(n.stat), nil
}

// ACL returns a copy of a znode's ACL and its stat.
func (t *Tree) ACL(path string) ([]zk.ACL, zk.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, ok := t.nodes[path]
	if !ok {
		return nil, zk.Stat{}, zk.ErrNoNode
	}
	return append([]zk.ACL(nil), n.acl...), clientStat(n.stat), nil
}

// AllChildrenNumber returns how many znodes lie below path.
func (t *Tree) AllChildrenNumber(path string) (int, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if _, ok := t.nodes[path]; !ok {
		return 0, zk.ErrNoNode
	}
	var count func(p string) int
	count = func(p string) int {
		total := 0
		for name := range t.nodes[p].children {
			child := p + "/" + name
			if p == "/" {
				child = "/" + name
			}
			total += 1 + count(child)
		}
		return total
	}
	return count(path), nil
}

// Len returns the number of znodes, "/" included.
func (t *Tree) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.nodes)
}

// ApproximateDataSize is ZooKeeper's approximate data size (mntr's
// zk_approximate_data_size): the lengths of every znode's path and data.
// It walks the tree: for monitoring, not for a hot path.
func (t *Tree) ApproximateDataSize() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var n int64
	for p, nd := range t.nodes {
		n += int64(len(p) + len(nd.data))
	}
	return n
}
