package group

import (
	"bytes"
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SyncGroup v0–v5: Sync, below, answers it.
var syncGroupAPI = API{kmsg.SyncGroup, 0, 5, func(c *Manager, ctx context.Context, req kmsg.Request) kmsg.Response {
	return c.Sync(ctx, req.(*kmsg.SyncGroupRequest))
}}

// Sync handles SyncGroup (v0–v5). The leader's call stores the assignment
// (durably, as a GroupMetadata record) and answers every member; a
// follower's call blocks until then, until the rebalance is aborted
// (REBALANCE_IN_PROGRESS) or until ctx ends.
func (c *Manager) Sync(ctx context.Context, req *kmsg.SyncGroupRequest) *kmsg.SyncGroupResponse {
	resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
	fail := func(code int16) *kmsg.SyncGroupResponse {
		resp.ErrorCode = code
		return resp
	}

	c.mu.Lock()
	g := c.groups[req.Group]
	var m *member
	if g != nil {
		m = g.member(req.MemberID)
	}
	code := int16(0)
	switch {
	case req.Group == "":
		code = kerr.InvalidGroupID.Code
	case g == nil:
		code = kerr.UnknownMemberID.Code
	case g.state == stateDead:
		code = kerr.CoordinatorNotAvailable.Code
	case g.fenced(req.MemberID, req.InstanceID):
		code = kerr.FencedInstanceID.Code
	case m == nil:
		code = kerr.UnknownMemberID.Code
	case req.Generation != g.generation:
		code = kerr.IllegalGeneration.Code
	case req.ProtocolType != nil && *req.ProtocolType != g.protocolType,
		req.Protocol != nil && *req.Protocol != g.protocol:
		code = kerr.InconsistentGroupProtocol.Code
	case g.state == stateEmpty:
		code = kerr.UnknownMemberID.Code
	case g.state == statePreparingRebalance:
		code = kerr.RebalanceInProgress.Code
	}
	if code != 0 {
		c.mu.Unlock()
		return fail(code)
	}
	pt, p := g.protocolType, g.protocol
	resp.ProtocolType, resp.Protocol = &pt, &p
	now := c.opts.Now()
	m.expires = now.Add(m.sessionTimeout)
	if g.state == stateStable {
		resp.MemberAssignment = m.assignment
		c.mu.Unlock()
		return resp
	}

	// CompletingRebalance.
	m.synced = true
	if m.syncWait != nil {
		m.finishSync(syncResult{code: kerr.RebalanceInProgress.Code}) // superseded
	}
	wait := make(chan syncResult, 1)
	m.syncWait = wait
	if m.id == g.leader && g.assignGen != g.generation {
		gen := g.generation
		g.assignGen = gen
		for _, o := range g.members {
			o.assignment = []byte{}
		}
		for _, a := range req.GroupAssignment {
			if o := g.member(a.MemberID); o != nil {
				o.assignment = bytes.Clone(a.MemberAssignment)
			}
		}
		c.mu.Unlock()
		err := c.writeMeta(ctx, g)
		c.mu.Lock()
		if g.generation == gen && g.state == stateCompletingRebalance {
			if err != nil {
				code := storeErrCode(err)
				c.log.Warn("storing group assignment", "group", g.name, "generation", gen, "err", err)
				for _, o := range g.members {
					o.assignment = nil
					o.finishSync(syncResult{code: code})
				}
				c.prepareRebalance(g, "storing the assignment failed")
			} else {
				g.setState(stateStable, c.opts.Now())
				for _, o := range g.members {
					o.finishSync(syncResult{assignment: o.assignment})
				}
				c.log.Info("group stable", "group", g.name, "generation", gen, "members", len(g.members))
			}
		}
		// Otherwise the rebalance was aborted while we wrote, and wait
		// already holds REBALANCE_IN_PROGRESS.
	}
	c.mu.Unlock()

	var r syncResult
	select {
	case r = <-wait:
	case <-ctx.Done():
		c.mu.Lock()
		select {
		case r = <-wait:
		default:
			if m.syncWait == wait {
				m.syncWait = nil
			}
			r = syncResult{code: kerr.CoordinatorNotAvailable.Code}
		}
		c.mu.Unlock()
	}
	if r.code != 0 {
		return fail(r.code)
	}
	resp.MemberAssignment = r.assignment
	return resp
}
