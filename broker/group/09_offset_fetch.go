package group

import (
	"context"

	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetFetch v0–v8: OffsetFetch, below, answers it.
var offsetFetchAPI = API{kmsg.OffsetFetch, 0, 8, func(c *Manager, _ context.Context, req kmsg.Request) kmsg.Response {
	return c.OffsetFetch(req.(*kmsg.OffsetFetchRequest))
}}

// OffsetFetch handles OffsetFetch (v0–v8, and v8's batch of groups). Nil
// topics mean every topic the group committed; a partition without a
// committed offset gets offset -1. RequireStable is not needed: the
// manager has no transactional offsets.
func (c *Manager) OffsetFetch(req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	c.mu.Lock()
	defer c.mu.Unlock()

	if req.Version >= 8 {
		for _, rg := range req.Groups {
			var topics []topicRequest
			if rg.Topics != nil {
				topics = make([]topicRequest, 0, len(rg.Topics))
				for _, t := range rg.Topics {
					topics = append(topics, topicRequest{t.Topic, t.Partitions})
				}
			}
			out := kmsg.NewOffsetFetchResponseGroup()
			out.Group = rg.Group
			for _, t := range c.fetch(rg.Group, topics) {
				ot := kmsg.NewOffsetFetchResponseGroupTopic()
				ot.Topic = t.Topic
				for _, p := range t.Partitions {
					op := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					op.Partition, op.Offset, op.LeaderEpoch, op.Metadata = p.Partition, p.Offset, p.LeaderEpoch, p.Metadata
					ot.Partitions = append(ot.Partitions, op)
				}
				out.Topics = append(out.Topics, ot)
			}
			resp.Groups = append(resp.Groups, out)
		}
		return resp
	}

	var topics []topicRequest
	if req.Topics != nil {
		topics = make([]topicRequest, 0, len(req.Topics))
		for _, t := range req.Topics {
			topics = append(topics, topicRequest{t.Topic, t.Partitions})
		}
	}
	resp.Topics = c.fetch(req.Group, topics)
	return resp
}

type topicRequest struct {
	topic      string
	partitions []int32
}

// fetch looks offsets up for one group; c.mu must be held. topics == nil
// means all of the group's topics.
func (c *Manager) fetch(name string, topics []topicRequest) []kmsg.OffsetFetchResponseTopic {
	var offsets map[topicPartition]offset
	if g := c.groups[name]; g != nil && g.state != stateDead {
		offsets = g.offsets
	}
	if topics == nil {
		byTopic := make(map[string][]int32)
		for tp := range offsets {
			byTopic[tp.topic] = append(byTopic[tp.topic], tp.partition)
		}
		for t, ps := range byTopic {
			sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
			topics = append(topics, topicRequest{t, ps})
		}
		sort.Slice(topics, func(i, j int) bool { return topics[i].topic < topics[j].topic })
	}
	out := make([]kmsg.OffsetFetchResponseTopic, 0, len(topics))
	for _, t := range topics {
		ot := kmsg.NewOffsetFetchResponseTopic()
		ot.Topic = t.topic
		for _, p := range t.partitions {
			op := kmsg.NewOffsetFetchResponseTopicPartition()
			op.Partition = p
			op.Offset = -1
			meta := ""
			if o, ok := offsets[topicPartition{t.topic, p}]; ok {
				op.Offset, op.LeaderEpoch, meta = o.offset, o.leaderEpoch, o.metadata
			}
			op.Metadata = &meta
			ot.Partitions = append(ot.Partitions, op)
		}
		out = append(out, ot)
	}
	return out
}
