package group

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Heartbeat v0–v4: Heartbeat, below, answers it.
var heartbeatAPI = API{kmsg.Heartbeat, 0, 4, func(c *Manager, _ context.Context, req kmsg.Request) kmsg.Response {
	return c.Heartbeat(req.(*kmsg.HeartbeatRequest))
}}

// Heartbeat handles Heartbeat (v0–v4): it keeps the member's session alive
// and tells it, with REBALANCE_IN_PROGRESS, to rejoin.
func (c *Manager) Heartbeat(req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[req.Group]
	var m *member
	if g != nil {
		m = g.member(req.MemberID)
	}
	switch {
	case req.Group == "":
		resp.ErrorCode = kerr.InvalidGroupID.Code
	case g == nil:
		resp.ErrorCode = kerr.UnknownMemberID.Code
	case g.state == stateDead:
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
	case g.fenced(req.MemberID, req.InstanceID):
		resp.ErrorCode = kerr.FencedInstanceID.Code
	case m == nil:
		resp.ErrorCode = kerr.UnknownMemberID.Code
	case req.Generation != g.generation:
		resp.ErrorCode = kerr.IllegalGeneration.Code
	case g.state == stateEmpty:
		resp.ErrorCode = kerr.UnknownMemberID.Code
	default:
		m.expires = c.opts.Now().Add(m.sessionTimeout)
		if g.state == statePreparingRebalance {
			resp.ErrorCode = kerr.RebalanceInProgress.Code
		}
	}
	return resp
}
