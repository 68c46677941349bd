package broker

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/go-zookeeper/zk"
)

// The controller's part in topics changed through the coordinator by
// other programs, as Kafka 2.x's controller does with ZooKeeper (sluice's
// own CreateTopics, CreatePartitions and DeleteTopics write everything
// themselves, in one multi each):
//
//   - a topic whose assignment (/brokers/topics/<t>) names partitions
//     without a state node — a new topic, or partitions added, by Kafka
//     2.x's kafka-topics.sh --zookeeper — gets them: leader the first
//     live replica in assignment order, ISR the live replicas, leader
//     epoch 0. A partition with no live replica waits for one, as in
//     Kafka (it stays without a leader);
//   - a topic without a valid topic_id gets one, written into its
//     assignment (version 3) as Kafka 2.8+ does, so every broker answers
//     the same id in Metadata; one an older tool dropped while rewriting
//     the assignment (2.7's --alter) is written back (completeTopic);
//   - a topic named under /admin/delete_topics (2.x's kafka-topics.sh
//     --delete --zookeeper) is deleted: its nodes, config and the marker
//     go in one multi, and every broker's watch then drops it and removes
//     its data. As in Kafka, the deletion waits while a broker holding a
//     replica is down, so that broker too removes its data; a marker
//     naming no topic is removed. An internal topic is not deleted (its
//     marker is removed), as sluice's DeleteTopics refuses it. With
//     delete.topic.enable=false every marker is removed and no topic
//     deleted, as Kafka's controller does.
//
// Every write is fenced by the controller epoch.

// completeTopic writes t's missing partition states and topic id (see
// above); nothing when it has both (wrote false).
func (b *Broker) completeTopic(t *topic, live map[int32]brokerInfo, epoch int, epochVersion int32) (wrote bool, err error) {
	states := map[int32]partitionState{}
	for i, reps := range t.replicas {
		if t.versions[i] >= 0 {
			continue
		}
		st, ok := initialState(reps, replicaUsable(live, t.name, int32(i)))
		if !ok {
			b.log.Warn("controller: a new partition has no live replica to lead it", "topic", t.name, "partition", i, "replicas", reps)
			continue
		}
		st.ControllerEpoch = epoch
		states[int32(i)] = st
	}
	id := ""
	if !validTopicID(t.id) {
		id = b.knownTopicID(t)
	}
	if len(states) == 0 && id == "" {
		return false, nil
	}
	if err := b.meta.startPartitions(t, id, states, epochVersion); err != nil {
		return true, err
	}
	for _, i := range slices.Sorted(maps.Keys(states)) {
		b.log.Info("controller: new partition", "topic", t.name, "partition", i, "leader", states[i].Leader, "isr", states[i].ISR)
	}
	if id != "" {
		b.log.Info("controller: topic id", "topic", t.name, "topic_id", id)
	}
	return true, nil
}

// knownTopicID is the id for a topic whose assignment has none: the one
// this broker knows for the same topic (same assignment node: an older
// tool rewrote it without the id), else a new one.
func (b *Broker) knownTopicID(t *topic) string {
	if ts := b.lookupTopic(t.name); ts != nil && ts.created == t.created && ts.id != ([16]byte{}) {
		return base64.RawURLEncoding.EncodeToString(ts.id[:])
	}
	return newTopicID()
}

// initialState is a new partition's first state: the live replicas in
// assignment order are the ISR, the first leads; false with none.
func initialState(replicas []int32, isLive func(int32) bool) (partitionState, bool) {
	isr := slices.DeleteFunc(slices.Clone(replicas), func(id int32) bool { return !isLive(id) })
	if len(isr) == 0 {
		return partitionState{}, false
	}
	return partitionState{Leader: isr[0], Version: 1, ISR: isr}, true
}

// deleteMarkedTopics deletes the topics named under /admin/delete_topics
// (see above).
func (b *Broker) deleteMarkedTopics(live map[int32]brokerInfo, epochVersion int32) error {
	names, err := b.meta.deletionMarkers()
	if err != nil {
		return err
	}
	var errs []error
	if !b.cfg.DeleteTopicEnable && len(names) > 0 {
		// As Kafka's controller: the markers go, the topics stay.
		for _, name := range names {
			err := b.meta.removeAsController("/admin/delete_topics/"+name, epochVersion)
			if errors.Is(err, errControllerMoved) {
				return err
			} else if err != nil {
				errs = append(errs, fmt.Errorf("remove deletion marker of %s: %w", name, err))
			}
		}
		b.log.Info("controller: removed deletion markers since delete.topic.enable is false", "topics", names)
		return errors.Join(errs...)
	}
	for _, name := range names {
		t, err := b.meta.topic(name)
		exists := !errors.Is(err, zk.ErrNoNode) // else only the marker goes
		switch {
		case !exists:
		case errors.Is(err, errBadMetadata):
			// Its replicas cannot be known: delete it as it is.
			b.log.Warn("controller: deleting a topic whose metadata does not decode", "topic", name, "err", err)
		case err != nil:
			errs = append(errs, err)
			continue
		default:
			if down := downReplicas(t, live); len(down) > 0 {
				b.log.Info("controller: topic deletion waits for brokers holding its replicas", "topic", name, "down", down)
				continue
			}
		}
		refused := exists && isInternalTopic(name)
		if refused || !exists {
			err = b.meta.removeAsController("/admin/delete_topics/"+name, epochVersion)
		} else {
			err = b.meta.deleteTopicAsController(name, epochVersion)
		}
		if errors.Is(err, errControllerMoved) {
			return err
		}
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("delete marked topic %s: %w", name, err))
		case refused:
			b.log.Warn("controller: an internal topic was marked for deletion; removed the marker, kept the topic", "topic", name)
		case !exists:
			b.log.Info("controller: removed the deletion marker of a topic that does not exist", "topic", name)
		default:
			b.log.Info("controller: deleted a topic marked for deletion", "topic", name)
		}
	}
	return errors.Join(errs...)
}

// downReplicas returns the brokers that hold a replica of t and are not
// registered, sorted.
func downReplicas(t *topic, live map[int32]brokerInfo) []int32 {
	var down []int32
	for _, reps := range t.replicas {
		for _, id := range reps {
			if _, ok := live[id]; !ok && !slices.Contains(down, id) {
				down = append(down, id)
			}
		}
	}
	slices.Sort(down)
	return down
}
