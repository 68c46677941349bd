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
		got, changed := nextState(c.st, reps, c.live, c.unclean)
		if changed != c.changed || got.Leader != c.want.Leader || got.LeaderEpoch != c.want.LeaderEpoch || !slices.Equal(got.ISR, c.want.ISR) {
			t.Errorf("%s: got %+v changed=%v, want %+v changed=%v", c.name, got, changed, c.want, c.changed)
		}
	}
}

// TestEpochCache: OffsetForLeaderEpoch answers and truncation, through a
// save and reload of the checkpoint.
func TestEpochCache(t *testing.T) {
	dir := t.TempDir()
	c, err := loadEpochs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, off := c.endOffset(3, 100); e != -1 || off != -1 {
		t.Fatalf("empty cache: %d %d", e, off)
	}
	c.observe(0, 0)
	c.observe(2, 40)
	c.observe(1, 50) // older than the newest: ignored
	c.observe(5, 90)
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	c, err = loadEpochs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		epoch, wantEpoch int32
		wantEnd          int64
	}{{0, 0, 40}, {1, 0, 40}, {2, 2, 90}, {4, 2, 90}, {5, 5, 120}, {9, 5, 120}} {
		if e, off := c.endOffset(q.epoch, 120); e != q.wantEpoch || off != q.wantEnd {
			t.Errorf("endOffset(%d) = %d, %d; want %d, %d", q.epoch, e, off, q.wantEpoch, q.wantEnd)
		}
	}
	c.truncate(60)
	if c.latest() != 2 {
		t.Fatalf("after truncating at 60 the newest epoch is %d, want 2", c.latest())
	}
}
