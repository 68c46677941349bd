package group

import (
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const week = 7 * 24 * time.Hour

// TestStandaloneOffsetsExpireByCommitTime: a group without a protocol type
// (commits with generation -1) loses each offset once offsets.retention
// has passed since its commit, at the next check, and a tombstone keeps it
// lost across a restart.
func TestStandaloneOffsetsExpireByCommitTime(t *testing.T) {
	path := tmpPath(t)
	e := newEnv(t, openFileStore(t, path), Options{})
	if codes := e.commit(commitReq("", -1, "logs", map[int32]int64{0: 10})); !slices.Equal(codes, []int16{0}) {
		t.Fatal(codes)
	}
	e.clock.advance(3 * 24 * time.Hour)
	if codes := e.commit(commitReq("", -1, "logs", map[int32]int64{1: 20})); !slices.Equal(codes, []int16{0}) {
		t.Fatal(codes)
	}
	e.clock.advance(week - 3*24*time.Hour - time.Minute)
	e.tick()
	if got := e.fetched("logs", 0, 1); got[0] != 10 || got[1] != 20 {
		t.Fatalf("a minute before partition 0's offset is a week old: %v", got)
	}
	e.clock.advance(2 * time.Minute) // within the 10-minute check interval
	e.tick()
	if got := e.fetched("logs", 0); got[0] != 10 {
		t.Fatalf("expired before the next check: %v", got)
	}
	e.clock.advance(10 * time.Minute)
	e.tick()
	if got := e.fetched("logs", 0, 1); got[0] != -1 || got[1] != 20 {
		t.Fatalf("after the check: %v, want partition 0 expired, 1 kept", got)
	}
	r := e.restart(openFileStore(t, path))
	if got := r.fetched("logs", 0, 1); got[0] != -1 || got[1] != 20 {
		t.Fatalf("after a restart: %v", got)
	}
	r.clock.advance(4 * 24 * time.Hour)
	r.tick()
	if got := r.fetched("logs", 1); got[1] != -1 {
		t.Fatalf("partition 1 a week after its commit: %v", got)
	}
	if d := r.describe(); d.State != "Dead" {
		t.Fatalf("the group without offsets is %s, want forgotten (Dead)", d.State)
	}
}

// TestConsumerGroupOffsetsExpireOnceEmpty: a consumer group's offsets do
// not expire while it has members, however old; once it is Empty they all
// expire a retention period after it became Empty (counted from then also
// across a restart, from its metadata record), and the group is forgotten.
func TestConsumerGroupOffsetsExpireOnceEmpty(t *testing.T) {
	path := tmpPath(t)
	e := newEnv(t, openFileStore(t, path), Options{})
	a := e.memberID()
	e.stable(a)
	if codes := e.commit(commitReq(a, 1, "logs", map[int32]int64{0: 100, 1: 200})); !slices.Equal(codes, []int16{0}) {
		t.Fatal(codes)
	}
	e.clock.advance(2 * week)
	if code := e.heartbeat(a, 1); code != 0 {
		t.Fatalf("heartbeat: %d", code)
	}
	e.tick()
	if got := e.fetched("logs", 0, 1); got[0] != 100 || got[1] != 200 {
		t.Fatalf("a Stable group's offsets two weeks old: %v", got)
	}
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group, leave.MemberID = testGroup, a
	e.c.Leave(leave)
	e.tick() // Empty: its metadata record says since when
	e.clock.advance(5 * 24 * time.Hour)
	e.tick()

	// Restarted five days after the group became Empty: two more days.
	r := e.restart(openFileStore(t, path))
	r.clock.advance(2*24*time.Hour - time.Hour)
	r.tick()
	if got := r.fetched("logs", 0, 1); got[0] != 100 || got[1] != 200 {
		t.Fatalf("an hour before a week Empty: %v", got)
	}
	r.clock.advance(2 * time.Hour)
	r.tick()
	if got := r.fetched("logs", 0, 1); got[0] != -1 || got[1] != -1 {
		t.Fatalf("a week Empty: %v, want every offset expired", got)
	}
	if d := r.describe(); d.State != "Dead" {
		t.Fatalf("the Empty group without offsets is %s, want forgotten (Dead)", d.State)
	}
	if d := r.restart(openFileStore(t, path)).describe(); d.State != "Dead" {
		t.Fatalf("after another restart the group is %s", d.State)
	}
}
