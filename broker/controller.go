package broker

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/go-zookeeper/zk"
)

// runController takes part in the controller election until ctx ends: the
// broker that creates the ephemeral /controller is controller (and bumps
// /controller_epoch); the others watch the node and try again when it goes
// away, so a controller failover picks up where the old one stopped —
// everything it needs is in the coordinator.
func (b *Broker) runController(ctx context.Context) {
	for ctx.Err() == nil {
		id, epoch, epochVersion, err := b.meta.claimController(b.cfg.BrokerID)
		if err != nil {
			b.log.Warn("controller election", "err", err)
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		exists, _, ch, err := b.meta.conn.ExistsW(b.meta.p("/controller"))
		if err != nil {
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		if !exists {
			continue // gone between the claim and the watch: claim again
		}
		b.setController(id)
		if id == b.cfg.BrokerID && epoch > 0 {
			b.log.Info("became controller", "controller_epoch", epoch)
			b.metrics.controller.Set(1)
			b.setFence(controllerFence{epoch, epochVersion})
			b.control(ctx, epoch, epochVersion, ch)
			b.setFence(controllerFence{})
			b.metrics.controller.Set(0)
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

func (b *Broker) setController(id int32) {
	b.mu.Lock()
	b.controller = id
	b.mu.Unlock()
}

// controllerFence is what fences a controller's writes: its epoch and
// the version of /controller_epoch it wrote (multiAsController).
type controllerFence struct {
	epoch   int
	version int32
}

func (b *Broker) setFence(f controllerFence) {
	b.mu.Lock()
	b.fence = f
	b.mu.Unlock()
}

// asController returns the fence of this broker's writes as controller;
// false when it is not the controller, so a request only the controller
// serves (ElectLeaders, AlterPartitionReassignments) answers
// NOT_CONTROLLER, as a Kafka broker in ZooKeeper mode does. A fence that
// is stale (another broker took over meanwhile) fails the write with
// errControllerMoved.
func (b *Broker) asController() (controllerFence, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.fence, b.fence.epoch > 0
}

func (b *Broker) controllerID() int32 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.controller
}

// control is the controller's work: whenever the registered brokers or
// the topics change (a topic's assignment too: this broker's cluster
// watch signals topicEvents), a topic is marked for deletion, or a broker
// reports a failed log directory (and every few seconds, to catch what a
// lost watch missed), every partition gets a live leader from its ISR if
// it can and loses dead brokers and offline replicas from its ISR, new
// partitions get their first state, and marked topics are deleted
// (controller_topics.go). It returns when /controller changes (this
// broker may no longer be controller) or ctx ends.
func (b *Broker) control(ctx context.Context, epoch int, epochVersion int32, lost <-chan zk.Event) {
	var imbalanceCheck <-chan time.Time
	if b.cfg.AutoLeaderRebalance {
		tick := time.NewTicker(time.Duration(b.cfg.LeaderImbalanceCheckSeconds) * time.Second)
		defer tick.Stop()
		imbalanceCheck = tick.C
	}
	rebalance := false
	for ctx.Err() == nil {
		_, _, idsCh, err1 := b.meta.conn.ChildrenW(b.meta.p("/brokers/ids"))
		_, _, topicsCh, err2 := b.meta.conn.ChildrenW(b.meta.p("/brokers/topics"))
		events, _, eventsCh, err3 := b.meta.conn.ChildrenW(b.meta.p(logDirEvents))
		_, _, deleteCh, err4 := b.meta.conn.ChildrenW(b.meta.p("/admin/delete_topics"))
		_, _, electCh, err5 := b.meta.conn.ExistsW(b.meta.p(preferredElection))
		_, _, reassignCh, err6 := b.meta.conn.ExistsW(b.meta.p(reassignPartitions))
		if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
			b.log.Warn("controller: watching the cluster", "err", err)
		} else if err := b.electLeaders(epoch, epochVersion, rebalance); errors.Is(err, errControllerMoved) {
			b.log.Info("no longer controller: another broker has a newer controller epoch")
			return
		} else if err != nil {
			b.log.Warn("controller: electing leaders", "err", err)
		} else {
			rebalance = false
			// The registrations read by electLeaders were written
			// before these events: they are handled.
			for _, ev := range events {
				if err := b.meta.conn.Delete(b.meta.p(logDirEvents+"/"+ev), -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
					b.log.Warn("controller: removing a log dir event", "event", ev, "err", err)
				}
			}
		}
		timer := time.NewTimer(3 * time.Second)
		select {
		case <-ctx.Done():
		case <-lost:
			timer.Stop()
			return
		case <-idsCh:
		case <-topicsCh:
		case <-eventsCh:
		case <-deleteCh:
		case <-electCh:
		case <-reassignCh:
		case <-imbalanceCheck:
			rebalance = true
		case <-b.topicEvents:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// electLeaders brings every partition's state in line with the live
// brokers, starts new partitions, deletes the topics marked for
// deletion and runs the preferred replica elections due (with rebalance,
// the imbalance check's: controller_leaders.go) and moves the partition
// reassignments on (controller_reassign.go), writing each change fenced
// by the controller epoch. It reads the topics once, handing them from
// step to step (passTopics, controller_pass.go).
func (b *Broker) electLeaders(epoch int, epochVersion int32, rebalance bool) error {
	live, err := b.meta.brokers()
	if err != nil {
		return err
	}
	var errs []error
	if err := b.deleteMarkedTopics(live, epochVersion); errors.Is(err, errControllerMoved) {
		return err
	} else if err != nil {
		errs = append(errs, err)
	}
	view, err := b.readPassTopics()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, name := range view.names() {
		t := view.all[name]
		wrote, err := b.completeTopic(t, live, epoch, epochVersion)
		if errors.Is(err, errControllerMoved) {
			return err
		} else if err != nil {
			errs = append(errs, err) // changed meanwhile: the next pass reads it again
		}
		if wrote || err != nil {
			view.wrote(name)
		}
		unclean := b.effective().UncleanLeaderElection
		if v, err := strconv.ParseBool(t.config["unclean.leader.election.enable"]); err == nil {
			unclean = v
		}
		for i, st := range t.states {
			if t.versions[i] < 0 {
				continue // the state node is being created
			}
			next, changed := nextState(st, t.replicas[i], replicaUsable(live, t.name, int32(i)), unclean)
			if !changed {
				continue
			}
			next.ControllerEpoch = epoch
			err := b.meta.setPartitionStateAsController(t.name, int32(i), next, t.versions[i], epochVersion)
			if errors.Is(err, errControllerMoved) {
				return err
			}
			view.wrote(name)
			if err != nil {
				errs = append(errs, err) // changed meanwhile: the next pass sees the new state
				continue
			}
			b.log.Info("controller: partition state", "topic", t.name, "partition", i,
				"leader", next.Leader, "leader_epoch", next.LeaderEpoch, "isr", next.ISR, "was_leader", st.Leader, "was_isr", st.ISR)
			if next.Leader != st.Leader {
				b.metrics.leaderElections.Inc()
			}
		}
	}
	if err := view.refresh(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if err := b.preferredLeaders(view, live, rebalance, epoch, epochVersion); errors.Is(err, errControllerMoved) {
		return err
	} else if err != nil {
		errs = append(errs, err)
	}
	if err := view.refresh(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if err := b.reassignments(view, live, controllerFence{epoch, epochVersion}); errors.Is(err, errControllerMoved) {
		return err
	} else if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// replicaUsable reports which replicas of a partition can serve: those
// whose broker is registered and has not reported them on a failed log
// directory.
func replicaUsable(live map[int32]brokerInfo, topic string, index int32) func(int32) bool {
	return func(id int32) bool {
		info, ok := live[id]
		return ok && info.hosts(topic, index)
	}
}

// nextState is what a partition's state must become when only the
// replicas isLive accepts can serve (their broker is registered and their
// log directory works): the others leave the ISR; a leader that cannot
// serve is replaced by the first live ISR member in replica order (any
// live replica when unclean election is allowed, with the ISR reset to
// it), the leader epoch bumped; with no candidate the partition goes
// offline (leader -1) keeping its last ISR, so the first of those to
// return leads again.
func nextState(st partitionState, replicas []int32, isLive func(int32) bool, unclean bool) (partitionState, bool) {
	liveISR := slices.DeleteFunc(slices.Clone(st.ISR), func(id int32) bool { return !isLive(id) })
	next := st
	next.Version = 1
	if st.Leader >= 0 && isLive(st.Leader) {
		if len(liveISR) == len(st.ISR) {
			return st, false
		}
		next.ISR = liveISR
		return next, true
	}
	for _, id := range replicas {
		if isLive(id) && slices.Contains(liveISR, id) {
			next.Leader, next.LeaderEpoch, next.ISR = id, st.LeaderEpoch+1, liveISR
			return next, true
		}
	}
	if unclean {
		for _, id := range replicas {
			if isLive(id) {
				next.Leader, next.LeaderEpoch, next.ISR = id, st.LeaderEpoch+1, []int32{id}
				return next, true
			}
		}
	}
	if st.Leader == -1 {
		return st, false
	}
	next.Leader, next.LeaderEpoch = -1, st.LeaderEpoch+1
	return next, true
}
