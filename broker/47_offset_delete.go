package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetDelete v0 (KIP-496, kafka-consumer-groups.sh --delete-offsets)
// deletes a group's committed offsets of some partitions. As Kafka's
// broker, this one answers UNKNOWN_TOPIC_OR_PARTITION for a partition
// of a topic it does not know, and the group manager (package group,
// Manager.DeleteOffsets) the rest; a broker that does not coordinate the
// group answers NOT_COORDINATOR (or COORDINATOR_LOAD_IN_PROGRESS while
// loading it, as groupManager says). With an authorizer, as Kafka's:
// DELETE on the group (else GROUP_AUTHORIZATION_FAILED), and READ on
// each topic (else TOPIC_AUTHORIZATION_FAILED on its partitions).
var offsetDeleteAPI = api{key: kmsg.OffsetDelete, min: 0, max: 0, handle: (*Broker).handleOffsetDelete}

func (b *Broker) handleOffsetDelete(ctx context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.OffsetDeleteRequest)
	if !c.authorizedGroup(kmsg.ACLOperationDelete, req.Group) {
		resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	g, code := b.groupManager(req.Group)
	if g == nil {
		resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
		resp.ErrorCode = code
		return resp, nil
	}
	known := *req
	known.Topics = nil
	unknown := map[string][]int32{} // the partitions refused here, with refused's error
	refused := map[string]*kerr.Error{}
	for _, rt := range req.Topics {
		t := b.lookupTopic(rt.Topic)
		kt := rt
		kt.Partitions = nil
		refused[rt.Topic] = kerr.UnknownTopicOrPartition
		denied := !c.authorized(kmsg.ACLOperationRead, kmsg.ACLResourceTypeTopic, rt.Topic)
		if denied {
			refused[rt.Topic] = kerr.TopicAuthorizationFailed
		}
		for _, rp := range rt.Partitions {
			if denied || t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.replicas) {
				unknown[rt.Topic] = append(unknown[rt.Topic], rp.Partition)
			} else {
				kt.Partitions = append(kt.Partitions, rp)
			}
		}
		if len(kt.Partitions) > 0 {
			known.Topics = append(known.Topics, kt)
		}
	}
	resp := g.DeleteOffsets(ctx, &known)
	if resp.ErrorCode != 0 {
		return resp, nil
	}
	for topic, parts := range unknown {
		st := kmsg.NewOffsetDeleteResponseTopic()
		st.Topic = topic
		for _, p := range parts {
			sp := kmsg.NewOffsetDeleteResponseTopicPartition()
			sp.Partition, sp.ErrorCode = p, refused[topic].Code
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
