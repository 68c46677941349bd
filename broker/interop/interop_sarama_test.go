package interop_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestSarama: sarama's idempotent SyncProducer (acks=all) writes 5,000
// records to 3 partitions; a sarama ConsumerGroup of two members reads them
// all and commits; after both closed, the committed offsets, fetched with
// sarama's ClusterAdmin, are the partitions' end offsets.
func TestSarama(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	addr := b.Addr()
	const topic, group, n = "sarama-events", "sarama-group", 5000
	testcluster.CreateTopic(t, addr, topic, 3)

	pcfg := brokertest.SaramaConfig()
	pcfg.Producer.RequiredAcks = sarama.WaitForAll
	pcfg.Producer.Idempotent = true
	pcfg.Net.MaxOpenRequests = 1
	pcfg.Producer.Retry.Max = 5
	pcfg.Producer.Return.Successes = true
	prod, err := sarama.NewSyncProducer([]string{addr}, pcfg)
	if err != nil {
		t.Fatalf("sarama sync producer: %v", err)
	}
	for i := 0; i < n; i++ {
		_, _, err := prod.SendMessage(&sarama.ProducerMessage{
			Topic: topic,
			Key:   sarama.StringEncoder(fmt.Sprint(i)),
			Value: sarama.StringEncoder(fmt.Sprintf("sarama-%05d", i)),
		})
		if err != nil {
			_ = prod.Close()
			t.Fatalf("sarama send %d: %v", i, err)
		}
	}
	if err := prod.Close(); err != nil {
		t.Fatalf("sarama producer close: %v", err)
	}

	ccfg := brokertest.SaramaConfig()
	ccfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	ccfg.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
	ccfg.Consumer.Group.Session.Timeout = 10 * time.Second
	ccfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	ccfg.Consumer.Return.Errors = true
	h := &saramaHandler{seen: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for m := 0; m < 2; m++ {
		cg, err := sarama.NewConsumerGroup([]string{addr}, group, ccfg)
		if err != nil {
			t.Fatalf("sarama consumer group member %d: %v", m, err)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			for err := range cg.Errors() {
				select {
				case errs <- err:
				default:
				}
			}
		}()
		go func() {
			defer wg.Done()
			defer func() {
				if err := cg.Close(); err != nil {
					select {
					case errs <- fmt.Errorf("member %d close: %w", m, err):
					default:
					}
				}
			}()
			// Consume returns at every rebalance; join again until the
			// test is done.
			for ctx.Err() == nil {
				if err := cg.Consume(ctx, []string{topic}, h); err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
					select {
					case errs <- fmt.Errorf("member %d: %w", m, err):
					default:
					}
					if ctx.Err() == nil {
						time.Sleep(100 * time.Millisecond)
					}
				}
			}
		}()
	}
	// stopMembers ends both members (they leave the group and commit) and
	// reports whether they stopped in time; it also runs if the test
	// fails before the broker stops.
	var stopOnce sync.Once
	stopped := false
	stopMembers := func() bool {
		stopOnce.Do(func() {
			cancel()
			waited := make(chan struct{})
			go func() { wg.Wait(); close(waited) }()
			select {
			case <-waited:
				stopped = true
			case <-time.After(60 * time.Second):
			}
		})
		return stopped
	}
	t.Cleanup(func() { stopMembers() })
	await.Eventually(t, 2*time.Minute, 50*time.Millisecond, func() error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.seen) < n {
			select {
			case err := <-errs:
				t.Logf("consumer group: %v", err)
			default:
			}
			return fmt.Errorf("%d of %d distinct values consumed (sessions: %v)", len(h.seen), n, h.sessions)
		}
		return nil
	})
	if !stopMembers() {
		t.Fatal("sarama consumer group members did not stop within 60s")
	}
	close(errs)
	for err := range errs {
		t.Logf("consumer group: %v", err)
	}

	h.mu.Lock()
	if len(h.seen) != n {
		t.Fatalf("consumed %d distinct values, want %d", len(h.seen), n)
	}
	again := 0
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("sarama-%05d", i)
		if h.seen[v] == 0 {
			t.Fatalf("value %s never consumed", v)
		}
		again += h.seen[v] - 1
	}
	t.Logf("consumed %d values (%d delivered again after a rebalance); sessions and their claims: %v", n, again, h.sessions)
	h.mu.Unlock()

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends := brokertest.EndOffsets(t, cl, topic)
	total := int64(0)
	for _, e := range ends {
		total += e
	}
	if total != n {
		t.Fatalf("end offsets %v sum to %d, want %d", ends, total, n)
	}
	admin, err := sarama.NewClusterAdmin([]string{addr}, brokertest.SaramaConfig())
	if err != nil {
		t.Fatalf("sarama cluster admin: %v", err)
	}
	defer admin.Close()
	res, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2}})
	if err != nil {
		t.Fatalf("sarama ListConsumerGroupOffsets: %v", err)
	}
	for p, end := range ends {
		blk := res.GetBlock(topic, p)
		if blk == nil {
			t.Fatalf("OffsetFetch of %s has no %s/%d", group, topic, p)
		}
		if !errors.Is(blk.Err, sarama.ErrNoError) || blk.Offset != end {
			t.Fatalf("committed offset of %s/%d is %d (err %v), want the end offset %d", topic, p, blk.Offset, blk.Err, end)
		}
	}
}

// saramaHandler records every value the group's members consume and marks
// it consumed, so that sarama commits it; Cleanup commits at the end of
// every session.
type saramaHandler struct {
	mu       sync.Mutex
	seen     map[string]int
	sessions []string // member id prefix and claims of every session set up
}

func (h *saramaHandler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sessions = append(h.sessions, fmt.Sprintf("gen %d %s: %v", s.GenerationID(), s.MemberID(), s.Claims()))
	return nil
}

func (h *saramaHandler) Cleanup(s sarama.ConsumerGroupSession) error {
	s.Commit()
	return nil
}

func (h *saramaHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for {
		select {
		case msg, ok := <-c.Messages():
			if !ok {
				return nil
			}
			h.mu.Lock()
			h.seen[string(msg.Value)]++
			h.mu.Unlock()
			s.MarkMessage(msg, "")
		case <-s.Context().Done():
			return nil
		}
	}
}
