package group

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DeleteGroups v0–v2: DeleteGroups, below, answers it.
var deleteGroupsAPI = API{kmsg.DeleteGroups, 0, 2, func(c *Manager, ctx context.Context, req kmsg.Request) kmsg.Response {
	return c.DeleteGroups(ctx, req.(*kmsg.DeleteGroupsRequest))
}}

// DeleteGroups handles DeleteGroups (v0–v2): an Empty group is deleted with
// tombstones for its offsets and metadata; a group with members is not
// (NON_EMPTY_GROUP).
func (c *Manager) DeleteGroups(ctx context.Context, req *kmsg.DeleteGroupsRequest) *kmsg.DeleteGroupsResponse {
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	for _, name := range req.Groups {
		dg := kmsg.NewDeleteGroupsResponseGroup()
		dg.Group = name
		dg.ErrorCode = c.deleteGroup(ctx, name)
		resp.Groups = append(resp.Groups, dg)
	}
	return resp
}

func (c *Manager) deleteGroup(ctx context.Context, name string) int16 {
	if name == "" {
		return kerr.InvalidGroupID.Code
	}
	g := c.lockGroup(name, false)
	if g == nil {
		return kerr.GroupIDNotFound.Code
	}
	defer g.wmu.Unlock()

	c.mu.Lock()
	switch g.state {
	case stateDead:
		c.mu.Unlock()
		return kerr.GroupIDNotFound.Code
	case stateEmpty:
	default:
		c.mu.Unlock()
		return kerr.NonEmptyGroup.Code
	}
	// Dead while the tombstones are written: joins get
	// COORDINATOR_NOT_AVAILABLE and retry; commits wait for wmu.
	g.setState(stateDead, c.opts.Now())
	tps := make([]topicPartition, 0, len(g.offsets))
	for tp := range g.offsets {
		tps = append(tps, tp)
	}
	c.mu.Unlock()

	var err error
	var deleted []topicPartition
	for _, tp := range tps {
		if err = c.store.Append(ctx, offsetKey(name, tp.topic, tp.partition), nil); err != nil {
			break
		}
		deleted = append(deleted, tp)
	}
	if err == nil {
		// Written even if the group never had one, so no older record
		// can outlive the deletion in a log we did not fully replay.
		err = c.store.Append(ctx, groupMetadataKey(name), nil)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tp := range deleted {
		delete(g.offsets, tp)
	}
	if err != nil {
		c.log.Warn("deleting group", "group", name, "err", err)
		g.setState(stateEmpty, c.opts.Now())
		return storeErrCode(err)
	}
	delete(c.groups, name)
	c.log.Info("group deleted", "group", name, "offsets", len(tps))
	return 0
}
