package broker

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// CreatePartitions v0–v3 raises a topic's partition count, assigning the
// new partitions' replicas as CreateTopics does (a requested assignment
// is not used); it may only validate. An internal topic's partition count
// is never changed (INVALID_TOPIC_EXCEPTION, see refuseInternal); the
// other topics in the request proceed. v2+ is flexible. With an
// authorizer, a topic the principal may not ALTER answers
// TOPIC_AUTHORIZATION_FAILED, with Kafka's message.
var createPartitionsAPI = api{key: kmsg.CreatePartitions, min: 0, max: 3, handle: (*Broker).handleCreatePartitions}

func (b *Broker) handleCreatePartitions(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewCreatePartitionsResponseTopic()
		st.Topic = rt.Topic
		err := kafkaErrorf(kerr.TopicAuthorizationFailed, "The topic authorization is failed.")
		if c.authorized(kmsg.ACLOperationAlter, kmsg.ACLResourceTypeTopic, rt.Topic) {
			err = b.addPartitions(rt.Topic, rt.Count, req.ValidateOnly)
		}
		if err == nil && !req.ValidateOnly {
			// Opens the new local partitions and gives them their roles.
			b.reloadTopic(rt.Topic)
		}
		st.ErrorCode = errCode(err)
		if err != nil {
			msg := err.Error()
			st.ErrorMessage = &msg
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

func (b *Broker) addPartitions(name string, count int32, validateOnly bool) error {
	if err := refuseInternal(name, "given partitions"); err != nil {
		return err
	}
	// One CreatePartitions at a time: the new assignment is computed from
	// the current one.
	b.alterMu.Lock()
	defer b.alterMu.Unlock()
	if err := b.refreshBrokers(); err != nil { // as createTopic: assign over the brokers registered now
		b.log.Warn("reading brokers", "err", err)
	}
	b.mu.RLock()
	t := b.topics[name]
	if t == nil {
		b.mu.RUnlock()
		return kerr.UnknownTopicOrPartition
	}
	// The assignment is read from the coordinator, where anyone may write:
	// a topic without partitions, or whose partition 0 has no replica,
	// gives no replication factor to follow.
	if len(t.replicas) == 0 || len(t.replicas[0]) == 0 {
		b.mu.RUnlock()
		return fmt.Errorf("%w: topic %s has no partition 0 with replicas to take the replication factor from", kerr.InvalidReplicaAssignment, name)
	}
	have, rf := len(t.replicas), len(t.replicas[0])
	oldReplicas, oldStates := t.replicas, t.states
	ids := make([]int32, 0, len(b.brokers))
	for id := range b.brokers {
		ids = append(ids, id)
	}
	b.mu.RUnlock()
	if int(count) <= have {
		return kerr.InvalidPartitions
	}
	more, err := assignReplicas(ids, int(count)-have, rf, have)
	if err != nil {
		return err
	}
	if validateOnly {
		return nil
	}
	nt := &topic{name: name, replicas: append(append([][]int32(nil), oldReplicas...), more...),
		states: append([]partitionState(nil), oldStates...), config: t.config}
	for _, reps := range more {
		nt.states = append(nt.states, partitionState{ControllerEpoch: 1, Leader: reps[0], Version: 1, ISR: reps})
	}
	if err := b.meta.addPartitions(nt, have); err != nil {
		b.log.Error("create partitions", "topic", name, "err", err)
		return kerr.UnknownServerError
	}
	return nil
}
