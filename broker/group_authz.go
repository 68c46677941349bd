package broker

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The consumer-group APIs' authorization, as Kafka's KafkaApis:
//
//   - JoinGroup, SyncGroup, Heartbeat, LeaveGroup: READ on the group,
//     else GROUP_AUTHORIZATION_FAILED;
//   - OffsetCommit: READ on the group (else every partition
//     GROUP_AUTHORIZATION_FAILED) and READ on each topic (else its
//     partitions TOPIC_AUTHORIZATION_FAILED, the others committed);
//   - OffsetFetch: READ on the group (else GROUP_AUTHORIZATION_FAILED);
//     the partitions of a topic asked for without DESCRIBE on it answer
//     TOPIC_AUTHORIZATION_FAILED (offset -1); a fetch of all the group's
//     offsets leaves out such topics;
//   - DescribeGroups: DESCRIBE on the group, DeleteGroups: DELETE on it,
//     each group answered GROUP_AUTHORIZATION_FAILED without;
//   - ListGroups: all groups with DESCRIBE on the cluster, else those the
//     principal may DESCRIBE.

// forGroupAuthorized is forGroup after the group's authorization.
func (b *Broker) forGroupAuthorized(ctx context.Context, c *conn, req kmsg.Request, id string) kmsg.Response {
	if b.authz == nil {
		return b.forGroup(ctx, req, id)
	}
	op := kmsg.ACLOperationRead
	switch req.(type) {
	case *kmsg.DescribeGroupsRequest:
		op = kmsg.ACLOperationDescribe
	case *kmsg.DeleteGroupsRequest:
		op = kmsg.ACLOperationDelete
	}
	if !c.authorizedGroup(op, id) {
		return groupError(req, kerr.GroupAuthorizationFailed.Code)
	}
	switch r := req.(type) {
	case *kmsg.OffsetCommitRequest:
		return b.offsetCommitAuthorized(ctx, c, r)
	case *kmsg.OffsetFetchRequest:
		return b.offsetFetchAuthorized(ctx, c, r)
	}
	return b.forGroup(ctx, req, id)
}

func (b *Broker) offsetCommitAuthorized(ctx context.Context, c *conn, req *kmsg.OffsetCommitRequest) kmsg.Response {
	allowed := *req
	allowed.Topics = nil
	var refused []kmsg.OffsetCommitResponseTopic
	for _, rt := range req.Topics {
		if c.authorized(kmsg.ACLOperationRead, kmsg.ACLResourceTypeTopic, rt.Topic) {
			allowed.Topics = append(allowed.Topics, rt)
			continue
		}
		st := kmsg.NewOffsetCommitResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetCommitResponseTopicPartition()
			sp.Partition, sp.ErrorCode = rp.Partition, kerr.TopicAuthorizationFailed.Code
			st.Partitions = append(st.Partitions, sp)
		}
		refused = append(refused, st)
	}
	resp := b.forGroup(ctx, &allowed, req.Group).(*kmsg.OffsetCommitResponse)
	resp.Topics = append(resp.Topics, refused...)
	return resp
}

// offsetFetchAuthorized answers an OffsetFetch of one group (v8+: one
// entry in Groups).
func (b *Broker) offsetFetchAuthorized(ctx context.Context, c *conn, req *kmsg.OffsetFetchRequest) kmsg.Response {
	mayDescribe := func(topic string) bool {
		return c.authorized(kmsg.ACLOperationDescribe, kmsg.ACLResourceTypeTopic, topic)
	}
	allowed := *req
	if req.Version < 8 {
		var refused []kmsg.OffsetFetchResponseTopic
		allowed.Topics, refused = splitFetchTopics(req.Topics,
			func(t kmsg.OffsetFetchRequestTopic) (string, []int32) { return t.Topic, t.Partitions }, mayDescribe,
			func(t string, ps []kmsg.OffsetFetchResponseTopicPartition) kmsg.OffsetFetchResponseTopic {
				return kmsg.OffsetFetchResponseTopic{Topic: t, Partitions: ps}
			})
		resp := b.forGroup(ctx, &allowed, req.Group).(*kmsg.OffsetFetchResponse)
		if req.Topics == nil {
			resp.Topics = slices.DeleteFunc(resp.Topics, func(t kmsg.OffsetFetchResponseTopic) bool { return !mayDescribe(t.Topic) })
		}
		resp.Topics = append(resp.Topics, refused...)
		return resp
	}
	allowed.Groups = slices.Clone(req.Groups)
	var refused [][]kmsg.OffsetFetchResponseGroupTopic
	for gi, g := range req.Groups {
		var r []kmsg.OffsetFetchResponseGroupTopic
		allowed.Groups[gi].Topics, r = splitFetchTopics(g.Topics,
			func(t kmsg.OffsetFetchRequestGroupTopic) (string, []int32) { return t.Topic, t.Partitions }, mayDescribe,
			func(t string, ps []kmsg.OffsetFetchResponseGroupTopicPartition) kmsg.OffsetFetchResponseGroupTopic {
				return kmsg.OffsetFetchResponseGroupTopic{Topic: t, Partitions: ps}
			})
		refused = append(refused, r)
	}
	id := ""
	if len(req.Groups) > 0 {
		id = req.Groups[0].Group
	}
	resp := b.forGroup(ctx, &allowed, id).(*kmsg.OffsetFetchResponse)
	for gi := range resp.Groups {
		if gi < len(req.Groups) && req.Groups[gi].Topics == nil {
			resp.Groups[gi].Topics = slices.DeleteFunc(resp.Groups[gi].Topics, func(t kmsg.OffsetFetchResponseGroupTopic) bool { return !mayDescribe(t.Topic) })
		}
		if gi < len(refused) {
			resp.Groups[gi].Topics = append(resp.Groups[gi].Topics, refused[gi]...)
		}
	}
	return resp
}

// fetchPartition is an OffsetFetch response partition: before v8 and
// from v8 (per group) the same fields under two types.
type fetchPartition interface {
	~struct {
		Partition   int32
		Offset      int64
		LeaderEpoch int32
		Metadata    *string
		ErrorCode   int16
		UnknownTags kmsg.Tags
	}
}

// splitFetchTopics splits the topics an OffsetFetch asks of one group
// (topic gives a request topic's name and partitions) into those the
// principal may DESCRIBE, to be fetched, and the others, answered as
// answer builds them from their partitions, each TOPIC_AUTHORIZATION_FAILED
// at offset -1. nil (all the group's topics) stays nil: the caller filters
// the response instead.
func splitFetchTopics[Q, R any, P fetchPartition](asked []Q, topic func(Q) (string, []int32), mayDescribe func(string) bool, answer func(string, []P) R) (allowed []Q, refused []R) {
	if asked == nil {
		return nil, nil
	}
	allowed = []Q{}
	for _, q := range asked {
		name, parts := topic(q)
		if mayDescribe(name) {
			allowed = append(allowed, q)
			continue
		}
		ps := make([]P, 0, len(parts))
		for _, p := range parts {
			sp := kmsg.NewOffsetFetchResponseTopicPartition()
			sp.Partition, sp.Offset, sp.LeaderEpoch, sp.Metadata = p, -1, -1, kmsg.StringPtr("")
			sp.ErrorCode = kerr.TopicAuthorizationFailed.Code
			ps = append(ps, P(sp))
		}
		refused = append(refused, answer(name, ps))
	}
	return allowed, refused
}

// listGroupsAuthorized leaves out of resp the groups c's principal may
// not DESCRIBE, unless it may DESCRIBE the cluster.
func (b *Broker) listGroupsAuthorized(c *conn, resp *kmsg.ListGroupsResponse) *kmsg.ListGroupsResponse {
	if b.authz == nil || c.authorizedCluster(kmsg.ACLOperationDescribe) {
		return resp
	}
	resp.Groups = slices.DeleteFunc(resp.Groups, func(g kmsg.ListGroupsResponseGroup) bool {
		return !c.authorizedGroup(kmsg.ACLOperationDescribe, g.Group)
	})
	return resp
}
