package indexer

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func records(topic string, p int32, from, to int64) []*kgo.Record {
	var out []*kgo.Record
	for o := from; o < to; o++ {
		out = append(out, &kgo.Record{Topic: topic, Partition: p, Offset: o})
	}
	return out
}

// commitMap is what committable offers, as partition → offset to commit.
func commitMap(o *offsets) map[int32]int64 {
	out := map[int32]int64{}
	for _, c := range o.committable() {
		out[c.rec.Partition] = c.rec.Offset + 1
	}
	return out
}

// TestOffsetsCommitOnlyFinishedPrefix: chunks finish out of order; what
// may be committed per partition is the end of the run of finished chunks
// from the oldest, never past an open or abandoned one.
func TestOffsetsCommitOnlyFinishedPrefix(t *testing.T) {
	o := newOffsets()
	a := topicPartition{"t", 0}
	b := topicPartition{"t", 1}
	ca := o.register(a, records("t", 0, 0, 10), 4, true) // 0-3, 4-7, 8-9
	cb := o.register(b, records("t", 1, 100, 104), 4, false)
	if len(ca) != 3 || len(cb) != 1 || !ca[2].flush || ca[1].flush || cb[0].flush {
		t.Fatalf("chunks %d and %d, flush flags wrong", len(ca), len(cb))
	}

	o.finish(ca[1], true)
	o.finish(ca[2], true)
	if got := commitMap(o); len(got) != 0 {
		t.Fatalf("committable %v before the oldest chunk finished", got)
	}
	o.finish(ca[0], true)
	o.finish(cb[0], true)
	got := commitMap(o)
	if got[0] != 10 || got[1] != 104 {
		t.Fatalf("committable %v, want 0→10 and 1→104", got)
	}
	o.committed(o.committable())
	if got := commitMap(o); len(got) != 0 {
		t.Fatalf("committable %v after committing", got)
	}

	// An abandoned chunk holds its partition's commits back for good.
	more := o.register(a, records("t", 0, 10, 20), 5, false)
	o.abandon(more[:1])
	o.finish(more[1], true)
	if got := commitMap(o); len(got) != 0 {
		t.Fatalf("committable %v past an abandoned chunk", got)
	}
}

// TestOffsetsFenceAndAssign: a revoked partition takes no chunks and
// offers nothing to commit; chunks in flight then finish into nothing;
// assigned again it starts afresh.
func TestOffsetsFenceAndAssign(t *testing.T) {
	o := newOffsets()
	a := topicPartition{"t", 0}
	open := o.register(a, records("t", 0, 0, 4), 4, false)

	o.fence([]topicPartition{a})
	if cs := o.register(a, records("t", 0, 4, 8), 4, false); cs != nil {
		t.Fatalf("a fenced partition took %d chunks", len(cs))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if o.settled(ctx, []topicPartition{a}) {
		t.Fatal("settled with a chunk open")
	}
	o.finish(open[0], true)
	if !o.settled(context.Background(), []topicPartition{a}) {
		t.Fatal("not settled once its chunk finished")
	}
	o.forget([]topicPartition{a})
	if got := commitMap(o); len(got) != 0 {
		t.Fatalf("committable %v for a forgotten partition", got)
	}

	o.assign([]topicPartition{a})
	cs := o.register(a, records("t", 0, 4, 8), 4, false)
	if len(cs) != 1 {
		t.Fatalf("%d chunks after assign, want 1", len(cs))
	}
	o.finish(cs[0], true)
	if got := commitMap(o); got[0] != 8 {
		t.Fatalf("committable %v, want 0→8", got)
	}
}

// TestOffsetsCommitNeverMovesBack: a committed offset is never offered
// again lower (records polled again from an older committed offset).
func TestOffsetsCommitNeverMovesBack(t *testing.T) {
	o := newOffsets()
	a := topicPartition{"t", 0}
	cs := o.register(a, records("t", 0, 0, 8), 8, false)
	o.finish(cs[0], true)
	o.committed(o.committable())
	again := o.register(a, records("t", 0, 4, 6), 8, false)
	o.finish(again[0], true)
	if got := commitMap(o); len(got) != 0 {
		t.Fatalf("committable %v below the committed 8", got)
	}
}
