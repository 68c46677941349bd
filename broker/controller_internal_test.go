package broker

import (
	"slices"
	"testing"
)

// TestNextState: the controller's election rules.
func TestNextState(t *testing.T) {
	live := func(ids ...int32) map[int32]bool {
		m := map[int32]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	reps := []int32{2, 3, 1}
	st := partitionState{Leader: 2, LeaderEpoch: 4, ISR: []int32{2, 3, 1}}
	cases := []struct {
		name    string
		st      partitionState
		live    map[int32]bool
		unclean bool
		want    partitionState
		changed bool
	}{
		{"all live", st, live(1, 2, 3), false, st, false},
		{"a follower died: it leaves the ISR", st, live(2, 3), false, partitionState{Leader: 2, LeaderEpoch: 4, ISR: []int32{2, 3}}, true},
		{"the leader died: next ISR member in replica order, epoch bumped", st, live(1, 3), false, partitionState{Leader: 3, LeaderEpoch: 5, ISR: []int32{3, 1}}, true},
		{"only an out-of-sync replica lives: offline, ISR kept", partitionState{Leader: 2, LeaderEpoch: 4, ISR: []int32{2}}, live(3), false, partitionState{Leader: -1, LeaderEpoch: 5, ISR: []int32{2}}, true},
		{"unclean election allowed: the live replica leads alone", partitionState{Leader: 2, LeaderEpoch: 4, ISR: []int32{2}}, live(3), true, partitionState{Leader: 3, LeaderEpoch: 5, ISR: []int32{3}}, true},
		{"offline stays offline", partitionState{Leader: -1, LeaderEpoch: 5, ISR: []int32{2}}, live(3), false, partitionState{Leader: -1, LeaderEpoch: 5, ISR: []int32{2}}, false},
		{"the last ISR member returns: it leads", partitionState{Leader: -1, LeaderEpoch: 5, ISR: []int32{2}}, live(2, 3), false, partitionState{Leader: 2, LeaderEpoch: 6, ISR: []int32{2}}, true},
	}
	for _, c := range cases {
		got, changed := nextState(c.st, reps, func(id int32) bool { return c.live[id] }, c.unclean)
		if changed != c.changed || got.Leader != c.want.Leader || got.LeaderEpoch != c.want.LeaderEpoch || !slices.Equal(got.ISR, c.want.ISR) {
			t.Errorf("%s: got %+v changed=%v, want %+v changed=%v", c.name, got, changed, c.want, c.changed)
		}
	}
}

// TestOfflineReplicaLosesLeadership: a replica its live broker reports on
// a failed log directory is treated as dead: it leaves the ISR and, as
// leader, hands over to the next ISR member; other partitions of the
// same broker keep it.
func TestOfflineReplicaLosesLeadership(t *testing.T) {
	live := map[int32]brokerInfo{1: {}, 2: {OfflineReplicas: map[string][]int32{"t": {0}}}, 3: {}}
	st := partitionState{Leader: 2, LeaderEpoch: 4, ISR: []int32{2, 3, 1}}
	got, changed := nextState(st, []int32{2, 3, 1}, replicaUsable(live, "t", 0), false)
	if !changed || got.Leader != 3 || got.LeaderEpoch != 5 || !slices.Equal(got.ISR, []int32{3, 1}) {
		t.Fatalf("offline leader replica: got %+v changed=%v", got, changed)
	}
	if _, changed := nextState(st, []int32{2, 3, 1}, replicaUsable(live, "t", 1), false); changed {
		t.Fatal("partition 1 of the same broker changed")
	}
	lone := partitionState{Leader: 2, LeaderEpoch: 4, ISR: []int32{2}}
	got, _ = nextState(lone, []int32{2, 3, 1}, replicaUsable(live, "t", 0), true)
	if got.Leader == 2 {
		t.Fatalf("unclean election chose the offline replica: %+v", got)
	}
}

// TestInitialState: a partition written without a state (Kafka 2.x's
// tools through ZooKeeper) starts with the live replicas in assignment
// order as its ISR, the first leading, at leader epoch 0; with none live
// it does not start.
func TestInitialState(t *testing.T) {
	live := func(ids ...int32) func(int32) bool { return func(id int32) bool { return slices.Contains(ids, id) } }
	st, ok := initialState([]int32{2, 3, 1}, live(1, 2, 3))
	if !ok || st.Leader != 2 || st.LeaderEpoch != 0 || !slices.Equal(st.ISR, []int32{2, 3, 1}) {
		t.Fatalf("all live: %+v, %v", st, ok)
	}
	st, ok = initialState([]int32{2, 3, 1}, live(1, 3))
	if !ok || st.Leader != 3 || !slices.Equal(st.ISR, []int32{3, 1}) {
		t.Fatalf("first replica down: %+v, %v", st, ok)
	}
	if st, ok := initialState([]int32{2, 3, 1}, live(4)); ok {
		t.Fatalf("none live: %+v started", st)
	}
}

// TestPreferredState: a preferred replica election moves leadership to
// the first replica only when it is live and in the ISR.
func TestPreferredState(t *testing.T) {
	live := func(ids ...int32) func(int32) bool { return func(id int32) bool { return slices.Contains(ids, id) } }
	reps := []int32{2, 3, 1}
	st := partitionState{Leader: 3, LeaderEpoch: 4, ISR: []int32{3, 1, 2}}
	got, ok := preferredState(st, reps, live(1, 2, 3))
	if !ok || got.Leader != 2 || got.LeaderEpoch != 5 || !slices.Equal(got.ISR, st.ISR) {
		t.Fatalf("preferred live and in sync: %+v, %v", got, ok)
	}
	if got, ok := preferredState(st, reps, live(1, 3)); ok {
		t.Fatalf("preferred down: moved to %+v", got)
	}
	if got, ok := preferredState(partitionState{Leader: 3, LeaderEpoch: 4, ISR: []int32{3, 1}}, reps, live(1, 2, 3)); ok {
		t.Fatalf("preferred out of the ISR: moved to %+v", got)
	}
	if _, ok := preferredState(partitionState{Leader: 2, ISR: []int32{2}}, reps, live(2)); ok {
		t.Fatal("the preferred replica leads already: changed")
	}
}

// TestImbalanced: Kafka's check, per preferred broker: more than the
// percentage of its partitions led elsewhere elects them all.
func TestImbalanced(t *testing.T) {
	// Broker 1 is preferred for 10 partitions and leads 9; broker 2 is
	// preferred for 2 and leads 1.
	t1 := &topic{name: "a"}
	for i := range 10 {
		leader := int32(1)
		if i == 3 {
			leader = 2
		}
		t1.replicas = append(t1.replicas, []int32{1, 2})
		t1.states = append(t1.states, partitionState{Leader: leader, ISR: []int32{1, 2}})
		t1.versions = append(t1.versions, 0)
	}
	t2 := &topic{name: "b", replicas: [][]int32{{2, 1}, {2, 1}, {2, 1}}, versions: []int32{0, 0, -1},
		states: []partitionState{{Leader: 1, ISR: []int32{1, 2}}, {Leader: 2, ISR: []int32{1, 2}}, {Leader: -1}}}
	topics := map[string]*topic{"a": t1, "b": t2}
	if got := imbalanced(topics, 10); !slices.Equal(got, []stateKey{{"b", 0}}) {
		t.Fatalf("imbalanced at 10%%: %v, want only b-0 (a's 1 in 10 is not above 10%%; b-2 has no state yet)", got)
	}
	if got := imbalanced(topics, 5); !slices.Equal(got, []stateKey{{"a", 3}, {"b", 0}}) {
		t.Fatalf("imbalanced at 5%%: %v, want a-3 and b-0", got)
	}
	if got := imbalanced(topics, 100); len(got) != 0 {
		t.Fatalf("imbalanced at 100%%: %v, want none", got)
	}
}
