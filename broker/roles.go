package broker

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/go-zookeeper/zk"
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
	if topic == offsetsTopic && index == 0 {
		b.syncGroupManager()
	}
}

// setRole applies a state to a local partition; roleMu held.
func (b *Broker) setRole(p *partition, st partitionState, version int32, replicas []int32) {
	old := p.roleState()
	stop, follow := p.setState(st, version, replicas, time.Now())
	if stop != nil {
		stop.stop()
	}
	if follow {
		b.startFetcher(p, st.Leader, st.LeaderEpoch)
	}
	now := p.roleState()
	if now.role != old.role || now.epoch != old.epoch || now.leader != old.leader {
		b.log.Info("partition role", "topic", p.topic, "partition", p.index, "role", roleName(now.role),
			"leader", now.leader, "leader_epoch", now.epoch, "isr", now.isr)
	}
}

func roleName(r role) string {
	switch r {
	case roleLeader:
		return "leader"
	case roleFollower:
		return "follower"
	}
	return "none"
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
func (b *Broker) alterISR(p *partition, isr []int32) {
	rs := p.roleState()
	if rs.role != roleLeader || slices.Equal(rs.isr, isr) {
		return
	}
	st := partitionState{ControllerEpoch: rs.controllerEpoch, Leader: b.cfg.BrokerID, Version: 1, LeaderEpoch: rs.epoch, ISR: isr}
	ver, err := b.meta.setPartitionState(p.topic, p.index, st, rs.version)
	switch {
	case err == nil:
		b.log.Info("ISR changed", "topic", p.topic, "partition", p.index, "from", rs.isr, "to", isr)
		b.metrics.isrChanges.Inc()
		b.applyPartitionState(p.topic, p.index, st, ver)
	case errors.Is(err, zk.ErrBadVersion):
		b.refreshPartitionState(p.topic, p.index)
	default:
		b.log.Warn("writing the ISR", "topic", p.topic, "partition", p.index, "err", err)
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
	t := time.NewTicker(max(b.cfg.ReplicaLagTimeMax/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, p := range b.localPartitions() {
				if keep := p.laggingISR(now, b.cfg.ReplicaLagTimeMax); keep != nil {
					b.alterISR(p, keep)
				}
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
func (b *Broker) localPartitions() []*partition {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []*partition
	for _, ts := range b.topics {
		for _, p := range ts.partitions {
			if p != nil {
				out = append(out, p)
			}
		}
	}
	return out
}
