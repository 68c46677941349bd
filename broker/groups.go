package broker

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/group"
	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/broker/segment"
)

// offsetsStore keeps the group manager's records in partition 0 of
// __consumer_offsets, in Kafka's key/value formats, so committed offsets
// survive restarts and, replicated like any partition, the loss of the
// broker hosting the groups: a write returns once the ISR has it.
type offsetsStore struct {
	p       *partition.Partition
	timeout time.Duration
}

func (s *offsetsStore) Append(ctx context.Context, key, value []byte) error {
	_, last, epoch, err := s.p.Append(segment.BuildBatch([]segment.Record{{Key: key, Value: value}}, time.Now().UnixMilli()), true)
	if err == nil {
		err = s.p.WaitCommitted(ctx, last, epoch, time.Now().Add(s.timeout))
	}
	if err != nil {
		return fmt.Errorf("broker: write %s: %w", offsetsTopic, err)
	}
	return s.p.Flush()
}

func (s *offsetsStore) Replay(f func(key, value []byte) error) error {
	off := s.p.LogStartOffset()
	end := s.p.LogEndOffset()
	for off < end {
		data, err := s.p.ReadBytes(off, 1<<20, end)
		if err != nil {
			return fmt.Errorf("broker: replay %s: %w", offsetsTopic, err)
		}
		if len(data) == 0 {
			break
		}
		next := off
		err = eachRecord(data, func(o int64, r *kmsg.Record) error {
			if o < off {
				return nil // a batch read again after a gap
			}
			return f(r.Key, r.Value)
		})
		if err != nil {
			return err
		}
		// Compaction leaves gaps and batches with fewer records than
		// offsets: go on after the last batch read.
		if bs := segment.SplitBatches(data); len(bs) > 0 {
			h, err := segment.CheckStored(bs[len(bs)-1])
			if err != nil {
				return err
			}
			next = h.NextOffset()
		}
		if next <= off {
			return fmt.Errorf("broker: replay %s stuck at offset %d", offsetsTopic, off)
		}
		off = next
	}
	return nil
}

// ensureOffsetsTopic creates __consumer_offsets when the first group
// looks for its coordinator (FindCoordinator), as Kafka does. One
// partition holds every group, so the broker leading it hosts all of them
// (runs the group manager); it has
// offsets.topic.replication.factor replicas, or as many as there are live
// brokers when fewer (Kafka would refuse until there are enough; a single
// broker for development would never get there).
func (b *Broker) ensureOffsetsTopic() error {
	if b.lookupTopic(offsetsTopic) != nil {
		return nil
	}
	if err := b.refreshBrokers(); err != nil {
		return err
	}
	b.mu.RLock()
	rf := min(int(b.cfg.OffsetsReplication), len(b.brokers))
	b.mu.RUnlock()
	err := b.createTopic(offsetsTopic, 1, int16(max(rf, 1)), map[string]string{
		"cleanup.policy": "compact", "segment.bytes": strconv.FormatInt(int64(b.cfg.OffsetsSegmentBytes), 10)}, false)
	if err == kerr.TopicAlreadyExists {
		b.reloadTopic(offsetsTopic) // created by another broker meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("broker: create %s: %w", offsetsTopic, err)
	}
	return nil
}

// syncGroupManager starts a group manager (replaying the log) when this
// broker becomes leader of __consumer_offsets-0, and stops it when
// leadership moves on, so groups survive the loss of the broker hosting
// them. Called with roleMu held.
func (b *Broker) syncGroupManager() {
	p, err := b.localPartition(offsetsTopic, 0)
	b.groupsMu.Lock()
	running := b.groups != nil
	b.groupsMu.Unlock()
	if (err == nil) == running {
		return
	}
	b.stopGroupManager()
	if err != nil {
		return
	}
	b.runMu.Lock()
	defer b.runMu.Unlock()
	if b.runCtx == nil || b.runCtx.Err() != nil {
		return
	}
	c, err := group.New(&offsetsStore{p: p, timeout: b.cfg.RequestTimeout}, group.Options{RebalanceDelay: 0, Skipped: func(error) { b.metrics.offsetsRecordsSkipped.Inc() }}, b.log.With("component", "group"))
	if err != nil {
		b.log.Error("starting the group manager", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(b.runCtx)
	done := make(chan struct{})
	b.groupsMu.Lock()
	b.groups = c
	b.stopGroups = func() { cancel(); <-done }
	b.groupsMu.Unlock()
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		defer close(done)
		c.Run(ctx)
	}()
	b.log.Info("hosting consumer groups", "leader_epoch", p.Epoch())
}

// stopGroupManager stops the group manager if this broker runs one.
func (b *Broker) stopGroupManager() {
	b.groupsMu.Lock()
	stop := b.stopGroups
	if b.groups != nil {
		b.log.Info("no longer hosting consumer groups")
	}
	b.groups, b.stopGroups = nil, nil
	b.groupsMu.Unlock()
	if stop != nil {
		stop()
	}
}

// groupManager returns the group manager, nil when another broker hosts
// the groups.
func (b *Broker) groupManager() *group.Manager {
	b.groupsMu.Lock()
	defer b.groupsMu.Unlock()
	return b.groups
}

// Consumer-group APIs (OffsetCommit, OffsetFetch, JoinGroup, Heartbeat,
// LeaveGroup, SyncGroup, DescribeGroups, ListGroups, DeleteGroups): their
// versions and handlers are in package group's NN_name.go files; the API
// table routes them all here.
func (b *Broker) handleGroup(ctx context.Context, c *conn, r *request) (kmsg.Response, error) {
	g := b.groupManager()
	if g == nil {
		return notCoordinator(r.kreq), nil
	}
	if r.key == kmsg.JoinGroup {
		host, _, _ := net.SplitHostPort(c.nc.RemoteAddr().String())
		ctx = group.WithClient(ctx, r.clientID, "/"+host)
	}
	return g.Handle(ctx, r.kreq), nil
}

// notCoordinator answers a group request that reached a broker that does
// not host the groups with NOT_COORDINATOR (the protocol's word), so the
// client looks the group's coordinator up again (FindCoordinator).
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
		return r.ResponseKind() // this broker hosts no group
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
