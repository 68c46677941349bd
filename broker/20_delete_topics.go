package broker

import (
	"context"
	"os"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/partition"
)

// DeleteTopics v0–v6 deletes each topic from the cluster metadata and its
// local data; the other brokers drop theirs when their watch sees it gone.
// An internal topic (__consumer_offsets, __transaction_state) is refused
// with INVALID_TOPIC_EXCEPTION, the others in the request proceed (see
// refuseInternal). v5+ answers an error message; v6 names topics by name
// or id; v4+ is flexible. With delete.topic.enable=false every topic is
// answered TOPIC_DELETION_DISABLED (v3+; INVALID_REQUEST before, which has
// no such code), as Kafka answers. With an authorizer, a topic the
// principal may not DELETE answers TOPIC_AUTHORIZATION_FAILED, before
// whether it exists, as Kafka's.
var deleteTopicsAPI = api{key: kmsg.DeleteTopics, min: 0, max: 6, handle: (*Broker).handleDeleteTopics}

func (b *Broker) handleDeleteTopics(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	names := req.TopicNames
	for _, t := range req.Topics {
		names = append(names, b.requestedTopic(t.Topic, t.TopicID))
	}
	for _, name := range names {
		st := kmsg.NewDeleteTopicsResponseTopic()
		n := name
		st.Topic = &n
		var err error
		switch {
		case !c.authorized(kmsg.ACLOperationDelete, kmsg.ACLResourceTypeTopic, name):
			err = kerr.TopicAuthorizationFailed
		case b.cfg.DeleteTopicEnable:
			err = b.deleteTopic(name)
		case req.Version >= 3:
			err = kerr.TopicDeletionDisabled
		default:
			err = kerr.InvalidRequest
		}
		st.ErrorCode = errCode(err)
		if err != nil && req.Version >= 5 {
			msg := err.Error()
			st.ErrorMessage = &msg
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

func (b *Broker) deleteTopic(name string) error {
	if err := refuseInternal(name, "deleted"); err != nil {
		return err
	}
	// Serialized with the cluster watch's reloads of topics.
	b.alterMu.Lock()
	defer b.alterMu.Unlock()
	b.mu.Lock()
	t := b.topics[name]
	delete(b.topics, name)
	b.mu.Unlock()
	if t == nil {
		return kerr.UnknownTopicOrPartition
	}
	if err := b.meta.deleteTopic(name); err != nil {
		b.log.Error("delete topic", "topic", name, "err", err)
		return kerr.UnknownServerError
	}
	b.removeLocal(t)
	b.log.Info("deleted topic", "topic", name)
	return nil
}

// removeLocal closes a deleted topic's local partitions and removes their
// data.
func (b *Broker) removeLocal(t *topicState) {
	for i, p := range t.partitions {
		if p != nil {
			b.removePartition(t.name, int32(i), p)
		}
	}
}

// removePartition closes a local partition this broker no longer holds
// (its topic deleted, or the replica reassigned away) and removes its
// data.
func (b *Broker) removePartition(topic string, index int32, p *partition.Partition) {
	// No role any more: a follower's fetcher stops before the log closes.
	b.roleMu.Lock()
	if stop := p.Resign(); stop != nil {
		stop()
	}
	b.roleMu.Unlock()
	_ = p.Close()
	if err := os.RemoveAll(b.partitionDir(topic, index)); err != nil {
		b.log.Warn("removing partition data", "topic", topic, "partition", index, "err", err)
	}
}
