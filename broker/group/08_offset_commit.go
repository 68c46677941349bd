package group

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetCommit v0–v8: OffsetCommit, below, answers it.
var offsetCommitAPI = API{kmsg.OffsetCommit, 0, 8, func(c *Manager, ctx context.Context, req kmsg.Request) kmsg.Response {
	return c.OffsetCommit(ctx, req.(*kmsg.OffsetCommitRequest))
}}

// maxMetadataBytes is Kafka's offset.metadata.max.bytes.
const maxMetadataBytes = 4096

// OffsetCommit handles OffsetCommit (v0–v8). A commit with generation -1 and
// no member id (v0, simple consumers, kcat in assign mode) needs no
// membership but only lands in an Empty group; otherwise the member and
// generation must be current. Every committed offset is appended to the
// Store, durably, before the answer.
func (c *Manager) OffsetCommit(ctx context.Context, req *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse {
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	failAll := func(code int16) *kmsg.OffsetCommitResponse {
		for i := range resp.Topics {
			for j := range resp.Topics[i].Partitions {
				resp.Topics[i].Partitions[j].ErrorCode = code
			}
		}
		return resp
	}
	generation, memberID, instanceID := req.Generation, req.MemberID, req.InstanceID
	if req.Version == 0 {
		generation, memberID = -1, ""
	}
	if req.Group == "" {
		return failAll(kerr.InvalidGroupID.Code)
	}

	// Kafka creates a group for a simple commit; any other commit to an
	// unknown group comes from a generation that no longer exists.
	g := c.lockGroup(req.Group, generation < 0)
	if g == nil {
		return failAll(kerr.IllegalGeneration.Code)
	}
	defer g.wmu.Unlock()

	c.mu.Lock()
	now := c.opts.Now()
	code := int16(0)
	switch {
	case g.state == stateDead:
		code = kerr.CoordinatorNotAvailable.Code
	case generation >= 0 || memberID != "" || instanceID != nil:
		m := g.member(memberID)
		switch {
		case g.fenced(memberID, instanceID):
			code = kerr.FencedInstanceID.Code
		case m == nil:
			code = kerr.UnknownMemberID.Code
		case generation != g.generation:
			code = kerr.IllegalGeneration.Code
		case g.state == stateCompletingRebalance:
			// The member has to finish the rebalance (SyncGroup) first.
			code = kerr.RebalanceInProgress.Code
		default: // Stable, or PreparingRebalance: commits before rejoining are fine
			m.expires = now.Add(m.sessionTimeout)
		}
	case g.state != stateEmpty:
		// Only members commit to a group that has members.
		code = kerr.UnknownMemberID.Code
	}
	c.mu.Unlock()
	if code != 0 {
		return failAll(code)
	}

	type commit struct {
		tp topicPartition
		o  offset
	}
	var done []commit
	for i, t := range req.Topics {
		for j, p := range t.Partitions {
			rp := &resp.Topics[i].Partitions[j]
			o := offset{offset: p.Offset, leaderEpoch: p.LeaderEpoch, commitMillis: now.UnixMilli()}
			if p.Metadata != nil {
				o.metadata = *p.Metadata
			}
			if len(o.metadata) > maxMetadataBytes {
				rp.ErrorCode = kerr.OffsetMetadataTooLarge.Code
				continue
			}
			if req.Version < 6 {
				o.leaderEpoch = -1
			}
			if err := c.store.Append(ctx, offsetKey(g.name, t.Topic, p.Partition), offsetValue(o)); err != nil {
				c.log.Warn("storing committed offset", "group", g.name, "topic", t.Topic, "partition", p.Partition, "err", err)
				rp.ErrorCode = storeErrCode(err)
				continue
			}
			done = append(done, commit{topicPartition{t.Topic, p.Partition}, o})
		}
	}

	c.mu.Lock()
	for _, d := range done {
		g.offsets[d.tp] = d.o
	}
	c.mu.Unlock()
	return resp
}
