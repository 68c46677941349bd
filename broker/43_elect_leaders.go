package broker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ElectLeaders v0–v2 elects partition leaders on request, as Kafka's
// controller does for kafka-leader-election.sh (and AdminClient's
// electLeaders): v0 elects the preferred replica; v1+ carries the
// election type (0 preferred, 1 unclean) and a top-level error code; v2
// is flexible. Only the controller elects: any other broker answers
// NOT_CONTROLLER for every partition, as a Kafka broker in ZooKeeper mode
// does (clients send it to the controller Metadata names). Per
// partition, as Kafka's controller answers:
//
//   - preferred: ELECTION_NOT_NEEDED when the first replica of the
//     assignment leads already, PREFERRED_LEADER_NOT_AVAILABLE when it
//     is not live or not in the ISR; otherwise it leads (epoch bumped,
//     ISR kept);
//   - unclean: ELECTION_NOT_NEEDED when a live broker leads,
//     ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is live; otherwise
//     the first live ISR member leads, or with none the first live
//     replica, with the ISR reset to it (records only the old ISR had
//     may be lost: that is what unclean means);
//   - UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist,
//     INVALID_TOPIC_EXCEPTION for a topic marked for deletion.
//
// A null topic list means every partition; the answer then leaves out
// the partitions that needed no election. The answer waits (up to the
// request's timeout) until this broker has applied the new leaders, as
// Kafka's does, and answers REQUEST_TIMED_OUT for those it has not.
// With an authorizer, ALTER on the cluster is required, as in Kafka:
// without it the request and each partition it names answer
// CLUSTER_AUTHORIZATION_FAILED.
var electLeadersAPI = api{key: kmsg.ElectLeaders, min: 0, max: 2, handle: (*Broker).handleElectLeaders}

func (b *Broker) handleElectLeaders(ctx context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ElectLeadersRequest)
	resp := req.ResponseKind().(*kmsg.ElectLeadersResponse)
	if req.ElectionType != 0 && req.ElectionType != 1 {
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp, nil
	}
	unclean := req.ElectionType == 1
	all := req.Topics == nil
	var keys []stateKey
	if all {
		keys = b.stateKeys()
	} else {
		for _, rt := range req.Topics {
			for _, p := range rt.Partitions {
				keys = append(keys, stateKey{rt.Topic, p})
			}
		}
	}
	results := map[stateKey]error{}
	fence, ok := b.asController()
	switch {
	case !c.authorizedCluster(kmsg.ACLOperationAlter):
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		if all {
			keys = nil
		}
		for _, k := range keys {
			results[k] = kerr.ClusterAuthorizationFailed
		}
	case !ok:
		for _, k := range keys {
			results[k] = kerr.NotController
		}
	default:
		results = b.electOnRequest(keys, unclean, fence)
		b.awaitLeaders(ctx, results, time.Duration(req.TimeoutMillis)*time.Millisecond)
	}
	byTopic := map[string][]kmsg.ElectLeadersResponseTopicPartition{}
	for k, err := range results {
		if all && errors.Is(err, kerr.ElectionNotNeeded) {
			continue
		}
		rp := kmsg.NewElectLeadersResponseTopicPartition()
		rp.Partition, rp.ErrorCode, rp.ErrorMessage = k.index, errCode(err), errMessage(err)
		byTopic[k.topic] = append(byTopic[k.topic], rp)
	}
	for _, name := range slices.Sorted(maps.Keys(byTopic)) {
		rt := kmsg.NewElectLeadersResponseTopic()
		rt.Topic, rt.Partitions = name, byTopic[name]
		slices.SortFunc(rt.Partitions, func(a, b kmsg.ElectLeadersResponseTopicPartition) int { return cmp.Compare(a.Partition, b.Partition) })
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}

// electedError marks a partition whose election was written: the leader
// this broker waits to see applied (awaitLeaders).
type electedError struct{ leader int32 }

func (e electedError) Error() string { return fmt.Sprintf("elected broker %d", e.leader) }

// electOnRequest runs the elections keys ask for, as controller, and
// returns each one's outcome: a Kafka error, or electedError.
func (b *Broker) electOnRequest(keys []stateKey, unclean bool, fence controllerFence) map[stateKey]error {
	out := make(map[stateKey]error, len(keys))
	live, err := b.meta.brokers()
	if err != nil {
		b.log.Warn("elect leaders: reading brokers", "err", err)
		for _, k := range keys {
			out[k] = kerr.UnknownServerError
		}
		return out
	}
	marked, _ := b.meta.deletionMarkers()
	for _, k := range keys {
		if _, dup := out[k]; dup {
			continue
		}
		if slices.Contains(marked, k.topic) {
			out[k] = kafkaErrorf(kerr.InvalidTopicException, "The topic is being deleted")
			continue
		}
		out[k] = b.electOne(k, unclean, live, fence)
	}
	return out
}

// electOne elects one partition's leader (see ElectLeaders above),
// reading its state again when it changed under the write.
func (b *Broker) electOne(k stateKey, unclean bool, live map[int32]brokerInfo, fence controllerFence) error {
	ts := b.lookupTopic(k.topic)
	if ts == nil || k.index < 0 || int(k.index) >= len(ts.replicas) {
		return kafkaErrorf(kerr.UnknownTopicOrPartition, "The partition does not exist.")
	}
	replicas := ts.replicas[k.index]
	usable := replicaUsable(live, k.topic, k.index)
	for attempt := 0; attempt < 3; attempt++ {
		st, version, err := b.meta.partitionState(k.topic, k.index)
		if errors.Is(err, zk.ErrNoNode) {
			return kafkaErrorf(kerr.UnknownTopicOrPartition, "The partition does not exist.")
		}
		if err != nil {
			b.log.Warn("elect leaders", "topic", k.topic, "partition", k.index, "err", err)
			return kerr.UnknownServerError
		}
		var next partitionState
		if unclean {
			if st.Leader >= 0 && usable(st.Leader) {
				return kerr.ElectionNotNeeded
			}
			var changed bool
			if next, changed = nextState(st, replicas, usable, true); !changed || next.Leader < 0 {
				return kafkaErrorf(kerr.EligibleLeadersNotAvailable,
					"Failed to elect leader for partition %s-%d under strategy OfflinePartitionLeaderElectionStrategy(true)", k.topic, k.index)
			}
		} else {
			if len(replicas) > 0 && st.Leader == replicas[0] {
				return kerr.ElectionNotNeeded
			}
			var ok bool
			if next, ok = preferredState(st, replicas, usable); !ok {
				return kafkaErrorf(kerr.PreferredLeaderNotAvailable,
					"Failed to elect leader for partition %s-%d under strategy PreferredReplicaPartitionLeaderElectionStrategy", k.topic, k.index)
			}
		}
		next.ControllerEpoch = fence.epoch
		err = b.meta.setPartitionStateAsController(k.topic, k.index, next, version, fence.version)
		switch {
		case errors.Is(err, errControllerMoved):
			return kerr.NotController
		case errors.Is(err, zk.ErrBadVersion):
			continue // changed meanwhile: elect from what it is now
		case err != nil:
			b.log.Warn("elect leaders", "topic", k.topic, "partition", k.index, "err", err)
			return kerr.UnknownServerError
		}
		b.log.Info("controller: leader elected on request", "topic", k.topic, "partition", k.index, "unclean", unclean,
			"leader", next.Leader, "leader_epoch", next.LeaderEpoch, "isr", next.ISR, "was_leader", st.Leader)
		b.metrics.leaderElections.Inc()
		return electedError{next.Leader}
	}
	return kafkaErrorf(kerr.UnknownServerError, "the state of %s-%d kept changing", k.topic, k.index)
}

// awaitLeaders waits, up to timeout, until this broker's own view has
// each elected leader, then turns each electedError into success, or
// REQUEST_TIMED_OUT where the view still differs.
func (b *Broker) awaitLeaders(ctx context.Context, results map[stateKey]error, timeout time.Duration) {
	applied := func(k stateKey, leader int32) bool {
		b.mu.RLock()
		defer b.mu.RUnlock()
		ts := b.topics[k.topic]
		return ts != nil && int(k.index) < len(ts.states) && ts.states[k.index].Leader == leader
	}
	deadline := time.Now().Add(timeout)
	for {
		pending := false
		for k, err := range results {
			var el electedError
			if !errors.As(err, &el) {
				continue
			}
			if applied(k, el.leader) {
				results[k] = nil
			} else {
				pending = true
			}
		}
		if !pending {
			return
		}
		if !time.Now().Before(deadline) || !sleepCtx(ctx, 10*time.Millisecond) {
			break
		}
	}
	for k, err := range results {
		if errors.As(err, new(electedError)) {
			results[k] = kerr.RequestTimedOut
		}
	}
}
