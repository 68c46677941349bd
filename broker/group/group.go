package group

import (
	"bytes"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// state is a classic group's state; String gives Kafka's names, which
// DescribeGroups and ListGroups report.
type state int8

const (
	stateEmpty state = iota
	statePreparingRebalance
	stateCompletingRebalance
	stateStable
	stateDead
)

func (s state) String() string {
	switch s {
	case stateEmpty:
		return "Empty"
	case statePreparingRebalance:
		return "PreparingRebalance"
	case stateCompletingRebalance:
		return "CompletingRebalance"
	case stateStable:
		return "Stable"
	default:
		return "Dead"
	}
}

type topicPartition struct {
	topic     string
	partition int32
}

type offset struct {
	offset       int64
	leaderEpoch  int32
	metadata     string
	commitMillis int64
}

type protocol struct {
	name     string
	metadata []byte
}

// joinResult is what a waiting JoinGroup receives when the rebalance
// completes (or the member is removed: code != 0).
type joinResult struct {
	code       int16
	generation int32
	protocol   string
	leader     string
	memberID   string
	members    []kmsg.JoinGroupResponseMember // leader only
}

// syncResult is what a waiting SyncGroup receives.
type syncResult struct {
	code       int16
	assignment []byte
}

type member struct {
	id               string
	instanceID       *string
	clientID         string
	clientHost       string
	sessionTimeout   time.Duration
	rebalanceTimeout time.Duration
	protocols        []protocol
	assignment       []byte
	expires          time.Time // session deadline, pushed on by every heartbeat
	synced           bool      // sent SyncGroup in this generation

	joinWait chan joinResult // set while a JoinGroup waits for the rebalance
	syncWait chan syncResult // set while a SyncGroup waits for the leader
}

func (m *member) metadataFor(name string) []byte {
	for _, p := range m.protocols {
		if p.name == name {
			return p.metadata
		}
	}
	return nil
}

// sameProtocols reports whether a rejoin carries the member's current
// protocols and metadata, in which case Kafka does not rebalance.
func (m *member) sameProtocols(ps []kmsg.JoinGroupRequestProtocol) bool {
	if len(ps) != len(m.protocols) {
		return false
	}
	for i, p := range ps {
		if p.Name != m.protocols[i].name || !bytes.Equal(p.Metadata, m.protocols[i].metadata) {
			return false
		}
	}
	return true
}

func (m *member) finishJoin(r joinResult) {
	if m.joinWait != nil {
		m.joinWait <- r // buffered, one send per channel
		m.joinWait = nil
	}
}

func (m *member) finishSync(r syncResult) {
	if m.syncWait != nil {
		m.syncWait <- r
		m.syncWait = nil
	}
}

// group is one consumer group. All fields but wmu are guarded by
// Manager.mu.
type group struct {
	wmu sync.Mutex // see Manager

	name         string
	state        state
	stateSince   time.Time
	protocolType string
	protocol     string // chosen protocol; "" while Empty
	generation   int32
	leader       string

	members []*member            // in join order
	pending map[string]time.Time // ids handed out with MEMBER_ID_REQUIRED → expiry
	static  map[string]string    // group.instance.id → member id

	// PreparingRebalance: the join phase ends at joinDeadline at the latest.
	// During the initial delay of a group that was Empty, it ends only then
	// and is extended while members keep arriving, up to the rebalance timeout.
	joinDeadline time.Time
	initialDelay bool
	delayBudget  time.Duration
	newMember    bool
	// CompletingRebalance: members that have not synced by syncDeadline are
	// removed.
	syncDeadline time.Time
	assignGen    int32 // generation whose assignment the leader is writing

	offsets   map[topicPartition]offset
	persisted bool // the store holds a GroupMetadata record for the group
	metaDirty bool // the store's GroupMetadata record is out of date
}

func (g *group) setState(s state, now time.Time) {
	g.state = s
	g.stateSince = now
}

func (g *group) member(id string) *member {
	for _, m := range g.members {
		if m.id == id {
			return m
		}
	}
	return nil
}

// fenced reports whether instanceID belongs to another member (KIP-345).
func (g *group) fenced(memberID string, instanceID *string) bool {
	if instanceID == nil {
		return false
	}
	id, ok := g.static[*instanceID]
	return ok && id != memberID
}

// supports is Kafka's check that a joining member can be in the group: an
// empty group takes any non-empty protocol type and list; otherwise the type
// must match and one protocol must be supported by every member.
func (g *group) supports(protocolType string, ps []kmsg.JoinGroupRequestProtocol) bool {
	if protocolType == "" || len(ps) == 0 {
		return false
	}
	if len(g.members) == 0 {
		return true
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, p := range ps {
		if g.allSupport(p.Name) {
			return true
		}
	}
	return false
}

func (g *group) allSupport(name string) bool {
	for _, m := range g.members {
		if !m.hasProtocol(name) {
			return false
		}
	}
	return true
}

func (m *member) hasProtocol(name string) bool {
	for _, p := range m.protocols {
		if p.name == name {
			return true
		}
	}
	return false
}

// selectProtocol picks the protocol for a new generation as Kafka does:
// among the protocols every member supports, each member votes for the one
// it lists first; most votes wins, ties go to the leader's preference.
func (g *group) selectProtocol() string {
	leader := g.member(g.leader)
	if leader == nil {
		leader = g.members[0]
	}
	var candidates []string
	for _, p := range leader.protocols {
		if g.allSupport(p.name) {
			candidates = append(candidates, p.name)
		}
	}
	votes := make(map[string]int, len(candidates))
	for _, m := range g.members {
		for _, p := range m.protocols {
			if contains(candidates, p.name) {
				votes[p.name]++
				break
			}
		}
	}
	best := ""
	for _, name := range candidates {
		if best == "" || votes[name] > votes[best] {
			best = name
		}
	}
	return best
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (g *group) maxRebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.rebalanceTimeout)
	}
	return d
}

// joinResultFor is the JoinGroup answer for m in the current generation.
func (g *group) joinResultFor(m *member) joinResult {
	r := joinResult{generation: g.generation, protocol: g.protocol, leader: g.leader, memberID: m.id}
	if m.id == g.leader {
		r.members = make([]kmsg.JoinGroupResponseMember, 0, len(g.members))
		for _, o := range g.members {
			jm := kmsg.NewJoinGroupResponseMember()
			jm.MemberID = o.id
			jm.InstanceID = o.instanceID
			jm.ProtocolMetadata = o.metadataFor(g.protocol)
			r.members = append(r.members, jm)
		}
	}
	return r
}

// The functions below are the state machine. c.mu must be held.

// rebalance starts a rebalance, or re-checks whether the running one can
// complete.
func (c *Manager) rebalance(g *group, reason string) {
	switch g.state {
	case statePreparingRebalance:
		c.tryCompleteJoin(g)
	case stateEmpty, stateStable, stateCompletingRebalance:
		c.prepareRebalance(g, reason)
	}
}

func (c *Manager) prepareRebalance(g *group, reason string) {
	now := c.opts.Now()
	if g.state == stateCompletingRebalance {
		for _, m := range g.members {
			m.assignment = nil
			m.finishSync(syncResult{code: kerr.RebalanceInProgress.Code})
		}
	}
	rt := g.maxRebalanceTimeout()
	g.initialDelay = g.state == stateEmpty && c.opts.RebalanceDelay > 0
	if g.initialDelay {
		d := min(c.opts.RebalanceDelay, rt)
		g.delayBudget = rt - d
		g.newMember = false
		g.joinDeadline = now.Add(d)
	} else {
		g.joinDeadline = now.Add(rt)
	}
	g.setState(statePreparingRebalance, now)
	c.log.Info("preparing to rebalance", "group", g.name, "generation", g.generation, "reason", reason)
	c.tryCompleteJoin(g)
}

// tryCompleteJoin completes the join phase once every member and every
// member id handed out by MEMBER_ID_REQUIRED has (re)joined.
func (c *Manager) tryCompleteJoin(g *group) {
	if g.state != statePreparingRebalance || g.initialDelay || len(g.pending) > 0 {
		return
	}
	for _, m := range g.members {
		if m.joinWait == nil {
			return
		}
	}
	c.completeJoin(g)
}

// completeJoin ends the join phase: members that did not rejoin are
// removed, the generation increments, and every waiting join is answered.
func (c *Manager) completeJoin(g *group) {
	now := c.opts.Now()
	for _, m := range append([]*member(nil), g.members...) {
		if m.joinWait == nil {
			c.log.Info("removing member that did not rejoin", "group", g.name, "member", m.id)
			c.removeMember(g, m, kerr.UnknownMemberID.Code)
		}
	}
	g.generation++
	g.initialDelay = false
	if len(g.members) == 0 {
		g.protocol, g.leader = "", ""
		g.setState(stateEmpty, now)
		g.metaDirty = true
		c.log.Info("group is empty", "group", g.name, "generation", g.generation)
		return
	}
	if g.member(g.leader) == nil {
		g.leader = g.members[0].id
	}
	g.protocol = g.selectProtocol()
	g.setState(stateCompletingRebalance, now)
	g.syncDeadline = now.Add(g.maxRebalanceTimeout())
	for _, m := range g.members {
		m.synced = false
		m.assignment = nil
		m.expires = now.Add(m.sessionTimeout)
		m.finishJoin(g.joinResultFor(m))
	}
	c.log.Info("rebalance: members joined", "group", g.name, "generation", g.generation,
		"protocol", g.protocol, "leader", g.leader, "members", len(g.members))
}

// removeMember takes m out of the group, answering its waiting requests
// with code; the caller decides whether that rebalances.
func (c *Manager) removeMember(g *group, m *member, code int16) {
	for i, o := range g.members {
		if o == m {
			g.members = append(g.members[:i:i], g.members[i+1:]...)
			break
		}
	}
	if m.instanceID != nil && g.static[*m.instanceID] == m.id {
		delete(g.static, *m.instanceID)
	}
	m.finishJoin(joinResult{code: code})
	m.finishSync(syncResult{code: code})
	if g.leader == m.id {
		g.leader = ""
		if len(g.members) > 0 {
			g.leader = g.members[0].id
		}
	}
}

// removeMemberAndRebalance removes m (left or expired) and rebalances.
func (c *Manager) removeMemberAndRebalance(g *group, m *member, reason string) {
	c.removeMember(g, m, kerr.UnknownMemberID.Code)
	c.rebalance(g, reason+": "+m.id)
}

// expire applies the deadlines that have passed at now.
func (c *Manager) expire(g *group, now time.Time) {
	if g.state == stateDead {
		return
	}
	for id, deadline := range g.pending {
		if now.After(deadline) {
			delete(g.pending, id)
			c.tryCompleteJoin(g)
		}
	}
	for _, m := range append([]*member(nil), g.members...) {
		// A member waiting in JoinGroup or SyncGroup is alive; the
		// rebalance and sync deadlines bound those waits.
		if m.joinWait == nil && m.syncWait == nil && now.After(m.expires) {
			c.log.Info("member session expired", "group", g.name, "member", m.id)
			c.removeMemberAndRebalance(g, m, "session timeout")
		}
	}
	switch g.state {
	case statePreparingRebalance:
		if now.Before(g.joinDeadline) {
			return
		}
		if g.initialDelay && g.newMember && g.delayBudget > 0 {
			d := min(c.opts.RebalanceDelay, g.delayBudget)
			g.delayBudget -= d
			g.newMember = false
			g.joinDeadline = now.Add(d)
			return
		}
		c.completeJoin(g)
	case stateCompletingRebalance:
		if now.Before(g.syncDeadline) {
			return
		}
		for _, m := range append([]*member(nil), g.members...) {
			if !m.synced {
				c.log.Info("member did not sync in time", "group", g.name, "member", m.id)
				c.removeMemberAndRebalance(g, m, "sync timeout")
			}
		}
	}
}
