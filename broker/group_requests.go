package broker

import (
	"context"
	"net"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/group"
)

// Consumer-group APIs (OffsetCommit, OffsetFetch, JoinGroup, Heartbeat,
// LeaveGroup, SyncGroup, DescribeGroups, ListGroups, DeleteGroups): their
// versions and handlers are in package group's NN_name.go files; the API
// table routes them all here. Each group lives in the manager of its
// __consumer_offsets partition (group.PartitionFor); a request naming
// several groups (DescribeGroups, DeleteGroups, OffsetFetch v8+) is
// answered group by group, each by its manager or with the error of a
// group this broker does not host; ListGroups lists the groups of every
// manager here. Each is authorized first (group_authz.go).
func (b *Broker) handleGroup(ctx context.Context, c *conn, r *request) (kmsg.Response, error) {
	switch req := r.kreq.(type) {
	case *kmsg.JoinGroupRequest:
		host, _, _ := net.SplitHostPort(c.nc.RemoteAddr().String())
		return b.forGroupAuthorized(group.WithClient(ctx, r.clientID, "/"+host), c, req, req.Group), nil
	case *kmsg.SyncGroupRequest:
		return b.forGroupAuthorized(ctx, c, req, req.Group), nil
	case *kmsg.HeartbeatRequest:
		return b.forGroupAuthorized(ctx, c, req, req.Group), nil
	case *kmsg.LeaveGroupRequest:
		return b.forGroupAuthorized(ctx, c, req, req.Group), nil
	case *kmsg.OffsetCommitRequest:
		return b.forGroupAuthorized(ctx, c, req, req.Group), nil
	case *kmsg.OffsetFetchRequest:
		if req.Version < 8 {
			return b.forGroupAuthorized(ctx, c, req, req.Group), nil
		}
		resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
		for _, g := range req.Groups {
			sub := *req
			sub.Groups = []kmsg.OffsetFetchRequestGroup{g}
			resp.Groups = append(resp.Groups, b.forGroupAuthorized(ctx, c, &sub, g.Group).(*kmsg.OffsetFetchResponse).Groups...)
		}
		return resp, nil
	case *kmsg.DescribeGroupsRequest:
		resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
		for _, g := range req.Groups {
			sub := *req
			sub.Groups = []string{g}
			resp.Groups = append(resp.Groups, b.forGroupAuthorized(ctx, c, &sub, g).(*kmsg.DescribeGroupsResponse).Groups...)
		}
		return resp, nil
	case *kmsg.DeleteGroupsRequest:
		resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
		for _, g := range req.Groups {
			sub := *req
			sub.Groups = []string{g}
			resp.Groups = append(resp.Groups, b.forGroupAuthorized(ctx, c, &sub, g).(*kmsg.DeleteGroupsResponse).Groups...)
		}
		return resp, nil
	case *kmsg.ListGroupsRequest:
		return b.listGroupsAuthorized(c, b.listGroups(req)), nil
	}
	return nil, nil
}

// forGroup has req, a request about group id alone, answered by the
// manager hosting id, or answers it with the reason no manager here does.
func (b *Broker) forGroup(ctx context.Context, req kmsg.Request, id string) kmsg.Response {
	m, code := b.groupManager(id)
	if m == nil {
		return groupError(req, code)
	}
	return m.Handle(ctx, req)
}

// listGroups answers ListGroups with the groups of every manager on this
// broker, as Kafka does, with COORDINATOR_LOAD_IN_PROGRESS while an
// offsets partition led here is still loading (the groups loaded so far
// are listed all the same).
func (b *Broker) listGroups(req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	ms, loading := b.groupManagers()
	for _, m := range ms {
		resp.Groups = append(resp.Groups, m.ListGroups(req).Groups...)
	}
	sort.Slice(resp.Groups, func(i, j int) bool { return resp.Groups[i].Group < resp.Groups[j].Group })
	if loading {
		resp.ErrorCode = kerr.CoordinatorLoadInProgress.Code
	}
	return resp
}

// groupError answers a request about one group that no manager here
// hosts with code: NOT_COORDINATOR (the client looks the group's
// coordinator up again with FindCoordinator), or
// COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE (it retries).
func groupError(req kmsg.Request, code int16) kmsg.Response {
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
