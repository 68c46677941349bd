package clustertest_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/broker/group"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// replicaConfig is what the replication tests run brokers with: short
// session and lag timeouts so failures are noticed in seconds, and
// __consumer_offsets replicated on three brokers (Kafka's default).
func replicaConfig(c *broker.Config) {
	c.ZooKeeperSessionTimeout, c.ReplicaLagTimeMax = 4*time.Second, 3*time.Second
	c.OffsetsReplication = 3
}

// TestReplicatedFailover: a topic with 3 partitions × 3 replicas on three
// brokers; acks=all records survive its leaders' broker stopping (a new
// leader is elected from the ISR, which loses the broker) and that broker
// returning (it catches up and rejoins the ISR); a consumer reads every
// record exactly once.
func TestReplicatedFailover(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	brokers := map[int]*testcluster.Broker{}
	var addrs []string
	for id := 1; id <= 3; id++ {
		brokers[id] = testcluster.StartBroker(t, id, zkAddr, "", replicaConfig)
		addrs = append(addrs, brokers[id].Addr())
	}
	testcluster.CreateReplicatedTopic(t, addrs[0], "magedu", 3, 3, nil)
	parts := brokertest.AwaitISR(t, addrs[0], "magedu", []int32{1, 2, 3})
	leaders := map[int32]bool{}
	for _, p := range parts {
		if len(p.Replicas) != 3 || p.Replicas[0] != p.Leader {
			t.Fatalf("partition %+v: want 3 replicas led by the first", p)
		}
		leaders[p.Leader] = true
	}
	if len(leaders) != 3 {
		t.Fatalf("leaders %v: not staggered over the brokers", leaders)
	}
	brokertest.ProduceNumbered(t, addrs, "magedu", "a", 3000)

	victim := int(parts[0].Leader)
	dir := brokers[victim].Dir
	brokers[victim].Stop()
	var live []int32
	var liveAddrs []string
	for id := 1; id <= 3; id++ {
		if id != victim {
			live = append(live, int32(id))
			liveAddrs = append(liveAddrs, brokers[id].Addr())
		}
	}
	after := brokertest.AwaitISR(t, liveAddrs[0], "magedu", live)
	if after[0].Leader == int32(victim) || after[0].Epoch <= parts[0].Epoch {
		t.Fatalf("partition 0 after its leader stopped: %+v (before %+v)", after[0], parts[0])
	}
	brokertest.ProduceNumbered(t, liveAddrs, "magedu", "b", 3000)

	brokers[victim] = testcluster.StartBroker(t, victim, zkAddr, dir, replicaConfig)
	brokertest.AwaitISR(t, liveAddrs[0], "magedu", []int32{1, 2, 3})
	brokertest.ProduceNumbered(t, liveAddrs, "magedu", "c", 1000)
	brokertest.CheckExactlyOnce(t, brokertest.ConsumeAll(t, liveAddrs, "magedu", 7000), map[string]int{"a": 3000, "b": 3000, "c": 1000})
}

// TestMinInsyncReplicas: with min.insync.replicas=2 and two of three
// brokers down, acks=all produce fails with NOT_ENOUGH_REPLICAS and
// nothing becomes visible; with one back, produce succeeds.
func TestMinInsyncReplicas(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	brokers := map[int]*testcluster.Broker{}
	var addrs []string
	for id := 1; id <= 3; id++ {
		brokers[id] = testcluster.StartBroker(t, id, zkAddr, "", replicaConfig)
		addrs = append(addrs, brokers[id].Addr())
	}
	testcluster.CreateReplicatedTopic(t, addrs[0], "strict", 1, 3, map[string]string{"min.insync.replicas": "2"})
	parts := brokertest.AwaitISR(t, addrs[0], "strict", []int32{1, 2, 3})
	brokertest.ProduceNumbered(t, addrs, "strict", "a", 100)

	leader := int(parts[0].Leader)
	var down []int
	for id := 1; id <= 3; id++ {
		if id != leader {
			down = append(down, id)
		}
	}
	dirs := map[int]string{}
	for _, id := range down {
		dirs[id] = brokers[id].Dir
		brokers[id].Stop()
	}
	leaderAddr := brokers[leader].Addr()
	brokertest.AwaitISR(t, leaderAddr, "strict", []int32{int32(leader)})

	cl, err := kgo.NewClient(kgo.SeedBrokers(leaderAddr), kgo.DefaultProduceTopic("strict"),
		kgo.DisableIdempotentWrite(), kgo.RecordRetries(0), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = cl.ProduceSync(ctx, &kgo.Record{Value: []byte("refused")}).FirstErr()
	cl.Close()
	if !errors.Is(err, kerr.NotEnoughReplicas) {
		t.Fatalf("produce with the ISR below min.insync.replicas: %v, want NOT_ENOUGH_REPLICAS", err)
	}

	brokers[down[0]] = testcluster.StartBroker(t, down[0], zkAddr, dirs[down[0]], replicaConfig)
	want := []int32{int32(leader), int32(down[0])}
	slices.Sort(want)
	brokertest.AwaitISR(t, leaderAddr, "strict", want)
	brokertest.ProduceNumbered(t, []string{leaderAddr}, "strict", "b", 100)
	got := brokertest.ConsumeAll(t, []string{leaderAddr}, "strict", 200)
	for _, v := range got[0] {
		if v == "refused" {
			t.Fatal("a refused record became visible")
		}
	}
	brokertest.CheckExactlyOnce(t, got, map[string]int{"a": 100, "b": 100})
}

// TestReplicatedTopicLifecycle: partitions added to a replicated topic get
// replicas and an ISR on every broker, and a deleted topic is gone from
// all of them (followers stop fetching it).
func TestReplicatedTopicLifecycle(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	var addrs []string
	var dirs []string
	for id := 1; id <= 3; id++ {
		b := testcluster.StartBroker(t, id, zkAddr, "", replicaConfig)
		addrs = append(addrs, b.Addr())
		dirs = append(dirs, b.Dir)
	}
	testcluster.CreateReplicatedTopic(t, addrs[0], "grow", 2, 3, nil)
	brokertest.AwaitISR(t, addrs[0], "grow", []int32{1, 2, 3})
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if rs, err := adm.CreatePartitions(ctx, 2, "grow"); err != nil || rs["grow"].Err != nil {
		t.Fatalf("create partitions: %v %v", err, rs["grow"].Err)
	}
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		// Every broker learns of the new partitions through its watch.
		for _, addr := range addrs {
			if parts := brokertest.AwaitISR(t, addr, "grow", []int32{1, 2, 3}); len(parts) != 4 {
				return fmt.Errorf("%s describes %d partitions", addr, len(parts))
			}
		}
		return nil
	})
	brokertest.ProduceNumbered(t, addrs, "grow", "a", 2000)
	brokertest.CheckExactlyOnce(t, brokertest.ConsumeAll(t, addrs, "grow", 2000), map[string]int{"a": 2000})

	if rs, err := adm.DeleteTopics(ctx, "grow"); err != nil || rs["grow"].Err != nil {
		t.Fatalf("delete: %v %v", err, rs["grow"].Err)
	}
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		for i, dir := range dirs {
			matches, _ := filepath.Glob(filepath.Join(dir, "logs", "grow-*"))
			if len(matches) > 0 {
				return fmt.Errorf("broker %d still holds %v", i+1, matches)
			}
		}
		return nil
	})
}

// TestGroupSurvivesGroupHostLoss: __consumer_offsets is replicated, so
// when the broker hosting a group (leading its offsets partition) stops,
// another takes over with the committed offsets: the group resumes where
// it committed.
func TestGroupSurvivesGroupHostLoss(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	brokers := map[int32]*testcluster.Broker{}
	var addrs []string
	for id := 1; id <= 3; id++ {
		brokers[int32(id)] = testcluster.StartBroker(t, id, zkAddr, "", replicaConfig)
		addrs = append(addrs, brokers[int32(id)].Addr())
	}
	testcluster.CreateReplicatedTopic(t, addrs[0], "work", 3, 3, nil)
	brokertest.AwaitISR(t, addrs[0], "work", []int32{1, 2, 3})
	brokertest.ProduceNumbered(t, addrs, "work", "a", 3000)

	consume := func(seeds []string, want int) []string {
		cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumerGroup("workers"), kgo.ConsumeTopics("work"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var got []string
		for len(got) < want && ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
		cl.LeaveGroup()
		return got
	}
	first := consume(addrs, 3000)
	if len(first) != 3000 {
		t.Fatalf("first consumer read %d records", len(first))
	}

	// Stop the broker leading the group's offsets partition (its host).
	var host int32
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		parts, err := brokertest.Describe(t, addrs[0], "__consumer_offsets")
		if err == nil {
			p := parts[group.PartitionFor("workers", int32(len(parts)))]
			if len(p.ISR) != 3 {
				return fmt.Errorf("offsets ISR %v", p.ISR)
			}
			host = p.Leader
		}
		return err
	})
	brokers[host].Stop()
	var rest []string
	for id, b := range brokers {
		if id != host {
			rest = append(rest, b.Addr())
		}
	}
	brokertest.ProduceNumbered(t, rest, "work", "b", 1000)
	second := consume(rest, 1000)
	got := map[int32][]string{0: append(first, second...)}
	brokertest.CheckExactlyOnce(t, got, map[string]int{"a": 3000, "b": 1000})
}
