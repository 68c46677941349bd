package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// Altered configs are kept where Kafka 2.x keeps them: a topic's in
// /config/topics/<t> ({"version":1,"config":{…}}), and every change is
// announced by a sequential node
//
//	/config/changes/config_change_<seq>   {"version":2,"entity_path":"topics/<t>"}
//
// written in the same multi, so that every broker (watchConfigChanges)
// reads the topic's configs again and applies them to its open
// partitions without a restart. As in Kafka, a broker that starts reads
// the configs themselves and only the notifications after it started
// matter; unlike Kafka, old notifications are not purged.
const configChanges = "/config/changes"

// errConfigRaced is a config node changed by another writer between the
// read and the write: read again.
var errConfigRaced = errors.New("topic config changed meanwhile")

// alterTopicConfig replaces a topic's configs with what change makes of
// them (it may refuse with an error), as one multi with the change
// notification, retried while another writer got there first.
func (m *clusterMeta) alterTopicConfig(name string, change func(map[string]string) (map[string]string, error)) error {
	if err := m.ensure(configChanges); err != nil {
		return err
	}
	cp := m.p("/config/topics/" + name)
	for attempt := 0; attempt < 10; attempt++ {
		b, st, err := m.conn.Get(cp)
		version := int32(-1)
		cur := map[string]string{}
		switch {
		case errors.Is(err, zk.ErrNoNode): // a topic created without a config node
		case err != nil:
			return fmt.Errorf("broker: read config of %s: %w", name, err)
		default:
			version = st.Version
			if cur, err = decodeTopicConfig(b); err != nil {
				return fmt.Errorf("broker: config of %s: %w", name, err)
			}
			if cur == nil {
				cur = map[string]string{}
			}
		}
		next, err := change(cur)
		if err != nil {
			return err
		}
		cb, _ := json.Marshal(map[string]any{"version": 1, "config": next})
		nb, _ := json.Marshal(map[string]any{"version": 2, "entity_path": "topics/" + name})
		var write any = &zk.SetDataRequest{Path: cp, Data: cb, Version: version}
		if version < 0 {
			write = &zk.CreateRequest{Path: cp, Data: cb, Acl: openACL}
		}
		_, err = m.conn.Multi(write,
			&zk.CreateRequest{Path: m.p(configChanges + "/config_change_"), Data: nb, Acl: openACL, Flags: zk.FlagSequence})
		if err == nil {
			return nil
		}
		if !errors.Is(err, zk.ErrBadVersion) && !errors.Is(err, zk.ErrNodeExists) && !errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("broker: write config of %s: %w", name, err)
		}
	}
	return fmt.Errorf("broker: write config of %s: %w", name, errConfigRaced)
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
	var n struct {
		Version    int    `json:"version"`
		EntityPath string `json:"entity_path"`
	}
	if err := json.Unmarshal(data, &n); err != nil {
		b.log.Warn("config change notification does not decode", "node", node, "err", err)
		return
	}
	if name, ok := strings.CutPrefix(n.EntityPath, "topics/"); ok {
		b.topicConfigChanged(name)
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
	opts, minISR := b.logOptions(t.config)
	for _, p := range t.partitions {
		if p == nil {
			continue
		}
		if err := p.Reconfigure(minISR, opts); err != nil {
			b.log.Warn("applying altered topic config", "topic", name, "partition", p.Index(), "err", err)
		}
	}
	b.log.Info("topic config changed", "topic", name, "config", t.config)
}
