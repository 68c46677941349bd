package clustertest_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestNetworkPartition: the leader of a partition is cut off from the
// coordinator and from the other brokers (proxies on both paths) while a
// client still reaches it. It cannot acknowledge acks=all writes; the
// others elect a new leader that takes writes; after healing, the old
// leader drops the tail it appended alone (leader-epoch truncation),
// follows, rejoins the ISR — and when it leads again it serves every
// acknowledged record once and nothing of what it never acknowledged.
func TestNetworkPartition(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	type member struct {
		id          int
		zk, kafka   *testcluster.Proxy
		b           *testcluster.Broker
		dir         string
		proxiedAddr string
	}
	members := map[int]*member{}
	start := func(m *member) {
		m.b = testcluster.StartBroker(t, m.id, m.zk.Addr(), m.dir, replicaConfig, func(c *broker.Config) {
			host, port, err := net.SplitHostPort(m.kafka.Addr())
			if err != nil {
				t.Fatal(err)
			}
			n, _ := strconv.Atoi(port)
			c.AdvertisedHost, c.AdvertisedPort = host, int32(n)
		})
		m.kafka.SetTarget(m.b.Addr())
		m.dir = m.b.Dir
	}
	var addrs []string
	for id := 1; id <= 3; id++ {
		m := &member{id: id, zk: testcluster.StartProxy(t, zkAddr), kafka: testcluster.StartProxy(t, "")}
		start(m)
		members[id] = m
		addrs = append(addrs, m.kafka.Addr())
	}
	testcluster.CreateReplicatedTopic(t, addrs[0], "split", 1, 3, nil)
	parts := brokertest.AwaitISR(t, addrs[0], "split", []int32{1, 2, 3})
	brokertest.ProduceNumbered(t, addrs, "split", "a", 1000)

	victim := members[int(parts[0].Leader)]
	var others []*member
	var otherAddrs []string
	for id := 1; id <= 3; id++ {
		if id != victim.id {
			others = append(others, members[id])
			otherAddrs = append(otherAddrs, members[id].kafka.Addr())
		}
	}
	victim.zk.Cut()
	victim.kafka.Cut()

	// A client that reaches the old leader, and only it, gets no acks=all
	// write acknowledged.
	direct, err := kgo.NewClient(kgo.SeedBrokers(victim.b.Addr()), kgo.DefaultProduceTopic("split"),
		kgo.DisableIdempotentWrite(), kgo.RecordRetries(0), kgo.ProduceRequestTimeout(2*time.Second),
		kgo.RecordDeliveryTimeout(5*time.Second), kgo.MetadataMinAge(100*time.Millisecond),
		kgo.Dialer(func(ctx context.Context, network, host string) (net.Conn, error) {
			if host != victim.kafka.Addr() && host != victim.b.Addr() {
				return nil, fmt.Errorf("%s is on the other side of the partition", host)
			}
			var d net.Dialer
			host = victim.b.Addr()
			return d.DialContext(ctx, network, host)
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < 5; i++ {
		r := &kgo.Record{Value: []byte(fmt.Sprintf("isolated-%d", i)), Partition: 0}
		if err := direct.ProduceSync(ctx, r).FirstErr(); err == nil {
			t.Fatalf("the cut-off leader acknowledged %s at offset %d", r.Value, r.Offset)
		} else {
			t.Logf("isolated write %d refused: %v", i, err)
		}
	}
	direct.Close()

	// The rest of the cluster moves on: a new leader from the ISR takes
	// acks=all writes.
	var live []int32
	for _, m := range others {
		live = append(live, int32(m.id))
	}
	brokertest.AwaitISR(t, otherAddrs[0], "split", live)
	brokertest.ProduceNumbered(t, otherAddrs, "split", "b", 1000)

	// Heal: the old leader gets a new session, follows, catches up.
	victim.zk.Heal()
	victim.kafka.Heal()
	brokertest.AwaitISR(t, otherAddrs[0], "split", []int32{1, 2, 3})

	// Make it lead again (the others stop) and read everything from it.
	for _, m := range others {
		m.b.Stop()
	}
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		ps, err := brokertest.Describe(t, victim.kafka.Addr(), "split")
		if err == nil && ps[0].Leader != int32(victim.id) {
			err = fmt.Errorf("leader %d", ps[0].Leader)
		}
		return err
	})
	got := brokertest.ConsumeAll(t, []string{victim.kafka.Addr()}, "split", 2000)
	brokertest.CheckExactlyOnce(t, got, map[string]int{"a": 1000, "b": 1000})
}
