package broker

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/acl"
)

// The ACLs live in the coordinator where Kafka 2.x's AclAuthorizer keeps
// them (package acl's doc): a broker with an authorizer reads them all
// when it starts (New) and again for each pattern a change notification
// names (watchACLChanges), so an ACL written through any broker, or
// by Kafka 2.7's kafka-acls.sh --authorizer-properties zookeeper.connect=…,
// is applied by every broker without a restart. As with the config
// changes, old notifications are not purged.

// newAuthorizer makes the broker's authorizer and loads the stored
// ACLs; nil when authorizer.class.name is empty.
func newAuthorizer(cfg *Config, m *clusterMeta) (*acl.Authorizer, error) {
	if !cfg.Authz.Enabled() {
		return nil, nil
	}
	a := acl.New(cfg.Authz.SuperUsers, cfg.Authz.AllowIfNoACL)
	if err := m.loadACLs(a); err != nil {
		return nil, err
	}
	return a, nil
}

// loadACLs reads every stored pattern into a. Callers hold aclMu (see
// reloadACL).
func (m *clusterMeta) loadACLs(a *acl.Authorizer) error {
	for _, root := range []struct {
		dir string
		pt  acl.PatternType
	}{{acl.LiteralRoot, kmsg.ACLResourcePatternTypeLiteral}, {acl.PrefixedRoot, kmsg.ACLResourcePatternTypePrefixed}} {
		for _, rt := range acl.ResourceTypes() {
			names, _, err := m.conn.Children(m.p(root.dir + "/" + acl.TypeName(rt)))
			if errors.Is(err, zk.ErrNoNode) {
				continue
			}
			if err != nil {
				return fmt.Errorf("broker: list ACLs: %w", err)
			}
			for _, name := range names {
				if err := m.loadACL(a, acl.Pattern{Type: rt, Name: name, Pattern: root.pt}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// loadACL reads one pattern's entries into a (none if its node is gone).
func (m *clusterMeta) loadACL(a *acl.Authorizer, p acl.Pattern) error {
	entries, _, err := m.readACL(p)
	if err != nil {
		return err
	}
	a.Set(p, entries)
	return nil
}

// readACL reads p's entries and its node's version (-1: no node).
func (m *clusterMeta) readACL(p acl.Pattern) ([]acl.Entry, int32, error) {
	data, st, err := m.conn.Get(m.p(acl.Path(p)))
	if errors.Is(err, zk.ErrNoNode) {
		return nil, -1, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("broker: read ACLs of %s: %w", acl.Path(p), err)
	}
	entries, err := acl.Decode(data)
	if err != nil {
		return nil, 0, fmt.Errorf("broker: ACLs of %s: %w", acl.Path(p), err)
	}
	return entries, st.Version, nil
}

// alterACL replaces p's entries with what change makes of them, and
// announces the change, in one multi retried while another writer got
// there first; no entry left removes the node, as Kafka does. It returns
// the entries before the change.
func (m *clusterMeta) alterACL(p acl.Pattern, change func([]acl.Entry) []acl.Entry) ([]acl.Entry, error) {
	full := acl.Path(p)
	dir, note := acl.Change(p)
	for _, d := range []string{path.Dir(full), dir} { // path.Dir: the type's directory (Storable names have no "/")
		if err := m.ensure(d); err != nil {
			return nil, err
		}
	}
	for attempt := 0; attempt < 10; attempt++ {
		cur, version, err := m.readACL(p)
		if err != nil {
			return nil, err
		}
		next := change(slices.Clone(cur))
		if slices.Equal(next, cur) {
			return cur, nil
		}
		var write any
		switch {
		case len(next) == 0:
			write = &zk.DeleteRequest{Path: m.p(full), Version: version}
		case version < 0:
			write = &zk.CreateRequest{Path: m.p(full), Data: acl.Encode(next), Acl: m.aclFor(m.p(full))}
		default:
			write = &zk.SetDataRequest{Path: m.p(full), Data: acl.Encode(next), Version: version}
		}
		_, err = m.conn.Multi(write, &zk.CreateRequest{Path: m.p(dir + "/" + acl.ChangePrefix), Data: note, Acl: m.aclFor(m.p(dir + "/" + acl.ChangePrefix)), Flags: zk.FlagSequence})
		if err == nil {
			return cur, nil
		}
		if !errors.Is(err, zk.ErrBadVersion) && !errors.Is(err, zk.ErrNodeExists) && !errors.Is(err, zk.ErrNoNode) {
			return nil, fmt.Errorf("broker: write ACLs of %s: %w", full, err)
		}
	}
	return nil, fmt.Errorf("broker: write ACLs of %s: %w", full, errConfigRaced)
}

// watchACLChanges applies the ACL changes announced under dir
// (acl.LiteralChanges or acl.ExtendedChanges): each pattern named is read
// again. After its first listing it reads every ACL again, so that no
// change between New's loading and the watch is missed. Run owns it.
func (b *Broker) watchACLChanges(ctx context.Context, dir string) {
	if err := b.meta.ensure(dir); err != nil {
		b.log.Warn("ACL changes", "err", err)
	}
	last := ""
	first := true
	for ctx.Err() == nil {
		names, _, ch, err := b.meta.conn.ChildrenW(b.meta.p(dir))
		if err != nil {
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		slices.Sort(names) // zero-padded sequence numbers
		for _, n := range names {
			if n <= last {
				continue
			}
			last = n
			if !first {
				b.aclChanged(dir, n)
			}
		}
		if first {
			b.aclMu.Lock()
			if err := b.meta.loadACLs(b.authz); err != nil {
				b.log.Warn("reading ACLs", "err", err)
			}
			b.aclMu.Unlock()
		}
		first = false
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

// aclChanged reads one change notification and the pattern it names.
func (b *Broker) aclChanged(dir, node string) {
	data, _, err := b.meta.conn.Get(b.meta.p(dir + "/" + node))
	if err != nil {
		return // purged meanwhile
	}
	p, err := acl.DecodeChange(dir, data)
	if err != nil {
		b.log.Warn("ACL change notification does not decode", "node", node, "err", err)
		return
	}
	if err := b.reloadACL(p); err != nil {
		b.log.Warn("reading changed ACLs", "pattern", acl.Path(p), "err", err)
		return
	}
	b.log.Info("ACLs changed", "pattern", acl.Path(p))
}

// reloadACL reads p's entries into the authorizer. aclMu is held from
// the read to the cache's update: reads of one pattern (after this
// broker's own write, on a change notification) may otherwise overtake
// each other and leave the older state cached; in turn, the last to
// update read last, after the last write.
func (b *Broker) reloadACL(p acl.Pattern) error {
	b.aclMu.Lock()
	defer b.aclMu.Unlock()
	return b.meta.loadACL(b.authz, p)
}

// authorized reports whether c's principal may do op on the resource
// rt/name; always true without an authorizer.
func (c *conn) authorized(op acl.Operation, rt acl.ResourceType, name string) bool {
	return c.b.authz == nil || c.b.authz.Authorize(c.principal, remoteIP(c.nc), op, rt, name)
}

// authorizedCluster is authorized on the cluster resource.
func (c *conn) authorizedCluster(op acl.Operation) bool {
	return c.authorized(op, kmsg.ACLResourceTypeCluster, acl.ClusterName)
}
