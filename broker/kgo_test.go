package broker_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestFranzGoProduceConsumeGroup: franz-go with its defaults (idempotent
// producer, acks=all) writes 100,000 records over 3 partitions; a group of
// two consumers reads them while one member leaves half-way. Every record
// is consumed, per-partition order holds, and nothing committed is read
// twice.
func TestFranzGoProduceConsumeGroup(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	addr := b.Addr()
	testcluster.CreateTopic(t, addr, "events", 3)

	const n = 100000
	prod, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("events"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var produceErr error
	for i := 0; i < n; i++ {
		wg.Add(1)
		prod.Produce(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i % 97)), Value: []byte(fmt.Sprintf("%06d", i))}, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				produceErr = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	prod.Close()
	if produceErr != nil {
		t.Fatalf("produce: %v", produceErr)
	}

	// seen counts deliveries per value; byOffset[partition][offset] is the
	// value there (to check that offset order is production order);
	// committed[partition] is the offset below which an acknowledged
	// commit covered every record; floor[client][partition] is what
	// committed was when the client was assigned the partition (franz-go
	// runs OnPartitionsAssigned before it fetches the group's offsets):
	// the client must not be given a record below it. (A record below a
	// commit acknowledged later may come again: a member may commit a
	// partition a rebalance has already handed on, as in Kafka.)
	seen := make(map[string]int, n)
	byOffset := map[int32]map[int64]string{}
	committed := map[int32]int64{}
	floor := map[*kgo.Client]map[int32]int64{}
	var violations []string
	consume := func(cl *kgo.Client, stopAfter int) (int, error) {
		got := 0
		for got < stopAfter {
			fctx, fcancel := context.WithTimeout(ctx, 5*time.Second)
			fs := cl.PollFetches(fctx)
			fcancel()
			if err := fs.Err0(); err != nil && err != context.DeadlineExceeded {
				return got, err
			}
			if fs.NumRecords() == 0 {
				return got, nil
			}
			polled := map[int32]int64{}
			mu.Lock()
			fs.EachRecord(func(r *kgo.Record) {
				if f := floor[cl][r.Partition]; r.Offset < f {
					violations = append(violations, fmt.Sprintf("p%d offset %d delivered to a member assigned it after offsets up to %d were committed", r.Partition, r.Offset, f))
				}
				if byOffset[r.Partition] == nil {
					byOffset[r.Partition] = map[int64]string{}
				}
				byOffset[r.Partition][r.Offset] = string(r.Value)
				polled[r.Partition] = max(polled[r.Partition], r.Offset+1)
				seen[string(r.Value)]++
				got++
			})
			mu.Unlock()
			// Commit what was polled and count as committed only what the
			// broker acknowledged partition by partition: a rebalance
			// between the poll and the commit may take a partition away,
			// and CommitUncommittedOffsets then leaves it out and still
			// returns nil, so its records are rightly read again.
			offsets := map[int32]kgo.EpochOffset{}
			for p, o := range polled {
				offsets[p] = kgo.EpochOffset{Epoch: -1, Offset: o}
			}
			cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{"events": offsets},
				func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
					if err != nil {
						return
					}
					mu.Lock()
					defer mu.Unlock()
					for _, rt := range resp.Topics {
						for _, rp := range rt.Partitions {
							if rp.ErrorCode == 0 {
								committed[rp.Partition] = max(committed[rp.Partition], polled[rp.Partition])
							}
						}
					}
				})
		}
		return got, nil
	}
	newMember := func() *kgo.Client {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup("g"), kgo.ConsumeTopics("events"),
			kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.SessionTimeout(6*time.Second), kgo.HeartbeatInterval(500*time.Millisecond),
			kgo.OnPartitionsAssigned(func(_ context.Context, cl *kgo.Client, assigned map[string][]int32) {
				mu.Lock()
				defer mu.Unlock()
				if floor[cl] == nil {
					floor[cl] = map[int32]int64{}
				}
				for _, p := range assigned["events"] {
					floor[cl][p] = committed[p]
				}
			}))
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	a, c := newMember(), newMember()
	defer c.Close()
	var got int
	var aErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		var k int
		k, aErr = consume(a, n/4)
		mu.Lock()
		got += k
		mu.Unlock()
		a.Close() // leaves the group half-way
	}()
	k, err := consume(c, n)
	<-done
	if err != nil || aErr != nil {
		t.Fatalf("consume: %v / %v", err, aErr)
	}
	mu.Lock()
	got += k
	mu.Unlock()
	// The remaining member drains whatever is left after the rebalance.
	await.Eventually(t, 60*time.Second, 10*time.Millisecond, func() error {
		if _, err := consume(c, n); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != n {
			return fmt.Errorf("%d of %d distinct records consumed", len(seen), n)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if len(violations) > 0 {
		t.Fatalf("%d committed records read again, first: %s", len(violations), violations[0])
	}
	for p, m := range byOffset {
		offsets := make([]int64, 0, len(m))
		for o := range m {
			offsets = append(offsets, o)
		}
		sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
		for i := 1; i < len(offsets); i++ {
			if m[offsets[i]] <= m[offsets[i-1]] {
				t.Fatalf("partition %d: offset %d holds %s after %s: production order lost", p, offsets[i], m[offsets[i]], m[offsets[i-1]])
			}
		}
	}
	dups := 0
	for _, c := range seen {
		if c > 1 {
			dups++
		}
	}
	t.Logf("consumed %d distinct records, %d delivered again (uncommitted at a rebalance)", len(seen), dups)
}
