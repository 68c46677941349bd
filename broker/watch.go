package broker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// watchCluster keeps this broker's view of the cluster current: it watches
// the registered brokers and the topics (and each topic's assignment, for
// partitions added elsewhere), so that a topic created through any broker
// is served by the brokers it was assigned to and described by all.
func (b *Broker) watchCluster(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	changed := make(chan string, 64)
	watched := map[string]bool{}
	// watchTopic waits for one change of a topic's node; owned by
	// watchCluster through wg.
	watchTopic := func(name string) {
		_, _, ch, err := b.reg.conn.GetW(b.reg.p("/brokers/topics/" + name))
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ch:
				select {
				case changed <- name:
				case <-ctx.Done():
				}
			case <-ctx.Done():
			}
		}()
	}
	for ctx.Err() == nil {
		names, _, topicsCh, err := b.reg.conn.ChildrenW(b.reg.p("/brokers/topics"))
		if err != nil {
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		_, _, idsCh, err := b.reg.conn.ChildrenW(b.reg.p("/brokers/ids"))
		if err != nil {
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		if err := b.refreshBrokers(); err != nil {
			b.log.Warn("reading brokers", "err", err)
		}
		b.syncTopics(names)
		for _, name := range names {
			if !watched[name] {
				watched[name] = true
				watchTopic(name)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-topicsCh:
		case <-idsCh:
		case name := <-changed:
			delete(watched, name)
			b.reloadTopic(name)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// syncTopics opens topics that appeared in the registry and drops the ones
// that are gone (deleted through another broker).
func (b *Broker) syncTopics(names []string) {
	present := map[string]bool{}
	for _, name := range names {
		present[name] = true
		if b.lookupTopic(name) == nil {
			b.reloadTopic(name)
		}
	}
	b.mu.RLock()
	var gone []string
	for name := range b.topics {
		if !present[name] {
			gone = append(gone, name)
		}
	}
	b.mu.RUnlock()
	for _, name := range gone {
		b.dropTopic(name)
	}
}

// reloadTopic reads a topic from the registry and opens the partitions of
// it this broker holds (keeping those already open).
func (b *Broker) reloadTopic(name string) {
	t, err := b.reg.topic(name)
	if errors.Is(err, zk.ErrNoNode) {
		b.dropTopic(name)
		return
	}
	if err != nil {
		b.log.Warn("reading topic", "topic", name, "err", err)
		return
	}
	b.alterMu.Lock()
	defer b.alterMu.Unlock()
	b.mu.RLock()
	old := b.topics[name]
	b.mu.RUnlock()
	ts := &topicState{name: t.name, replicas: t.replicas, states: t.states, config: t.config,
		partitions: make([]*partition, len(t.replicas))}
	copy(ts.id[:], topicIDFromConfig(t))
	for i, reps := range t.replicas {
		if old != nil && i < len(old.partitions) && old.partitions[i] != nil {
			ts.partitions[i] = old.partitions[i]
			continue
		}
		if !containsID(reps, b.cfg.BrokerID) {
			continue
		}
		p, err := b.openPartition(name, int32(i), t.states[i].LeaderEpoch, t.config)
		if err != nil {
			b.log.Error("opening partition", "topic", name, "partition", i, "err", err)
			continue
		}
		ts.partitions[i] = p
	}
	b.mu.Lock()
	b.topics[name] = ts
	b.mu.Unlock()
	if name == offsetsTopic {
		b.maybeStartGroups()
	}
}

// dropTopic forgets a topic deleted elsewhere and removes its local data.
func (b *Broker) dropTopic(name string) {
	b.mu.Lock()
	t := b.topics[name]
	delete(b.topics, name)
	b.mu.Unlock()
	if t == nil {
		return
	}
	b.removeLocal(t)
	b.log.Info("topic deleted", "topic", name)
}
