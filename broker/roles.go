package broker

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/broker/partition"
)

// applyPartitionState takes a partition state read from the coordinator at
// node version: it updates what Metadata answers and, for a partition this
// broker holds, makes it leader, follower or neither (starting or stopping
// its fetcher). Older versions than the one known are ignored.
func (b *Broker) applyPartitionState(topic string, index int32, st partitionState, version int32) {
	b.roleMu.Lock()
	defer b.roleMu.Unlock()
	b.mu.Lock()
	ts := b.topics[topic]
	if ts == nil || int(index) >= len(ts.states) || version < ts.versions[index] {
		b.mu.Unlock()
		return
	}
	ts.states[index], ts.versions[index] = st, version
	p, replicas := ts.partitions[index], ts.replicas[index]
	b.mu.Unlock()
	if p != nil {
		b.setRole(p, st, version, replicas)
	}
	if topic == offsetsTopic {
		b.syncGroupManager(index)
	}
}

// setRole applies a state to a local partition; roleMu held.
func (b *Broker) setRole(p *partition.Partition, st partitionState, version int32, replicas []int32) {
	old := p.Snapshot()
	pst := partition.State{ControllerEpoch: st.ControllerEpoch, Leader: st.Leader, LeaderEpoch: st.LeaderEpoch, ISR: st.ISR}
	stop, follow := p.SetState(pst, version, replicas, time.Now())
	if stop != nil {
		stop()
	}
	if follow {
		b.startFetcher(p, st.Leader, st.LeaderEpoch)
	}
	now := p.Snapshot()
	if now.Role != old.Role || now.Epoch != old.Epoch || now.Leader != old.Leader {
		b.log.Info("partition role", "topic", p.Topic(), "partition", p.Index(), "role", now.Role.String(),
			"leader", now.Leader, "leader_epoch", now.Epoch, "isr", now.ISR)
	}
}

// startRoles gives every local partition the role its state says; Run
// calls it once the fetchers can run.
func (b *Broker) startRoles() {
	type item struct {
		topic string
		index int32
		st    partitionState
		ver   int32
	}
	var items []item
	b.mu.RLock()
	for name, ts := range b.topics {
		for i := range ts.states {
			items = append(items, item{name, int32(i), ts.states[i], ts.versions[i]})
		}
	}
	b.mu.RUnlock()
	for _, it := range items {
		b.applyPartitionState(it.topic, it.index, it.st, it.ver)
	}
}

// alterISR writes, as leader, a new ISR for p to the coordinator (only if
// the state node is still the version this leader knows) and applies it.
// When the node changed meanwhile (the controller moved leadership or
// shrank the ISR), the current state is read and applied instead.
func (b *Broker) alterISR(p *partition.Partition, isr []int32) {
	rs := p.Snapshot()
	if rs.Role != partition.Leader || slices.Equal(rs.ISR, isr) {
		return
	}
	st := partitionState{ControllerEpoch: rs.ControllerEpoch, Leader: b.cfg.BrokerID, Version: 1, LeaderEpoch: rs.Epoch, ISR: isr}
	ver, err := b.meta.setPartitionState(p.Topic(), p.Index(), st, rs.Version)
	switch {
	case err == nil:
		b.log.Info("ISR changed", "topic", p.Topic(), "partition", p.Index(), "from", rs.ISR, "to", isr)
		b.metrics.isrChanges.Inc()
		b.applyPartitionState(p.Topic(), p.Index(), st, ver)
	case errors.Is(err, zk.ErrBadVersion):
		b.refreshPartitionState(p.Topic(), p.Index())
	default:
		b.log.Warn("writing the ISR", "topic", p.Topic(), "partition", p.Index(), "err", err)
	}
}

// refreshPartitionState reads one partition's state and applies it.
func (b *Broker) refreshPartitionState(topic string, index int32) {
	st, ver, err := b.meta.partitionState(topic, index)
	if err != nil {
		b.log.Warn("reading partition state", "topic", topic, "partition", index, "err", err)
		return
	}
	b.applyPartitionState(topic, index, st, ver)
}

// isrLoop removes, as leader, followers that stayed behind for longer than
// replica.lag.time.max.ms from the ISR.
func (b *Broker) isrLoop(ctx context.Context) {
	b.eachPartitionEvery(ctx, max(b.cfg.ReplicaLagTimeMax/4, 10*time.Millisecond), func(now time.Time, p *partition.Partition) {
		if keep := p.LaggingISR(now, b.cfg.ReplicaLagTimeMax); keep != nil {
			b.alterISR(p, keep)
		}
	})
}

// eachPartitionEvery calls f for every local partition, every interval,
// until ctx ends: the loop of isrLoop and retentionLoop.
func (b *Broker) eachPartitionEvery(ctx context.Context, interval time.Duration, f func(now time.Time, p *partition.Partition)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, p := range onlinePartitions(b.localPartitions()) {
				f(now, p)
			}
		}
	}
}

// isLive reports whether broker id is registered (its session is alive).
func (b *Broker) isLive(id int32) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.brokers[id]
	return ok
}

// localPartitions lists the partitions this broker holds.
func (b *Broker) localPartitions() []*partition.Partition {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []*partition.Partition
	for _, ts := range b.topics {
		for _, p := range ts.partitions {
			if p != nil {
				out = append(out, p)
			}
		}
	}
	return out
}
