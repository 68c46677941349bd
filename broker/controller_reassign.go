package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Partition reassignment, as Kafka's controller does it (KIP-455), with
// every step's state in the topic's assignment (reassignmeta.go), so a
// controller that takes over carries on where the last one stopped:
//
//  1. start (AlterPartitionReassignments, or an entry of
//     /admin/reassign_partitions): the replicas become the target's plus
//     the original ones, with adding_replicas and removing_replicas, and
//     in the same multi the partition's leader epoch is bumped (leader
//     and ISR kept), as Kafka's controller does when it sends the new
//     replica set: requests naming the old epoch are fenced
//     (FENCED_LEADER_EPOCH), and the followers fetch again in the new one.
//     Each broker's watch on the assignment opens the new replicas, which
//     follow the leader from its log start; the leader counts them as
//     followers and adds each to the ISR once it has caught up, as any
//     follower (broker/doc.go, Replication);
//  2. complete, once every target replica is in the ISR: in one multi,
//     the state gets the leader (kept if it stays and is live, else the
//     first target replica in the ISR that is live), the leader epoch
//     bumped and the ISR less the removed replicas, and the assignment
//     gets the target with the reassignment gone. Each removed replica's
//     broker then sees it no longer holds the partition: it stops it and
//     deletes its data (reloadTopic);
//  3. cancel (AlterPartitionReassignments with null replicas): a
//     reassignment back to the original replicas, completed at once the
//     same way (state and assignment in one multi), which removes the
//     replicas that were being added. So is a target that neither adds
//     nor removes a replica (a new order).
//
// An entry of /admin/reassign_partitions is removed once its partition
// has its target as replicas and no reassignment in progress, or when it
// cannot start (unknown partition, a broker not live, …: logged, as Kafka
// does); the node goes with its last entry.

// startReassignment moves topic-index to target (nil cancels the
// reassignment in progress) as controller: the checks Kafka's controller
// makes (INVALID_REPLICA_ASSIGNMENT, UNKNOWN_TOPIC_OR_PARTITION,
// NO_REASSIGNMENT_IN_PROGRESS) and the assignment written, reading it
// again when it changed under the write.
func (b *Broker) startReassignment(name string, index int32, target []int32, live map[int32]brokerInfo, fence controllerFence) error {
	if target != nil {
		if err := checkReassignTarget(target); err != nil {
			return err
		}
	}
	for attempt := 0; attempt < 3; attempt++ {
		t, err := b.meta.topic(name)
		if errors.Is(err, zk.ErrNoNode) {
			return kafkaErrorf(kerr.UnknownTopicOrPartition, "The partition does not exist.")
		}
		if err != nil {
			return err
		}
		if index < 0 || int(index) >= len(t.replicas) {
			return kafkaErrorf(kerr.UnknownTopicOrPartition, "The partition does not exist.")
		}
		cur, r := t.replicas[index], t.reassigning[index]
		to := target
		if to == nil {
			if !r.active() {
				return kafkaErrorf(kerr.NoReassignmentInProgress, "No reassignment is in progress for topic %s partition %d", name, index)
			}
			to = without(cur, r.adding)
		}
		full, next := reassignTo(cur, r, to)
		var dead []int32
		for _, id := range next.adding {
			if _, ok := live[id]; !ok {
				dead = append(dead, id)
			}
		}
		if len(dead) > 0 {
			return kafkaErrorf(kerr.InvalidReplicaAssignment, "Replica assignment has brokers that are not alive. Replica list: %v, live broker list: %v",
				next.adding, liveIDs(live))
		}
		if slices.Equal(full, cur) && slices.Equal(next.adding, r.adding) && slices.Equal(next.removing, r.removing) {
			return nil // as it is already
		}
		var extra []any
		if st, ok := startedState(t, index, full, next, live, fence); ok {
			sb, _ := json.Marshal(st)
			extra = append(extra, &zk.SetDataRequest{Path: b.meta.statePath(name, index), Data: sb, Version: t.versions[index]})
		}
		err = b.meta.setReassignment(t, index, full, next, fence.version, extra...)
		switch {
		case errors.Is(err, zk.ErrBadVersion):
			continue
		case err != nil:
			return err
		}
		b.log.Info("controller: partition reassignment", "topic", name, "partition", index, "replicas", full,
			"adding", next.adding, "removing", next.removing, "cancelled", target == nil)
		return nil
	}
	return fmt.Errorf("%w: the assignment of %s kept changing", kerr.UnknownServerError, name)
}

// checkReassignTarget makes Kafka's checks of a target replica list.
func checkReassignTarget(target []int32) error {
	switch {
	case len(target) == 0:
		return kafkaErrorf(kerr.InvalidReplicaAssignment, "Empty replica list specified in partition reassignment.")
	case len(slices.Compact(slices.Sorted(slices.Values(target)))) != len(target):
		return kafkaErrorf(kerr.InvalidReplicaAssignment, "Duplicate replica ids in partition reassignment replica list: %v", target)
	case slices.Min(target) < 0:
		return kafkaErrorf(kerr.InvalidReplicaAssignment, "Invalid broker id in replica list: %v", target)
	}
	return nil
}

func liveIDs(live map[int32]brokerInfo) []int32 {
	out := make([]int32, 0, len(live))
	for id := range live {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// reassignments is the controller pass's part in reassignments, on its
// view of the topics: the entries of /admin/reassign_partitions, then
// every reassignment in progress whose target replicas have all joined
// the ISR completes.
func (b *Broker) reassignments(view *passTopics, live map[int32]brokerInfo, fence controllerFence) error {
	var errs []error
	if err := b.zkReassignments(view, live, fence); errors.Is(err, errControllerMoved) {
		return err
	} else if err != nil {
		errs = append(errs, err)
	}
	if err := view.refresh(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, name := range view.names() {
		for _, i := range slices.Sorted(maps.Keys(view.all[name].reassigning)) {
			t := view.all[name]
			if t == nil {
				break // gone when read again
			}
			r, ok := t.reassigning[i]
			if !ok {
				continue
			}
			wrote, err := b.completeReassignment(t, i, r, live, fence)
			if errors.Is(err, errControllerMoved) {
				return err
			}
			if !wrote {
				continue
			}
			// The assignment's version moved on: read it again for the
			// next partition.
			view.wrote(name)
			if err == nil {
				err = view.refresh()
			}
			if err != nil {
				errs = append(errs, err) // changed meanwhile: the next pass reads it again
				break
			}
		}
	}
	return errors.Join(errs...)
}

// completeReassignment ends t's reassignment of partition index (see
// above) if every target replica is in the ISR; nothing otherwise (wrote
// false). wrote with an error: the write was refused.
func (b *Broker) completeReassignment(t *topic, index int32, r reassignment, live map[int32]brokerInfo, fence controllerFence) (wrote bool, err error) {
	if t.versions[index] < 0 {
		return false, nil
	}
	st, target := t.states[index], without(t.replicas[index], r.removing)
	for _, id := range target {
		if !slices.Contains(st.ISR, id) {
			return false, nil // still catching up
		}
	}
	next, ok := completedState(st, target, replicaUsable(live, t.name, index), fence)
	if !ok {
		return false, nil // no target replica can lead yet
	}
	sb, _ := json.Marshal(next)
	stateOp := &zk.SetDataRequest{Path: b.meta.statePath(t.name, index), Data: sb, Version: t.versions[index]}
	if err := b.meta.setReassignment(t, index, target, reassignment{}, fence.version, stateOp); err != nil {
		return true, err
	}
	b.log.Info("controller: partition reassignment completed", "topic", t.name, "partition", index, "replicas", target,
		"removed", r.removing, "leader", next.Leader, "leader_epoch", next.LeaderEpoch, "isr", next.ISR)
	if next.Leader != st.Leader {
		b.metrics.leaderElections.Inc()
	}
	return true, nil
}

// completedState is a partition's state once its replicas are target:
// the leader kept if it is a target replica and usable, else the first
// target replica in the ISR that is; the ISR less the replicas not in
// target; the leader epoch bumped. False when no target replica can lead.
func completedState(st partitionState, target []int32, usable func(int32) bool, fence controllerFence) (partitionState, bool) {
	next := st
	next.Version, next.ControllerEpoch, next.LeaderEpoch = 1, fence.epoch, st.LeaderEpoch+1
	next.ISR = slices.DeleteFunc(slices.Clone(st.ISR), func(id int32) bool { return !slices.Contains(target, id) })
	if slices.Contains(target, st.Leader) && usable(st.Leader) {
		return next, true
	}
	for _, id := range target {
		if slices.Contains(next.ISR, id) && usable(id) {
			next.Leader = id
			return next, true
		}
	}
	return st, false
}

// startedState is the state written with the assignment that gives
// partition index of t the replicas full and reassignment r
// (startReassignment): while r is in progress, the state with its leader
// epoch bumped; when the write leaves none in progress (a cancel, a new
// order), the completed state of replicas full. False when there is no state to write: the state
// node is being created, or no remaining replica can lead (the next
// passes sort the partition out as any other).
func startedState(t *topic, index int32, full []int32, r reassignment, live map[int32]brokerInfo, fence controllerFence) (partitionState, bool) {
	if t.versions[index] < 0 {
		return partitionState{}, false
	}
	st := t.states[index]
	if !r.active() {
		return completedState(st, full, replicaUsable(live, t.name, index), fence)
	}
	next := st
	next.Version, next.ControllerEpoch, next.LeaderEpoch = 1, fence.epoch, st.LeaderEpoch+1
	return next, true
}

// zkReassignments starts the reassignments /admin/reassign_partitions
// names and removes the entries that are done or cannot start.
func (b *Broker) zkReassignments(view *passTopics, live map[int32]brokerInfo, fence controllerFence) error {
	data, stat, err := b.meta.conn.Get(b.meta.p(reassignPartitions))
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("broker: read %s: %w", reassignPartitions, err)
	}
	reqs, err := decodeReassignPartitions(data)
	if err != nil {
		b.log.Warn("controller: removing a partition reassignment that does not decode", "err", err)
		return b.meta.setReassignPartitions(nil, stat.Version, fence.version)
	}
	var left []reassignRequest
	for _, rq := range reqs {
		done, err := b.zkReassignment(view, rq, live, fence)
		if errors.Is(err, errControllerMoved) {
			return err
		}
		var ke *kafkaError
		if errors.As(err, &ke) {
			b.log.Warn("controller: ignoring a partition reassignment", "topic", rq.Topic, "partition", rq.Partition,
				"replicas", rq.Replicas, "err", err)
			continue
		}
		if err != nil {
			b.log.Warn("controller: partition reassignment", "topic", rq.Topic, "partition", rq.Partition, "err", err)
		}
		if !done {
			left = append(left, rq)
		}
	}
	if len(left) == len(reqs) {
		return nil
	}
	return b.meta.setReassignPartitions(left, stat.Version, fence.version)
}

// zkReassignment starts one entry's reassignment unless it is in
// progress already (marking the topic written in view if it starts);
// done when the partition has its target and no reassignment in
// progress.
func (b *Broker) zkReassignment(view *passTopics, rq reassignRequest, live map[int32]brokerInfo, fence controllerFence) (done bool, err error) {
	if err := checkReassignTarget(rq.Replicas); err != nil {
		return false, err
	}
	if err := view.refresh(); err != nil { // an entry before this one started
		return false, err
	}
	t := view.all[rq.Topic]
	if t == nil { // not in the view: read why
		t, err = b.meta.topic(rq.Topic)
	}
	if errors.Is(err, zk.ErrNoNode) || (err == nil && int(rq.Partition) >= len(t.replicas)) {
		return false, kafkaErrorf(kerr.UnknownTopicOrPartition, "The partition does not exist.")
	}
	if err != nil {
		return false, err
	}
	cur, r := t.replicas[rq.Partition], t.reassigning[rq.Partition]
	switch {
	case !r.active() && slices.Equal(cur, rq.Replicas):
		return true, nil
	case r.active() && slices.Equal(without(cur, r.removing), rq.Replicas):
		return false, nil // under way
	}
	view.wrote(rq.Topic)
	return false, b.startReassignment(rq.Topic, rq.Partition, rq.Replicas, live, fence)
}
