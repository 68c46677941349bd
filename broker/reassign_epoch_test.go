package broker_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestReassignmentBumpsLeaderEpoch: as Kafka's controller, starting a
// reassignment bumps the partition's leader epoch (leader and ISR kept),
// and completing or cancelling it bumps it again. Held in progress by a
// new replica on a registered broker that never fetches, the partition
// is at the next epoch on every broker and in each replica; the leader
// fences Fetch and OffsetForLeaderEpoch naming the old epoch
// (FENCED_LEADER_EPOCH) or one it does not know yet
// (UNKNOWN_LEADER_EPOCH) and tells where the old epoch ended; acks=all
// produces and a consumer carry on. A cancel and a real move each end at
// one more epoch; every record is read once.
func TestReassignmentBumpsLeaderEpoch(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	noRebalance := func(c *broker.Config) { c.AutoLeaderRebalance = false }
	var brokers []*testcluster.Broker
	var addrs []string
	for id := 1; id <= 3; id++ {
		brokers = append(brokers, testcluster.StartBroker(t, id, zkAddr, "", noRebalance))
		addrs = append(addrs, brokers[id-1].Addr())
	}
	const topic = "epochs"
	testcluster.CreateReplicatedTopic(t, addrs[0], topic, 1, 2, nil)
	brokertest.AwaitPreferred(t, addrs, topic, 1, func(int, []int32) error { return nil })
	brokertest.ProduceNumbered(t, addrs, topic, "before", 100)
	ctl, _, parts := brokertest.ControllerAddrs(t, addrs, topic)
	leader, orig, e0 := parts[0].Leader, parts[0].Replicas, parts[0].Epoch
	follower, spare := brokertest.OtherReplica(orig, leader), int32(6)-orig[0]-orig[1]

	// Broker 9 registers (as a broker would) but never serves: a
	// reassignment adding it stays in progress.
	zc, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	port := testpeer.FreePort(t)
	reg, _ := json.Marshal(map[string]any{"listener_security_protocol_map": map[string]string{"PLAINTEXT": "PLAINTEXT"},
		"endpoints": []string{fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", port)}, "jmx_port": -1, "host": "127.0.0.1",
		"port": port, "version": 4, "timestamp": "0"})
	if _, err := zc.Create("/brokers/ids/9", reg, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		if got := brokertest.AlterReassignment(t, ctl, topic, 0, []int32{leader, follower, 9}); got != 0 {
			return fmt.Errorf("reassignment onto broker 9: %v", kerr.ErrorForCode(got))
		}
		return nil
	})
	awaitEpoch(t, addrs, topic, e0+1, []int32{leader, follower, 9}, []int32{leader, follower})
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		for id, want := range map[int32]string{leader: "leader", follower: "follower"} {
			if role, epoch := broker.ReplicaEpoch(brokers[id-1].Broker, topic, 0); role != want || epoch != e0+1 {
				return fmt.Errorf("broker %d's replica is %s at epoch %d, want %s at %d", id, role, epoch, want, e0+1)
			}
		}
		return nil
	})

	leaderAddr := addrs[leader-1]
	for _, c := range []struct {
		current int32
		want    *kerr.Error
	}{{e0, kerr.FencedLeaderEpoch}, {e0 + 2, kerr.UnknownLeaderEpoch}, {e0 + 1, nil}, {-1, nil}} {
		if got := fetchAtEpoch(t, leaderAddr, topic, c.current); got != errCodeOf(c.want) {
			t.Errorf("Fetch with current leader epoch %d: %v, want %v", c.current, kerr.ErrorForCode(got), c.want)
		}
		if got, _, _ := offsetForEpoch(t, leaderAddr, topic, c.current, e0); got != errCodeOf(c.want) {
			t.Errorf("OffsetForLeaderEpoch with current leader epoch %d: %v, want %v", c.current, kerr.ErrorForCode(got), c.want)
		}
	}
	if code, epoch, end := offsetForEpoch(t, leaderAddr, topic, e0+1, e0); code != 0 || epoch != e0 || end != 100 {
		t.Errorf("OffsetForLeaderEpoch of epoch %d: %v, epoch %d ends at %d; want epoch %d ending at 100", e0, kerr.ErrorForCode(code), epoch, end, e0)
	}
	brokertest.ProduceNumbered(t, addrs, topic, "during", 100)

	// The cancel completes at once: one more epoch.
	if got := brokertest.AlterReassignment(t, ctl, topic, 0, nil); got != 0 {
		t.Fatalf("cancel: %v", kerr.ErrorForCode(got))
	}
	awaitEpoch(t, addrs, topic, e0+2, orig, orig)

	// A real move keeping the leader: started and completed, two more.
	target := []int32{leader, spare}
	if got := brokertest.AlterReassignment(t, ctl, topic, 0, target); got != 0 {
		t.Fatalf("reassign to %v: %v", target, kerr.ErrorForCode(got))
	}
	awaitEpoch(t, addrs, topic, e0+4, target, target)
	brokertest.CheckExactlyOnce(t, brokertest.ConsumeAll(t, addrs, topic, 200), map[string]int{"before": 100, "during": 100})
}

func errCodeOf(e *kerr.Error) int16 {
	if e == nil {
		return 0
	}
	return e.Code
}

// awaitEpoch waits until every broker answers topic-0 at leader epoch
// epoch with these replicas and ISR.
func awaitEpoch(t *testing.T, addrs []string, topic string, epoch int32, replicas, isr []int32) {
	t.Helper()
	brokertest.AwaitMetadata(t, addrs, topic, func(md brokertest.ZkTopic) error {
		if p := md.Parts[0]; p.Epoch != epoch || !slices.Equal(p.Replicas, replicas) || !brokertest.SameIDs(p.ISR, isr) {
			return fmt.Errorf("%s-0 is %+v, want epoch %d, replicas %v, ISR %v", topic, p, epoch, replicas, isr)
		}
		return nil
	})
}

// fetchAtEpoch fetches topic-0 from the broker at addr naming current as
// the leader epoch it knows, and returns the partition's error code.
func fetchAtEpoch(t *testing.T, addr, topic string, current int32) int16 {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(12)
	req.ReplicaID, req.MaxBytes = -1, 1<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.CurrentLeaderEpoch, rp.FetchOffset, rp.PartitionMaxBytes = current, 0, 1<<20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	fr := brokertest.AskBroker(t, addr, req).(*kmsg.FetchResponse)
	if fr.ErrorCode != 0 {
		return fr.ErrorCode
	}
	if len(fr.Topics) != 1 || len(fr.Topics[0].Partitions) != 1 {
		t.Fatalf("Fetch answered %+v", fr.Topics)
	}
	return fr.Topics[0].Partitions[0].ErrorCode
}

// offsetForEpoch asks the broker at addr, as a consumer knowing leader
// epoch current, where epoch ends in topic-0: the error code, the epoch
// answered and its end offset.
func offsetForEpoch(t *testing.T, addr, topic string, current, epoch int32) (int16, int32, int64) {
	t.Helper()
	req := kmsg.NewPtrOffsetForLeaderEpochRequest()
	req.SetVersion(3)
	req.ReplicaID = -1
	rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
	rp.CurrentLeaderEpoch, rp.LeaderEpoch = current, epoch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	or := brokertest.AskBroker(t, addr, req).(*kmsg.OffsetForLeaderEpochResponse)
	if len(or.Topics) != 1 || len(or.Topics[0].Partitions) != 1 {
		t.Fatalf("OffsetForLeaderEpoch answered %+v", or.Topics)
	}
	p := or.Topics[0].Partitions[0]
	return p.ErrorCode, p.LeaderEpoch, p.EndOffset
}
