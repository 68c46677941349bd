package group

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetDelete (47, v0) is answered by the broker (it first answers
// UNKNOWN_TOPIC_OR_PARTITION for partitions of topics it does not know,
// as Kafka's broker does), which passes the rest to DeleteOffsets.

// DeleteOffsets deletes a group's committed offsets of the partitions
// req names, by Kafka's rules (KIP-496): an Empty group loses every one
// asked; a group with members loses those of topics none of its members
// subscribes to, and each partition of a subscribed topic answers
// GROUP_SUBSCRIBED_TO_TOPIC; a group with members whose protocol type is
// not "consumer" (so its subscriptions cannot be read) answers
// NON_EMPTY_GROUP. An unknown group is GROUP_ID_NOT_FOUND. Each deleted
// offset is a tombstone in the store before it leaves memory, so the
// deletion survives a restart; an Empty group left without offsets is
// then forgotten by Run, as after its offsets expire.
func (c *Manager) DeleteOffsets(ctx context.Context, req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	if req.Group == "" {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return resp
	}
	g := c.lockGroup(req.Group, false)
	if g == nil {
		resp.ErrorCode = kerr.GroupIDNotFound.Code
		return resp
	}
	defer g.wmu.Unlock()

	c.mu.Lock()
	var subscribed map[string]bool
	switch {
	case g.state == stateDead:
		resp.ErrorCode = kerr.GroupIDNotFound.Code
	case g.state == stateEmpty:
	case g.protocolType != "consumer":
		resp.ErrorCode = kerr.NonEmptyGroup.Code
	default:
		subscribed = g.subscribedTopics()
	}
	c.mu.Unlock()
	if resp.ErrorCode != 0 {
		return resp
	}

	for _, rt := range req.Topics {
		st := kmsg.NewOffsetDeleteResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetDeleteResponseTopicPartition()
			sp.Partition = rp.Partition
			if subscribed[rt.Topic] {
				sp.ErrorCode = kerr.GroupSubscribedToTopic.Code
			} else {
				sp.ErrorCode = c.deleteOffset(ctx, g, topicPartition{rt.Topic, rp.Partition})
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// deleteOffset writes the tombstone of one committed offset and drops
// it; nothing is written for a partition without one. g.wmu held.
func (c *Manager) deleteOffset(ctx context.Context, g *group, tp topicPartition) int16 {
	c.mu.Lock()
	_, ok := g.offsets[tp]
	c.mu.Unlock()
	if !ok {
		return 0
	}
	if err := c.store.Append(ctx, offsetKey(g.name, tp.topic, tp.partition), nil); err != nil {
		c.log.Warn("deleting a committed offset", "group", g.name, "topic", tp.topic, "partition", tp.partition, "err", err)
		return storeErrCode(err)
	}
	c.mu.Lock()
	delete(g.offsets, tp)
	c.mu.Unlock()
	c.log.Info("committed offset deleted", "group", g.name, "topic", tp.topic, "partition", tp.partition)
	return 0
}

// subscribedTopics is the union of the topics the members subscribe to,
// read from their metadata for the group's protocol (Kafka's consumer
// protocol); nil when a member's cannot be read or no protocol is chosen
// yet, and then, as in Kafka, no topic counts as subscribed. c.mu held.
func (g *group) subscribedTopics() map[string]bool {
	if g.protocol == "" {
		return nil
	}
	topics := map[string]bool{}
	for _, m := range g.members {
		var md kmsg.ConsumerMemberMetadata
		if err := md.ReadFrom(m.metadataFor(g.protocol)); err != nil {
			return nil
		}
		for _, t := range md.Topics {
			topics[t] = true
		}
	}
	return topics
}
