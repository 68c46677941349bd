package group

import (
	"bytes"
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// JoinGroup v0–v9: Join, below, answers it.
var joinGroupAPI = API{kmsg.JoinGroup, 0, 9, func(c *Manager, ctx context.Context, req kmsg.Request) kmsg.Response {
	return c.Join(ctx, req.(*kmsg.JoinGroupRequest))
}}

// Join handles JoinGroup (v0–v9). It blocks until the rebalance the join
// takes part in completes, the member is removed, or ctx ends (then it
// answers COORDINATOR_NOT_AVAILABLE and the member no longer counts as
// rejoined). The client id and host come from WithClient.
func (c *Manager) Join(ctx context.Context, req *kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse {
	resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
	resp.MemberID = req.MemberID
	fail := func(code int16) *kmsg.JoinGroupResponse {
		resp.ErrorCode = code
		return resp
	}
	session := time.Duration(req.SessionTimeoutMillis) * time.Millisecond
	rebalance := time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond
	if req.Version == 0 || rebalance <= 0 {
		rebalance = session
	}
	switch {
	case req.Group == "":
		return fail(kerr.InvalidGroupID.Code)
	case session < c.opts.MinSessionTimeout || session > c.opts.MaxSessionTimeout:
		return fail(kerr.InvalidSessionTimeout.Code)
	case req.ProtocolType == "" || len(req.Protocols) == 0:
		return fail(kerr.InconsistentGroupProtocol.Code)
	}
	client := clientFrom(ctx)

	c.mu.Lock()
	now := c.opts.Now()
	g := c.groups[req.Group]
	if g == nil {
		if req.MemberID != "" {
			c.mu.Unlock()
			return fail(kerr.UnknownMemberID.Code)
		}
		g = c.newGroup(req.Group)
	}
	if g.state == stateDead {
		c.mu.Unlock()
		return fail(kerr.CoordinatorNotAvailable.Code)
	}

	var m *member
	var wait chan joinResult
	var ready *joinResult // answer now, without waiting
	code := int16(0)
	switch _, isPending := g.pending[req.MemberID]; {
	case req.MemberID == "" && req.InstanceID == nil && req.Version >= 4:
		// KIP-394: hand out a member id; the client rejoins with it.
		if !g.supports(req.ProtocolType, req.Protocols) {
			code = kerr.InconsistentGroupProtocol.Code
			break
		}
		resp.MemberID = newMemberID(client.id)
		g.pending[resp.MemberID] = now.Add(session)
		code = kerr.MemberIDRequired.Code

	case req.MemberID == "" || isPending:
		if !g.supports(req.ProtocolType, req.Protocols) {
			code = kerr.InconsistentGroupProtocol.Code
			break
		}
		id := req.MemberID
		if isPending {
			delete(g.pending, id)
		} else {
			id = newMemberID(client.id)
		}
		if req.InstanceID != nil {
			// A static member that restarted replaces its old
			// incarnation, which is fenced; the group rebalances.
			if old := g.member(g.static[*req.InstanceID]); old != nil {
				c.log.Info("static member replaced", "group", g.name, "instance", *req.InstanceID, "old", old.id, "new", id)
				c.removeMember(g, old, kerr.FencedInstanceID.Code)
			}
		}
		m = &member{
			id:         id,
			instanceID: req.InstanceID,
			clientID:   client.id,
			clientHost: client.host,
		}
		if g.state == stateEmpty || len(g.members) == 0 {
			g.protocolType = req.ProtocolType
		}
		g.members = append(g.members, m)
		if req.InstanceID != nil {
			g.static[*req.InstanceID] = id
		}
		if g.leader == "" {
			g.leader = id
		}
		if g.state == statePreparingRebalance && g.initialDelay {
			g.newMember = true
		}
		wait = c.updateMember(m, req, session, rebalance, now)
		c.rebalance(g, "new member joined")

	default:
		m = g.member(req.MemberID)
		switch {
		case m == nil:
			code = kerr.UnknownMemberID.Code
		case g.fenced(req.MemberID, req.InstanceID):
			code = kerr.FencedInstanceID.Code
			m = nil
		case !g.supports(req.ProtocolType, req.Protocols):
			code = kerr.InconsistentGroupProtocol.Code
			m = nil
		case g.state == statePreparingRebalance:
			wait = c.updateMember(m, req, session, rebalance, now)
			c.tryCompleteJoin(g)
		case (g.state == stateCompletingRebalance || g.state == stateStable && m.id != g.leader) && m.sameProtocols(req.Protocols):
			// A rejoin that changes nothing gets the current generation
			// again (a follower that lost the response, say).
			m.expires = now.Add(m.sessionTimeout)
			r := g.joinResultFor(m)
			ready = &r
		default: // Stable or CompletingRebalance: the leader or new metadata
			wait = c.updateMember(m, req, session, rebalance, now)
			c.rebalance(g, "member rejoined with new metadata")
		}
	}
	if code != 0 || ready != nil {
		pt := g.protocolType
		c.mu.Unlock()
		if code != 0 {
			return fail(code)
		}
		return fillJoin(resp, *ready, pt)
	}
	c.mu.Unlock()

	var r joinResult
	select {
	case r = <-wait:
	case <-ctx.Done():
		c.mu.Lock()
		select {
		case r = <-wait: // completed as ctx ended
		default:
			if m.joinWait == wait {
				m.joinWait = nil
			}
			r = joinResult{code: kerr.CoordinatorNotAvailable.Code}
		}
		c.mu.Unlock()
	}
	if r.code != 0 {
		return fail(r.code)
	}
	c.mu.Lock()
	pt := g.protocolType
	c.mu.Unlock()
	return fillJoin(resp, r, pt)
}

// updateMember records a (re)join's protocols and timeouts and marks the
// member as waiting for the rebalance; the answer arrives on the channel
// returned.
func (c *Manager) updateMember(m *member, req *kmsg.JoinGroupRequest, session, rebalance time.Duration, now time.Time) chan joinResult {
	m.sessionTimeout = session
	m.rebalanceTimeout = rebalance
	m.protocols = make([]protocol, 0, len(req.Protocols))
	for _, p := range req.Protocols {
		// Cloned: the request may alias the connection's read buffer.
		m.protocols = append(m.protocols, protocol{name: p.Name, metadata: bytes.Clone(p.Metadata)})
	}
	m.expires = now.Add(session)
	if m.joinWait != nil {
		// A second join while the first still waits: the first one's
		// connection is gone or the client gave up on it.
		m.finishJoin(joinResult{code: kerr.RebalanceInProgress.Code})
	}
	m.joinWait = make(chan joinResult, 1)
	return m.joinWait
}

func fillJoin(resp *kmsg.JoinGroupResponse, r joinResult, protocolType string) *kmsg.JoinGroupResponse {
	resp.Generation = r.generation
	resp.ProtocolType = &protocolType
	p := r.protocol
	resp.Protocol = &p
	resp.LeaderID = r.leader
	resp.MemberID = r.memberID
	resp.Members = r.members
	return resp
}
