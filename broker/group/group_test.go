package group

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestJoinSyncHeartbeat(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	a, b := e.memberID(), e.memberID()
	joins := e.stable(a, b)

	var leader string
	for id, j := range joins {
		if j.Generation != 1 || j.Protocol == nil || *j.Protocol != "range" || j.MemberID != id {
			t.Fatalf("join %s: generation %d protocol %v member %s", id, j.Generation, j.Protocol, j.MemberID)
		}
		if leader != "" && j.LeaderID != leader {
			t.Fatalf("members disagree on the leader: %s, %s", leader, j.LeaderID)
		}
		leader = j.LeaderID
	}
	l := joins[leader]
	if len(l.Members) != 2 {
		t.Fatalf("leader got %d members, want 2", len(l.Members))
	}
	for _, m := range l.Members {
		if want := "meta-" + m.MemberID + "-range"; string(m.ProtocolMetadata) != want {
			t.Fatalf("leader got metadata %q for %s, want %q", m.ProtocolMetadata, m.MemberID, want)
		}
	}
	for id, j := range joins {
		if id != leader && len(j.Members) != 0 {
			t.Fatalf("follower %s got the member list", id)
		}
	}
	for _, id := range []string{a, b} {
		if code := e.heartbeat(id, 1); code != 0 {
			t.Fatalf("heartbeat %s: error %d", id, code)
		}
	}
	if code := e.heartbeat(a, 0); code != kerr.IllegalGeneration.Code {
		t.Fatalf("heartbeat with old generation: error %d, want ILLEGAL_GENERATION", code)
	}
	if code := e.heartbeat("nobody", 1); code != kerr.UnknownMemberID.Code {
		t.Fatalf("heartbeat of unknown member: error %d, want UNKNOWN_MEMBER_ID", code)
	}

	d := e.describe()
	if d.State != "Stable" || d.ProtocolType != "consumer" || d.Protocol != "range" || len(d.Members) != 2 {
		t.Fatalf("describe: %+v", d)
	}
	for _, m := range d.Members {
		if string(m.MemberAssignment) != "assign-"+m.MemberID || m.ClientID != "client" || m.ClientHost != "10.0.0.1" {
			t.Fatalf("describe member: %+v", m)
		}
	}
	// A follower that rejoins with the same metadata gets the current
	// generation back without a rebalance.
	for id := range joins {
		if id == leader {
			continue
		}
		j := recv(t, e.join(context.Background(), joinReq(testGroup, id)))
		if j.ErrorCode != 0 || j.Generation != 1 || e.describe().State != "Stable" {
			t.Fatalf("follower rejoin: error %d generation %d state %s", j.ErrorCode, j.Generation, e.describe().State)
		}
	}
}

func TestThirdMemberRebalances(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	a, b := e.memberID(), e.memberID()
	first := e.stable(a, b)
	leader := first[a].LeaderID

	c := e.memberID()
	third := e.join(context.Background(), joinReq(testGroup, c))
	e.waitState("PreparingRebalance")
	blocked(t, third)
	for _, id := range []string{a, b} {
		if code := e.heartbeat(id, 1); code != kerr.RebalanceInProgress.Code {
			t.Fatalf("heartbeat %s during rebalance: error %d, want REBALANCE_IN_PROGRESS", id, code)
		}
	}
	ja := e.join(context.Background(), joinReq(testGroup, a))
	e.waitWaiting(2)
	blocked(t, third) // b has not rejoined yet
	jb := e.join(context.Background(), joinReq(testGroup, b))
	joins := map[string]*kmsg.JoinGroupResponse{a: recv(t, ja), b: recv(t, jb), c: recv(t, third)}
	for id, j := range joins {
		if j.ErrorCode != 0 || j.Generation != 2 || j.LeaderID != leader {
			t.Fatalf("rejoin %s: error %d generation %d leader %s (want 2, %s)", id, j.ErrorCode, j.Generation, j.LeaderID, leader)
		}
	}
	if n := len(joins[leader].Members); n != 3 {
		t.Fatalf("leader got %d members, want 3", n)
	}
	e.syncAll(joins)
	e.waitState("Stable")
}

func TestSessionTimeoutExpiresMember(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	a, b := e.memberID(), e.memberID()
	e.stable(a, b)

	e.clock.advance(sessionMS / 2 * time.Millisecond)
	if code := e.heartbeat(a, 1); code != 0 {
		t.Fatalf("heartbeat: error %d", code)
	}
	e.clock.advance(sessionMS/2*time.Millisecond + time.Millisecond)
	e.tick() // b's session has passed, a's has not
	if d := e.describe(); d.State != "PreparingRebalance" || len(d.Members) != 1 || d.Members[0].MemberID != a {
		t.Fatalf("after b expired: %+v", d)
	}
	if code := e.heartbeat(b, 1); code != kerr.UnknownMemberID.Code {
		t.Fatalf("heartbeat of expired member: error %d, want UNKNOWN_MEMBER_ID", code)
	}
	if code := e.heartbeat(a, 1); code != kerr.RebalanceInProgress.Code {
		t.Fatalf("heartbeat of remaining member: error %d, want REBALANCE_IN_PROGRESS", code)
	}
	j := recv(t, e.join(context.Background(), joinReq(testGroup, a)))
	if j.ErrorCode != 0 || j.Generation != 2 || j.LeaderID != a || len(j.Members) != 1 {
		t.Fatalf("rejoin alone: %+v", j)
	}

	// Nobody heartbeats any more: the group ends Empty (kept for its
	// offsets), and Run (tick) records that generation.
	e.syncAll(map[string]*kmsg.JoinGroupResponse{a: j})
	if codes := e.commit(commitReq(a, 2, "t", map[int32]int64{0: 1})); !slices.Equal(codes, []int16{0}) {
		t.Fatalf("commit: %v", codes)
	}
	e.clock.advance(sessionMS*time.Millisecond + time.Millisecond)
	e.tick()
	if d := e.describe(); d.State != "Empty" || len(d.Members) != 0 {
		t.Fatalf("after all expired: %+v", d)
	}
	e.c.mu.Lock()
	gen, dirty := e.c.groups[testGroup].generation, e.c.groups[testGroup].metaDirty
	e.c.mu.Unlock()
	if gen != 3 || dirty {
		t.Fatalf("empty group: generation %d dirty %v, want 3 and written", gen, dirty)
	}
}

func TestRebalanceTimeoutRemovesMembersThatDoNotRejoin(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	a, b := e.memberID(), e.memberID()
	e.stable(a, b)

	c := e.memberID()
	jc := e.join(context.Background(), joinReq(testGroup, c))
	e.waitState("PreparingRebalance")
	ja := e.join(context.Background(), joinReq(testGroup, a))
	e.waitWaiting(2)
	e.clock.advance(rebalanceMS * time.Millisecond)
	e.tick()
	ra, rc := recv(t, ja), recv(t, jc)
	if ra.ErrorCode != 0 || rc.ErrorCode != 0 || ra.Generation != 2 || len(ra.Members)+len(rc.Members) != 2 {
		t.Fatalf("after rebalance timeout: %+v %+v", ra, rc)
	}
	if code := e.heartbeat(b, 1); code != kerr.UnknownMemberID.Code {
		t.Fatalf("member that did not rejoin: heartbeat error %d, want UNKNOWN_MEMBER_ID", code)
	}
}

func TestLeaveRebalances(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	a, b := e.memberID(), e.memberID()
	e.stable(a, b)

	req := kmsg.NewPtrLeaveGroupRequest()
	req.Version = 5
	req.Group = testGroup
	for _, id := range []string{b, "nobody"} {
		lm := kmsg.NewLeaveGroupRequestMember()
		lm.MemberID = id
		req.Members = append(req.Members, lm)
	}
	resp := e.c.Leave(req)
	if resp.ErrorCode != 0 || len(resp.Members) != 2 || resp.Members[0].ErrorCode != 0 || resp.Members[1].ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("leave: %+v", resp)
	}
	if code := e.heartbeat(a, 1); code != kerr.RebalanceInProgress.Code {
		t.Fatalf("heartbeat after leave: error %d, want REBALANCE_IN_PROGRESS", code)
	}
	j := recv(t, e.join(context.Background(), joinReq(testGroup, a)))
	if j.ErrorCode != 0 || j.Generation != 2 || len(j.Members) != 1 {
		t.Fatalf("rejoin after leave: %+v", j)
	}
	e.syncAll(map[string]*kmsg.JoinGroupResponse{a: j})

	// v0 names one member; the last one leaving empties the group.
	v0 := kmsg.NewPtrLeaveGroupRequest()
	v0.Group, v0.MemberID = testGroup, a
	if resp := e.c.Leave(v0); resp.ErrorCode != 0 || resp.Members != nil {
		t.Fatalf("v0 leave: %+v", resp)
	}
	if resp := e.c.Leave(v0); resp.ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("v0 leave again: error %d, want UNKNOWN_MEMBER_ID", resp.ErrorCode)
	}
	if d := e.describe(); d.State != "Empty" {
		t.Fatalf("after last member left: %s", d.State)
	}
}

func TestInitialRebalanceDelay(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{RebalanceDelay: 3 * time.Second})
	a, b := e.memberID(), e.memberID()
	ja := e.join(context.Background(), joinReq(testGroup, a))
	jb := e.join(context.Background(), joinReq(testGroup, b))
	e.waitWaiting(2)
	e.tick()
	blocked(t, ja) // all joined, but the delay has not passed
	e.clock.advance(3 * time.Second)
	e.tick()
	blocked(t, ja) // a member arrived during the delay: it is extended once
	e.clock.advance(3 * time.Second)
	e.tick()
	ra, rb := recv(t, ja), recv(t, jb)
	if ra.ErrorCode != 0 || rb.ErrorCode != 0 || ra.Generation != 1 || len(ra.Members)+len(rb.Members) != 2 {
		t.Fatalf("joins after the delay: %+v %+v", ra, rb)
	}
}

func TestSyncWaitsForLeaderAndAbortsOnRebalance(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	a, b := e.memberID(), e.memberID()
	ja := e.join(context.Background(), joinReq(testGroup, a))
	jb := e.join(context.Background(), joinReq(testGroup, b))
	ra, _ := recv(t, ja), recv(t, jb)
	follower := a
	if ra.LeaderID == a {
		follower = b
	}
	s := e.sync(syncReq(follower, 1, nil))
	e.waitState("CompletingRebalance")
	blocked(t, s)
	// Heartbeats are fine while the leader assigns; commits are not.
	if code := e.heartbeat(follower, 1); code != 0 {
		t.Fatalf("heartbeat in CompletingRebalance: error %d", code)
	}
	if codes := e.commit(commitReq(follower, 1, "t", map[int32]int64{0: 1})); !slices.Equal(codes, []int16{kerr.RebalanceInProgress.Code}) {
		t.Fatalf("commit in CompletingRebalance: %v, want REBALANCE_IN_PROGRESS", codes)
	}
	for _, bad := range []struct {
		req  *kmsg.SyncGroupRequest
		code int16
	}{
		{syncReq(follower, 0, nil), kerr.IllegalGeneration.Code},
		{syncReq("nobody", 1, nil), kerr.UnknownMemberID.Code},
		{func() *kmsg.SyncGroupRequest {
			r := syncReq(follower, 1, nil)
			p := "sticky"
			r.Protocol = &p
			return r
		}(), kerr.InconsistentGroupProtocol.Code},
	} {
		if got := recv(t, e.sync(bad.req)).ErrorCode; got != bad.code {
			t.Fatalf("bad sync: error %d, want %d", got, bad.code)
		}
	}
	// A new member arrives before the leader syncs: the waiting follower
	// is told to rejoin.
	c := e.memberID()
	e.join(context.Background(), joinReq(testGroup, c))
	if got := recv(t, s).ErrorCode; got != kerr.RebalanceInProgress.Code {
		t.Fatalf("waiting sync after rebalance: error %d, want REBALANCE_IN_PROGRESS", got)
	}
}

func TestProtocolSelection(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	a, b, c := e.memberID(), e.memberID(), e.memberID()
	chans := []<-chan *kmsg.JoinGroupResponse{
		e.join(context.Background(), joinReq(testGroup, a, "cooperative-sticky", "range")),
		e.join(context.Background(), joinReq(testGroup, b, "range", "cooperative-sticky")),
		e.join(context.Background(), joinReq(testGroup, c, "roundrobin", "range", "cooperative-sticky")),
	}
	for _, ch := range chans {
		if j := recv(t, ch); j.ErrorCode != 0 || *j.Protocol != "range" {
			t.Fatalf("join: error %d protocol %s, want range (2 votes)", j.ErrorCode, *j.Protocol)
		}
	}
	// A member supporting none of the group's protocols is refused.
	if j := recv(t, e.join(context.Background(), joinReq(testGroup, "", "roundrobin"))); j.ErrorCode != kerr.InconsistentGroupProtocol.Code {
		t.Fatalf("incompatible join: error %d, want INCONSISTENT_GROUP_PROTOCOL", j.ErrorCode)
	}
}

func TestJoinErrors(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	for name, tc := range map[string]struct {
		mod  func(*kmsg.JoinGroupRequest)
		code int16
	}{
		"no group":           {func(r *kmsg.JoinGroupRequest) { r.Group = "" }, kerr.InvalidGroupID.Code},
		"session too short":  {func(r *kmsg.JoinGroupRequest) { r.SessionTimeoutMillis = 10 }, kerr.InvalidSessionTimeout.Code},
		"session too long":   {func(r *kmsg.JoinGroupRequest) { r.SessionTimeoutMillis = 1 << 30 }, kerr.InvalidSessionTimeout.Code},
		"no protocols":       {func(r *kmsg.JoinGroupRequest) { r.Protocols = nil }, kerr.InconsistentGroupProtocol.Code},
		"no protocol type":   {func(r *kmsg.JoinGroupRequest) { r.ProtocolType = "" }, kerr.InconsistentGroupProtocol.Code},
		"unknown member":     {func(r *kmsg.JoinGroupRequest) { r.MemberID = "ghost" }, kerr.UnknownMemberID.Code},
		"first join (v4+)":   {func(r *kmsg.JoinGroupRequest) {}, kerr.MemberIDRequired.Code},
		"v3 needs no member": {func(r *kmsg.JoinGroupRequest) { r.Version = 3 }, 0},
	} {
		t.Run(name, func(t *testing.T) {
			req := joinReq("errors-"+name, "")
			tc.mod(req)
			if got := recv(t, e.join(context.Background(), req)).ErrorCode; got != tc.code {
				t.Fatalf("error %d, want %d", got, tc.code)
			}
		})
	}
}

func TestJoinCanceled(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	a, b := e.memberID(), e.memberID()
	ctx, cancel := context.WithCancel(context.Background())
	ja := e.join(ctx, joinReq(testGroup, a))
	e.waitWaiting(1)
	cancel()
	if got := recv(t, ja).ErrorCode; got != kerr.CoordinatorNotAvailable.Code {
		t.Fatalf("canceled join: error %d, want COORDINATOR_NOT_AVAILABLE", got)
	}
	// a no longer counts as joined: b's join completes at the rebalance
	// timeout without a.
	jb := e.join(context.Background(), joinReq(testGroup, b))
	e.waitWaiting(1)
	e.clock.advance(rebalanceMS * time.Millisecond)
	e.tick()
	if j := recv(t, jb); j.ErrorCode != 0 || len(j.Members) != 1 || j.LeaderID != b {
		t.Fatalf("join after timeout: %+v", j)
	}
}

func TestStaticMemberReplacesOldIncarnation(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	inst := "host-1"
	req := joinReq(testGroup, "")
	req.InstanceID = &inst
	j1 := recv(t, e.join(context.Background(), req))
	if j1.ErrorCode != 0 || j1.MemberID == "" || len(j1.Members) != 1 || j1.Members[0].InstanceID == nil {
		t.Fatalf("static join: %+v", j1)
	}
	e.syncAll(map[string]*kmsg.JoinGroupResponse{j1.MemberID: j1})
	j2 := recv(t, e.join(context.Background(), req))
	if j2.ErrorCode != 0 || j2.MemberID == j1.MemberID || j2.Generation != 2 {
		t.Fatalf("restarted static member: %+v", j2)
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation, hb.InstanceID = testGroup, j1.MemberID, 2, &inst
	if code := e.c.Heartbeat(hb).ErrorCode; code != kerr.FencedInstanceID.Code {
		t.Fatalf("old incarnation heartbeat: error %d, want FENCED_INSTANCE_ID", code)
	}
}

func TestOffsetCommitFetch(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	// Simple consumer: generation -1, no member id, creates the group.
	if codes := e.commit(commitReq("", -1, "logs", map[int32]int64{0: 10, 1: 20})); !slices.Equal(codes, []int16{0}) {
		t.Fatalf("simple commit: %v", codes)
	}
	if got := e.fetched("logs", 0, 1, 2); got[0] != 10 || got[1] != 20 || got[2] != -1 {
		t.Fatalf("fetch: %v", got)
	}

	// v7 form, all topics (nil), with leader epoch and metadata.
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 7
	req.Group = testGroup
	resp := e.c.OffsetFetch(req)
	if len(resp.Topics) != 1 || resp.Topics[0].Topic != "logs" || len(resp.Topics[0].Partitions) != 2 {
		t.Fatalf("fetch all: %+v", resp.Topics)
	}
	p := resp.Topics[0].Partitions[1]
	if p.Partition != 1 || p.Offset != 20 || p.LeaderEpoch != 7 || p.Metadata == nil || *p.Metadata != "meta-1" {
		t.Fatalf("fetched partition: %+v", p)
	}
	// An unknown group has no offsets and no error.
	req.Group = "other"
	if resp := e.c.OffsetFetch(req); resp.ErrorCode != 0 || len(resp.Topics) != 0 {
		t.Fatalf("fetch of unknown group: %+v", resp)
	}
	offs, ok := e.c.Offsets(testGroup)
	if !ok || len(offs) != 2 || offs[0].Offset != 10 || offs[1].Metadata != "meta-1" {
		t.Fatalf("Offsets: %+v %v", offs, ok)
	}

	big := commitReq("", -1, "logs", map[int32]int64{0: 11})
	meta := string(make([]byte, maxMetadataBytes+1))
	big.Topics[0].Partitions[0].Metadata = &meta
	if codes := e.commit(big); !slices.Equal(codes, []int16{kerr.OffsetMetadataTooLarge.Code}) {
		t.Fatalf("large metadata: %v", codes)
	}
}

func TestOffsetCommitValidation(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	a, b := e.memberID(), e.memberID()
	e.stable(a, b)
	for name, tc := range map[string]struct {
		member string
		gen    int32
		code   int16
	}{
		"current":          {a, 1, 0},
		"stale generation": {a, 0, kerr.IllegalGeneration.Code},
		"future gen":       {b, 2, kerr.IllegalGeneration.Code},
		"unknown member":   {"ghost", 1, kerr.UnknownMemberID.Code},
		"simple, nonempty": {"", -1, kerr.UnknownMemberID.Code},
	} {
		if codes := e.commit(commitReq(tc.member, tc.gen, "t", map[int32]int64{0: 5})); !slices.Equal(codes, []int16{tc.code}) {
			t.Errorf("%s: %v, want %d", name, codes, tc.code)
		}
	}
	other := commitReq(a, 3, "t", map[int32]int64{0: 5})
	other.Group = "nonexistent"
	if codes := e.commit(other); !slices.Equal(codes, []int16{kerr.IllegalGeneration.Code}) {
		t.Errorf("member commit to unknown group: %v", codes)
	}
	if got := e.fetched("t", 0); got[0] != 5 {
		t.Fatalf("fetch: %v", got)
	}
}

func TestStoreErrors(t *testing.T) {
	s := &memStore{}
	e := newEnv(t, s, Options{})
	s.setFail(errors.New("disk on fire"))
	if codes := e.commit(commitReq("", -1, "t", map[int32]int64{0: 5})); !slices.Equal(codes, []int16{kerr.CoordinatorNotAvailable.Code}) {
		t.Fatalf("commit with failing store: %v", codes)
	}
	s.setFail(fmt.Errorf("offsets partition moved: %w", kerr.NotCoordinator))
	if codes := e.commit(commitReq("", -1, "t", map[int32]int64{0: 5})); !slices.Equal(codes, []int16{kerr.NotCoordinator.Code}) {
		t.Fatalf("commit after losing leadership: %v", codes)
	}
	if got := e.fetched("t", 0); got[0] != -1 {
		t.Fatalf("an unstored commit is visible: %v", got)
	}

	// The leader's assignment cannot be stored: every member is told, and
	// the group rebalances.
	a := e.memberID()
	j := recv(t, e.join(context.Background(), joinReq(testGroup, a)))
	resp := recv(t, e.sync(syncReq(a, j.Generation, map[string]string{a: "x"})))
	if resp.ErrorCode != kerr.NotCoordinator.Code || e.describe().State != "PreparingRebalance" {
		t.Fatalf("sync with failing store: error %d state %s", resp.ErrorCode, e.describe().State)
	}
}

func TestRestartKeepsOffsets(t *testing.T) {
	path := tmpPath(t)
	e := newEnv(t, openFileStore(t, path), Options{})
	a, b := e.memberID(), e.memberID()
	e.stable(a, b)
	if codes := e.commit(commitReq(a, 1, "logs", map[int32]int64{0: 100, 1: 200})); !slices.Equal(codes, []int16{0}) {
		t.Fatal(codes)
	}
	if codes := e.commit(commitReq(b, 1, "logs", map[int32]int64{1: 201})); !slices.Equal(codes, []int16{0}) {
		t.Fatal(codes)
	}

	r := e.restart(openFileStore(t, path))
	if got := r.fetched("logs", 0, 1); got[0] != 100 || got[1] != 201 {
		t.Fatalf("offsets after restart: %v", got)
	}
	if d := r.describe(); d.State != "Empty" || d.ProtocolType != "consumer" || len(d.Members) != 0 {
		t.Fatalf("group after restart: %+v", d)
	}
	// Members do not survive: the old ones are unknown and rejoin.
	if code := r.heartbeat(a, 1); code != kerr.UnknownMemberID.Code {
		t.Fatalf("old member heartbeat: error %d, want UNKNOWN_MEMBER_ID", code)
	}
	if codes := r.commit(commitReq(a, 1, "logs", map[int32]int64{0: 101})); !slices.Equal(codes, []int16{kerr.UnknownMemberID.Code}) {
		t.Fatalf("old member commit: %v", codes)
	}
	a2 := r.memberID()
	j := recv(t, r.join(context.Background(), joinReq(testGroup, a2)))
	if j.ErrorCode != 0 || j.Generation != 2 {
		t.Fatalf("join after restart: error %d generation %d, want generation 2", j.ErrorCode, j.Generation)
	}
}

func TestDeleteGroups(t *testing.T) {
	path := tmpPath(t)
	e := newEnv(t, openFileStore(t, path), Options{})
	a := e.memberID()
	e.stable(a)
	e.commit(commitReq(a, 1, "logs", map[int32]int64{0: 1}))

	del := func(e *env, groups ...string) []int16 {
		req := kmsg.NewPtrDeleteGroupsRequest()
		req.Version = 2
		req.Groups = groups
		var codes []int16
		for _, g := range e.c.DeleteGroups(context.Background(), req).Groups {
			codes = append(codes, g.ErrorCode)
		}
		return codes
	}
	if codes := del(e, testGroup, "unknown"); !slices.Equal(codes, []int16{kerr.NonEmptyGroup.Code, kerr.GroupIDNotFound.Code}) {
		t.Fatalf("delete: %v", codes)
	}
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group, leave.MemberID = testGroup, a
	e.c.Leave(leave)
	e.tick() // writes the Empty generation
	if codes := del(e, testGroup); !slices.Equal(codes, []int16{0}) {
		t.Fatalf("delete of Empty group: %v", codes)
	}
	if d := e.describe(); d.State != "Dead" {
		t.Fatalf("deleted group: %s", d.State)
	}
	if got := e.fetched("logs", 0); got[0] != -1 {
		t.Fatalf("deleted group's offsets: %v", got)
	}
	r := e.restart(openFileStore(t, path))
	if d := r.describe(); d.State != "Dead" {
		t.Fatalf("deleted group after restart: %s", d.State)
	}
	if _, ok := r.c.Offsets(testGroup); ok {
		t.Fatal("deleted group's offsets came back after restart")
	}
}

func TestListGroups(t *testing.T) {
	e := newEnv(t, &memStore{}, Options{})
	a := e.memberID()
	e.stable(a)
	other := commitReq("", -1, "t", map[int32]int64{0: 1})
	other.Group = "simple"
	e.commit(other)

	list := func(states ...string) []string {
		req := kmsg.NewPtrListGroupsRequest()
		req.Version = 4
		req.StatesFilter = states
		var out []string
		for _, g := range e.c.ListGroups(req).Groups {
			out = append(out, g.Group+":"+g.GroupState+":"+g.ProtocolType)
		}
		return out
	}
	if got := list(); !slices.Equal(got, []string{"g:Stable:consumer", "simple:Empty:"}) {
		t.Fatalf("list: %v", got)
	}
	if got := list("empty"); !slices.Equal(got, []string{"simple:Empty:"}) {
		t.Fatalf("list Empty: %v", got)
	}
	byType := func(types ...string) []string {
		req := kmsg.NewPtrListGroupsRequest()
		req.Version = 5
		req.TypesFilter = types
		var out []string
		for _, g := range e.c.ListGroups(req).Groups {
			out = append(out, g.Group+":"+g.GroupType)
		}
		return out
	}
	if got := byType("Classic"); !slices.Equal(got, []string{"g:classic", "simple:classic"}) {
		t.Fatalf("list type classic: %v", got)
	}
	if got := byType("consumer", "share"); len(got) != 0 {
		t.Fatalf("list types consumer, share: %v", got)
	}
}

func TestIdleEmptyGroupIsDropped(t *testing.T) {
	s := &memStore{}
	e := newEnv(t, s, Options{})
	a := e.memberID()
	e.stable(a)
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group, leave.MemberID = testGroup, a
	e.c.Leave(leave)
	e.tick() // Empty without offsets: metadata tombstoned, group forgotten
	if d := e.describe(); d.State != "Dead" {
		t.Fatalf("idle group: %s", d.State)
	}
	r := e.restart(s)
	if d := r.describe(); d.State != "Dead" {
		t.Fatalf("idle group after restart: %s", d.State)
	}
}

func TestReplayKafkaRecordVersions(t *testing.T) {
	s := &memStore{}
	k := kmsg.NewOffsetCommitKey()
	k.Group, k.Topic, k.Partition = "old", "t", 3
	v := kmsg.NewOffsetCommitValue()
	v.Version, v.Offset, v.Metadata, v.ExpireTimestamp = 1, 42, "m", 99
	s.records = append(s.records, record{k.AppendTo(nil), v.AppendTo(nil)})
	gk := kmsg.NewGroupMetadataKey()
	gk.Version, gk.Group = 2, "old"
	gv := kmsg.NewGroupMetadataValue()
	gv.Version, gv.ProtocolType, gv.Generation = 4, "consumer", 17
	s.records = append(s.records, record{gk.AppendTo(nil), gv.AppendTo(nil)})
	s.records = append(s.records, record{[]byte{0, 9, 1}, []byte{1}}) // a newer kind: skipped

	c, err := New(s, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	offs, ok := c.Offsets("old")
	if !ok || len(offs) != 1 || offs[0].Offset != 42 || offs[0].LeaderEpoch != -1 || offs[0].Metadata != "m" {
		t.Fatalf("replayed: %+v", offs)
	}
	if g := c.groups["old"]; g.generation != 17 || g.protocolType != "consumer" || g.state != stateEmpty {
		t.Fatalf("replayed group: %+v", g)
	}

	// Records that do not decode are skipped and reported; the rest of
	// the log is replayed.
	s.records = append(s.records, record{[]byte{0, 1, 0}, []byte{0}}, record{[]byte{7}, []byte("x")},
		record{gk.AppendTo(nil), []byte{0, 3, 0xff}})
	var skipped []error
	c, err = New(s, Options{Skipped: func(err error) { skipped = append(skipped, err) }}, nil)
	if err != nil {
		t.Fatalf("records that do not decode stopped the replay: %v", err)
	}
	if len(skipped) != 3 {
		t.Fatalf("skipped %d records (%v), want 3", len(skipped), skipped)
	}
	if offs, ok := c.Offsets("old"); !ok || len(offs) != 1 || offs[0].Offset != 42 {
		t.Fatalf("replayed past bad records: %+v", offs)
	}
}

func TestRunExpiresSessions(t *testing.T) {
	c, err := New(&memStore{}, Options{MinSessionTimeout: time.Millisecond, TickInterval: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	e := &env{t: t, c: c}
	req := joinReq(testGroup, "")
	req.Version = 3
	req.SessionTimeoutMillis = 20
	j := recv(t, e.join(context.Background(), req))
	if j.ErrorCode != 0 {
		t.Fatalf("join: error %d", j.ErrorCode)
	}
	e.syncAll(map[string]*kmsg.JoinGroupResponse{j.MemberID: j})
	// No heartbeats: Run removes the member and then the idle group.
	e.waitState("Dead")
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{RebalanceDelay: -1},
		{MinSessionTimeout: time.Minute, MaxSessionTimeout: time.Second},
		{TickInterval: -1},
	} {
		if _, err := New(&memStore{}, o, nil); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func FuzzReplay(f *testing.F) {
	f.Add(offsetKey("g", "t", 1), offsetValue(offset{offset: 5, leaderEpoch: 2, metadata: "m"}))
	f.Add(groupMetadataKey("g"), []byte(nil))
	f.Fuzz(func(t *testing.T, key, value []byte) {
		s := &memStore{records: []record{{key, value}}}
		_, _ = New(s, Options{}, nil) // must not panic
	})
}
