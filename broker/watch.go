package broker

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// watchCluster keeps this broker's view of the cluster current: it watches
// the registered brokers, the topics, each topic's assignment (for
// partitions added elsewhere) and each partition's state (leader, leader
// epoch, ISR: how the controller and the leaders tell the brokers), so
// that a topic created through any broker is served by the brokers it was
// assigned to, and every replica takes the role its state gives it.
func (b *Broker) watchCluster(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	fired := make(chan any, 64)
	watched := map[any]bool{}
	// forward waits for one watch event and reports key; owned by
	// watchCluster through wg.
	forward := func(key any, ch <-chan zk.Event) {
		watched[key] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ch:
				select {
				case fired <- key:
				case <-ctx.Done():
				}
			case <-ctx.Done():
			}
		}()
	}
	watchTopic := func(name string) {
		if _, _, ch, err := b.meta.conn.GetW(b.meta.p("/brokers/topics/" + name)); err == nil {
			forward(name, ch)
			// What was read before the watch was set may be older than
			// what it watches (partitions added in between): read again.
			b.reloadTopic(name)
		}
	}
	watchState := func(k stateKey) {
		st, ver, ch, err := b.meta.partitionStateW(k.topic, k.index)
		if err != nil {
			return
		}
		forward(k, ch)
		b.applyPartitionState(k.topic, k.index, st, ver)
	}
	for ctx.Err() == nil {
		names, _, topicsCh, err := b.meta.conn.ChildrenW(b.meta.p("/brokers/topics"))
		if err != nil {
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		_, _, idsCh, err := b.meta.conn.ChildrenW(b.meta.p("/brokers/ids"))
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
				watchTopic(name)
			}
		}
		for _, k := range b.stateKeys() {
			if !watched[k] {
				watchState(k)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-topicsCh:
		case <-idsCh:
		case key := <-fired:
			delete(watched, key)
			switch k := key.(type) {
			case string:
				b.reloadTopic(k)
				select { // the controller starts partitions added elsewhere
				case b.topicEvents <- struct{}{}:
				default:
				}
			case stateKey:
				watchState(k)
				// An ISR that grew may complete a partition
				// reassignment (controller_reassign.go).
				select {
				case b.topicEvents <- struct{}{}:
				default:
				}
			}
		}
	}
}

// stateKey names one partition's state node.
type stateKey struct {
	topic string
	index int32
}

func (b *Broker) stateKeys() []stateKey {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []stateKey
	for name, ts := range b.topics {
		for i := range ts.states {
			out = append(out, stateKey{name, int32(i)})
		}
	}
	return out
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

// syncTopics opens topics that appeared in the cluster metadata and drops
// the ones that are gone (deleted through another broker).
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
		b.reloadTopic(name) // drops it if the metadata agrees it is gone (names may be stale)
	}
}

// reloadTopic reads a topic from the cluster metadata and opens the
// partitions of it this broker holds (keeping those already open).
func (b *Broker) reloadTopic(name string) {
	// The read and what follows from it (open and publish, or drop) are
	// one step for the other changes of the topic table: a drop must not
	// remove a topic that a concurrent reload has just recreated.
	b.alterMu.Lock()
	defer b.alterMu.Unlock()
	t, err := b.meta.topic(name)
	if errors.Is(err, zk.ErrNoNode) {
		b.dropTopic(name)
		return
	}
	if err != nil {
		b.log.Warn("reading topic", "topic", name, "err", err)
		return
	}
	b.mu.RLock()
	old := b.topics[name]
	b.mu.RUnlock()
	ts := newTopicState(t)
	if old != nil && old.created != ts.created {
		// Deleted and created again (through ZooKeeper, say) between
		// two reads: the old topic's partitions and data are not the
		// new one's.
		b.dropTopic(name)
		old = nil
	}
	if old != nil && ts.id == ([16]byte{}) {
		// An older program rewrote the assignment without the topic id
		// (Kafka 2.7's kafka-topics.sh --alter --zookeeper): still the
		// same topic, whose id the controller writes back.
		ts.id = old.id
	}
	var removed []int32
	for i, reps := range t.replicas {
		held := containsID(reps, b.cfg.BrokerID)
		if old != nil && i < len(old.partitions) && old.partitions[i] != nil {
			if !held {
				// Reassigned away (controller_reassign.go): removed
				// once the new topicState is published.
				removed = append(removed, int32(i))
				continue
			}
			ts.partitions[i] = old.partitions[i] // partitions never change once published
			continue
		}
		if !held {
			continue
		}
		// New unless it could not open before (an offline replica).
		p, err := b.openPartition(name, int32(i), t.config, !b.isOfflineReplica(name, int32(i)))
		if err != nil {
			b.log.Error("opening partition", "topic", name, "partition", i, "err", err)
			continue
		}
		ts.partitions[i] = p
	}
	b.mu.Lock()
	// A state newer than the one just read (a watch applied it meanwhile)
	// is kept.
	if cur := b.topics[name]; cur != nil {
		for i := range ts.states {
			if i < len(cur.versions) && cur.versions[i] > ts.versions[i] {
				ts.states[i], ts.versions[i] = cur.states[i], cur.versions[i]
			}
		}
	}
	b.topics[name] = ts
	states, versions := slices.Clone(ts.states), slices.Clone(ts.versions)
	b.mu.Unlock()
	b.applyThrottledReplicas(name, t.config)
	for i := range states {
		b.applyPartitionState(name, int32(i), states[i], versions[i])
	}
	for _, i := range removed {
		b.removePartition(name, i, old.partitions[i])
		b.log.Info("replica removed: the partition was reassigned to other brokers", "topic", name, "partition", i)
	}
}

// dropTopic forgets a topic deleted elsewhere and removes its local data.
// alterMu held.
func (b *Broker) dropTopic(name string) {
	b.mu.Lock()
	t := b.topics[name]
	delete(b.topics, name)
	b.mu.Unlock()
	b.applyThrottledReplicas(name, nil)
	if t == nil {
		return
	}
	b.removeLocal(t)
	b.log.Info("topic deleted", "topic", name)
}
