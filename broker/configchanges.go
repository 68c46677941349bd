package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// Altered configs are kept where Kafka 2.x keeps them: a topic's in
// /config/topics/<t>, a broker's dynamic ones in /config/brokers/<id>
// and their cluster-wide defaults in /config/brokers/<default> (each
// {"version":1,"config":{…}}), and every change is announced by a
// sequential node
//
//	/config/changes/config_change_<seq>   {"version":2,"entity_path":"topics/<t>"}
//
// (entity_path brokers/<id> or brokers/<default> for a broker's, see
// dynconfig.go),
// written in the same multi, so that every broker (watchConfigChanges)
// reads the entity's configs again and applies them (a topic's to its
// open partitions, a broker's by the broker concerned) without a restart. As in Kafka, a broker that starts reads
// the configs themselves and only the notifications after it started
// matter; unlike Kafka, old notifications are not purged.
const configChanges = "/config/changes"

// errConfigRaced is a config node changed by another writer between the
// read and the write: read again.
var errConfigRaced = errors.New("config changed meanwhile")

// alterTopicConfig replaces a topic's configs with what change makes of
// them (it may refuse with an error), as one multi with the change
// notification, retried while another writer got there first.
func (m *clusterMeta) alterTopicConfig(name string, change func(map[string]string) (map[string]string, error)) error {
	return m.alterEntityConfig("topics/"+name, change)
}

// entityConfig reads the configs of entity (topics/<t>, brokers/<id> or
// brokers/<default>) and its node's version (-1: no node).
func (m *clusterMeta) entityConfig(entity string) (map[string]string, int32, error) {
	b, st, err := m.conn.Get(m.p("/config/" + entity))
	switch {
	case errors.Is(err, zk.ErrNoNode): // never altered
		return map[string]string{}, -1, nil
	case err != nil:
		return nil, 0, fmt.Errorf("broker: read config of %s: %w", entity, err)
	}
	cur, err := decodeTopicConfig(b) // the same {"version":1,"config":{…}} for every entity
	if err != nil {
		return nil, 0, fmt.Errorf("broker: config of %s: %w", entity, err)
	}
	if cur == nil {
		cur = map[string]string{}
	}
	return cur, st.Version, nil
}

// alterEntityConfig replaces the configs of entity with what change makes
// of them, as one multi with the change notification, retried while
// another writer got there first.
func (m *clusterMeta) alterEntityConfig(entity string, change func(map[string]string) (map[string]string, error)) error {
	if err := m.ensure(configChanges); err != nil {
		return err
	}
	if dir := path.Dir("/config/" + entity); dir != "/config/topics" {
		if err := m.ensure(dir); err != nil { // /config/brokers: Kafka 2.x creates it at start
			return err
		}
	}
	cp := m.p("/config/" + entity)
	for attempt := 0; attempt < 10; attempt++ {
		cur, version, err := m.entityConfig(entity)
		if err != nil {
			return err
		}
		next, err := change(cur)
		if err != nil {
			return err
		}
		cb, _ := json.Marshal(map[string]any{"version": 1, "config": next})
		nb, _ := json.Marshal(map[string]any{"version": 2, "entity_path": entity})
		var write any = &zk.SetDataRequest{Path: cp, Data: cb, Version: version}
		if version < 0 {
			write = &zk.CreateRequest{Path: cp, Data: cb, Acl: m.aclFor(cp)}
		}
		_, err = m.conn.Multi(write,
			&zk.CreateRequest{Path: m.p(configChanges + "/config_change_"), Data: nb, Acl: m.aclFor(m.p(configChanges)), Flags: zk.FlagSequence})
		if err == nil {
			return nil
		}
		if !errors.Is(err, zk.ErrBadVersion) && !errors.Is(err, zk.ErrNodeExists) && !errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("broker: write config of %s: %w", entity, err)
		}
	}
	return fmt.Errorf("broker: write config of %s: %w", entity, errConfigRaced)
}

// watchConfigChanges applies the config changes announced after it
// started: each topic named is read again (reloadTopic) and its configs
// applied to the open partitions. Run owns it.
func (b *Broker) watchConfigChanges(ctx context.Context) {
	if err := b.meta.ensure(configChanges); err != nil {
		b.log.Warn("config changes", "err", err)
	}
	last := ""
	first := true
	for ctx.Err() == nil {
		names, _, ch, err := b.meta.conn.ChildrenW(b.meta.p(configChanges))
		if err != nil {
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		slices.Sort(names) // the sequence numbers are zero-padded: sorted as text
		for _, n := range names {
			if n <= last {
				continue
			}
			last = n
			if !first {
				b.configChanged(n)
			}
		}
		if first {
			// The broker's dynamic configs as they are now; the changes
			// after the listing come as notifications.
			b.loadBrokerConfigs()
		}
		first = false
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

// configChanged reads one change notification and applies it.
func (b *Broker) configChanged(node string) {
	data, _, err := b.meta.conn.Get(b.meta.p(configChanges + "/" + node))
	if err != nil {
		return // purged meanwhile
	}
	entity, err := decodeConfigChange(data)
	if err != nil {
		b.log.Warn("config change notification does not decode", "node", node, "err", err)
		return
	}
	if name, ok := strings.CutPrefix(entity, "topics/"); ok {
		b.topicConfigChanged(name)
	}
	if name, ok := strings.CutPrefix(entity, "brokers/"); ok && (name == defaultBrokerEntity || name == strconv.Itoa(int(b.cfg.BrokerID))) {
		b.loadBrokerConfigs()
	}
}

// topicConfigChanged reads a topic's configs again and applies them to
// its open partitions.
func (b *Broker) topicConfigChanged(name string) {
	b.reloadTopic(name)
	t := b.lookupTopic(name)
	if t == nil {
		return
	}
	b.reconfigure(t)
	b.log.Info("topic config changed", "topic", name, "config", t.config)
}
