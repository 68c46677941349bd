package partition

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TestWaitCommittedAcrossEpochs: an acks=all wait survives a new leader
// epoch with the same leader (the controller bumps it when a reassignment
// starts or completes), and its batch commits once the follower has it;
// a wait from before this replica stopped leading and led again fails
// with NOT_LEADER_OR_FOLLOWER, since it may have truncated the batch as a
// follower in between. Requests naming an older epoch are fenced, a newer
// one is unknown.
func TestWaitCommittedAcrossEpochs(t *testing.T) {
	p := openAs(t, t.TempDir(), State{Leader: 1, LeaderEpoch: 3, ISR: []int32{1, 2}})
	defer p.Close()
	_, last, epoch, err := p.Append(producerBatch(7, 0, 0, "a"), true)
	if err != nil || epoch != 3 {
		t.Fatalf("append: epoch %d, %v", epoch, err)
	}
	wait := func(epoch int32) chan error {
		done := make(chan error, 1)
		go func() { done <- p.WaitCommitted(context.Background(), last, epoch, time.Now().Add(time.Minute)) }()
		return done
	}
	done := wait(epoch)
	p.SetState(State{Leader: 1, LeaderEpoch: 4, ISR: []int32{1, 2}}, 1, []int32{1, 2, 3}, time.Now())
	if err := p.CheckEpoch(3); !errors.Is(err, kerr.FencedLeaderEpoch) {
		t.Fatalf("epoch 3 after the bump: %v, want FENCED_LEADER_EPOCH", err)
	}
	if err := p.CheckEpoch(5); !errors.Is(err, kerr.UnknownLeaderEpoch) {
		t.Fatalf("epoch 5 after the bump: %v, want UNKNOWN_LEADER_EPOCH", err)
	}
	if e, end := p.EndOffsetFor(3); e != 3 || end != last+1 {
		t.Fatalf("OffsetForLeaderEpoch 3: epoch %d end %d, want 3 and %d", e, end, last+1)
	}
	p.FollowerFetched(2, last+1, time.Now())
	if err := <-done; err != nil {
		t.Fatalf("acks=all wait across the epoch bump: %v", err)
	}

	_, last, epoch, err = p.Append(producerBatch(7, 0, 1, "b"), true)
	if err != nil || epoch != 4 {
		t.Fatalf("append: epoch %d, %v", epoch, err)
	}
	done = wait(epoch)
	p.SetState(State{Leader: 2, LeaderEpoch: 5, ISR: []int32{1, 2}}, 2, []int32{1, 2}, time.Now())
	p.SetState(State{Leader: 1, LeaderEpoch: 6, ISR: []int32{1, 2}}, 3, []int32{1, 2}, time.Now())
	if err := <-done; !errors.Is(err, kerr.NotLeaderForPartition) {
		t.Fatalf("acks=all wait across another leader's epoch: %v, want NOT_LEADER_OR_FOLLOWER", err)
	}
}
