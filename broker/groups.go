package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/group"
)

// offsetsStore keeps the group coordinator's records in partition 0 of
// __consumer_offsets, in Kafka's key/value formats, so committed offsets
// survive restarts (and, with the cluster, replicate like any partition).
type offsetsStore struct{ p *partition }

func (s *offsetsStore) Append(_ context.Context, key, value []byte) error {
	_, err := s.p.append(buildBatch([]kv{{key, value}}, time.Now().UnixMilli()))
	if err != nil {
		return fmt.Errorf("broker: write %s: %w", offsetsTopic, err)
	}
	return s.p.log.Flush()
}

func (s *offsetsStore) Replay(f func(key, value []byte) error) error {
	off := s.p.log.LogStartOffset()
	end := s.p.log.LogEndOffset()
	for off < end {
		data, err := s.p.log.ReadBytes(off, 1<<20, end)
		if err != nil {
			return fmt.Errorf("broker: replay %s: %w", offsetsTopic, err)
		}
		if len(data) == 0 {
			break
		}
		next := off
		err = eachRecord(data, func(o int64, r *kmsg.Record) error {
			next = o + 1
			return f(r.Key, r.Value)
		})
		if err != nil {
			return err
		}
		if next <= off {
			return fmt.Errorf("broker: replay %s stuck at offset %d", offsetsTopic, off)
		}
		off = next
	}
	return nil
}

// ensureOffsetsTopic creates __consumer_offsets if no broker has yet. One
// partition holds every group, so the broker leading it coordinates all of
// them; FindCoordinator sends clients there.
func (b *Broker) ensureOffsetsTopic() error {
	if b.lookupTopic(offsetsTopic) != nil {
		return nil
	}
	err := b.createTopic(offsetsTopic, 1, 1, map[string]string{"cleanup.policy": "compact"}, false)
	if err == kerr.TopicAlreadyExists {
		b.reloadTopic(offsetsTopic) // created by another broker meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("broker: create %s: %w", offsetsTopic, err)
	}
	return nil
}

// maybeStartGroups starts the group coordinator once this broker leads
// partition 0 of __consumer_offsets.
func (b *Broker) maybeStartGroups() {
	b.groupsMu.Lock()
	defer b.groupsMu.Unlock()
	if b.groups != nil {
		return
	}
	p, err := b.localPartition(offsetsTopic, 0)
	if err != nil {
		return
	}
	c, err := group.New(&offsetsStore{p: p}, group.Options{RebalanceDelay: 0}, b.log.With("component", "group"))
	if err != nil {
		b.log.Error("starting the group coordinator", "err", err)
		return
	}
	b.groups = c
	close(b.groupsReady)
	b.log.Info("coordinating consumer groups")
}

// coordinator returns the group coordinator, nil when another broker
// coordinates the groups.
func (b *Broker) coordinator() *group.Coordinator {
	b.groupsMu.Lock()
	defer b.groupsMu.Unlock()
	return b.groups
}

// runGroups runs the group coordinator's timers once there is one.
func (b *Broker) runGroups(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-b.groupsReady:
	}
	b.coordinator().Run(ctx)
}

// notCoordinator answers a group request that reached a broker that does
// not coordinate groups with NOT_COORDINATOR, so the client looks the
// coordinator up again.
func notCoordinator(req kmsg.Request) kmsg.Response {
	code := kerr.NotCoordinator.Code
	switch r := req.(type) {
	case *kmsg.JoinGroupRequest:
		resp := r.ResponseKind().(*kmsg.JoinGroupResponse)
		resp.ErrorCode, resp.Generation = code, -1
		return resp
	case *kmsg.SyncGroupRequest:
		resp := r.ResponseKind().(*kmsg.SyncGroupResponse)
		resp.ErrorCode = code
		return resp
	case *kmsg.HeartbeatRequest:
		resp := r.ResponseKind().(*kmsg.HeartbeatResponse)
		resp.ErrorCode = code
		return resp
	case *kmsg.LeaveGroupRequest:
		resp := r.ResponseKind().(*kmsg.LeaveGroupResponse)
		resp.ErrorCode = code
		return resp
	case *kmsg.OffsetCommitRequest:
		resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, rt := range r.Topics {
			st := kmsg.NewOffsetCommitResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewOffsetCommitResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp
	case *kmsg.OffsetFetchRequest:
		resp := r.ResponseKind().(*kmsg.OffsetFetchResponse)
		resp.ErrorCode = code
		for _, g := range r.Groups {
			rg := kmsg.NewOffsetFetchResponseGroup()
			rg.Group, rg.ErrorCode = g.Group, code
			resp.Groups = append(resp.Groups, rg)
		}
		return resp
	case *kmsg.DescribeGroupsRequest:
		resp := r.ResponseKind().(*kmsg.DescribeGroupsResponse)
		for _, g := range r.Groups {
			rg := kmsg.NewDescribeGroupsResponseGroup()
			rg.Group, rg.ErrorCode = g, code
			resp.Groups = append(resp.Groups, rg)
		}
		return resp
	case *kmsg.ListGroupsRequest:
		return r.ResponseKind() // this broker coordinates no group
	case *kmsg.DeleteGroupsRequest:
		resp := r.ResponseKind().(*kmsg.DeleteGroupsResponse)
		for _, g := range r.Groups {
			rg := kmsg.NewDeleteGroupsResponseGroup()
			rg.Group, rg.ErrorCode = g, code
			resp.Groups = append(resp.Groups, rg)
		}
		return resp
	}
	return nil
}
