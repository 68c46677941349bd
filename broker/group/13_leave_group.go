package group

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// LeaveGroup v0–v5: Leave, below, answers it.
var leaveGroupAPI = API{kmsg.LeaveGroup, 0, 5, func(c *Manager, _ context.Context, req kmsg.Request) kmsg.Response {
	return c.Leave(req.(*kmsg.LeaveGroupRequest))
}}

// Leave handles LeaveGroup (v0–v5; v3+ names a batch of members, by member
// id or group.instance.id). Removing members rebalances the group.
func (c *Manager) Leave(req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	leaving := req.Members
	if req.Version < 3 {
		lm := kmsg.NewLeaveGroupRequestMember()
		lm.MemberID = req.MemberID
		leaving = []kmsg.LeaveGroupRequestMember{lm}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[req.Group]
	switch {
	case req.Group == "":
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return resp
	case g != nil && g.state == stateDead:
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	for _, lm := range leaving {
		code := int16(0)
		if g == nil {
			code = kerr.UnknownMemberID.Code
		} else {
			code = c.leave(g, lm.MemberID, lm.InstanceID)
		}
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID = lm.MemberID
		rm.InstanceID = lm.InstanceID
		rm.ErrorCode = code
		resp.Members = append(resp.Members, rm)
	}
	if req.Version < 3 {
		resp.ErrorCode = resp.Members[0].ErrorCode
		resp.Members = nil
	}
	return resp
}

// leave removes one member; c.mu must be held.
func (c *Manager) leave(g *group, memberID string, instanceID *string) int16 {
	if instanceID != nil {
		id, ok := g.static[*instanceID]
		switch {
		case !ok:
			return kerr.UnknownMemberID.Code
		case memberID != "" && memberID != id:
			return kerr.FencedInstanceID.Code
		}
		memberID = id
	}
	if _, ok := g.pending[memberID]; ok {
		delete(g.pending, memberID)
		c.tryCompleteJoin(g)
		return 0
	}
	m := g.member(memberID)
	if m == nil {
		return kerr.UnknownMemberID.Code
	}
	c.log.Info("member left", "group", g.name, "member", m.id)
	c.removeMemberAndRebalance(g, m, "member left")
	return 0
}
