package clustertest_test

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// startNumberedLoad produces records 0000000 … n-1.
func startNumberedLoad(t *testing.T, addrs []string, topic string, n int) *brokertest.NumberedLoad {
	t.Helper()
	return brokertest.StartLoad(t, addrs, topic, "", n)
}

// runKillScenario is the failover test on a running cluster: a
// topic of 3 partitions × 3 replicas; while an idempotent acks=all
// producer writes n numbered records, kill -9 the leader of partition 0,
// then the controller, restarting each; then every acknowledged record is
// read exactly once, each partition in order, with no gaps.
func runKillScenario(t *testing.T, zkConnect string, n int) {
	brokers := brokertest.StartBrokerProcs(t, zkConnect, 3, func(c *broker.Config) {
		c.ZooKeeperSessionTimeout, c.ZooKeeperTimeout = 4*time.Second, 10*time.Second
		c.ReplicaLagTimeMax, c.DefaultReplication, c.NumPartitions = 5*time.Second, 3, 3
	})
	var addrs []string
	for _, b := range brokers {
		addrs = append(addrs, b.Addr)
	}
	testcluster.CreateReplicatedTopic(t, addrs[0], "magedu", 3, 3, nil)
	brokertest.AwaitISR(t, addrs[0], "magedu", []int32{1, 2, 3})

	load := startNumberedLoad(t, addrs, "magedu", n)
	waitAcked := func(k int) {
		// Bounded by progress: acknowledgements pause while leadership
		// moves, but never for a minute, however busy the machine.
		await.Progress(t, time.Minute, 15*time.Minute, 20*time.Millisecond, func() (int64, error) {
			got := load.AckedCount()
			if got < k {
				return int64(got), fmt.Errorf("%d of %d acknowledged", got, k)
			}
			return int64(got), nil
		})
	}
	// killAndRestart kills broker id with SIGKILL while the load runs,
	// waits for the cluster to move on without it, restarts it and waits
	// for it to be back in every ISR.
	killAndRestart := func(id int32, why string) {
		b := brokers[id-1]
		t.Logf("kill -9 broker %d (%s) with %d records acknowledged", id, why, load.AckedCount())
		b.Kill()
		other := brokers[id%3].Addr
		await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
			_, parts, err := brokertest.ClusterInfo(other, "magedu")
			if err != nil {
				return err
			}
			for i, p := range parts {
				if p.Leader == id || p.Leader < 0 {
					return fmt.Errorf("partition %d still led by %d", i, p.Leader)
				}
			}
			return nil
		})
		b.Start(t)
		brokertest.AwaitISR(t, other, "magedu", []int32{1, 2, 3})
		t.Logf("broker %d back in every ISR with %d records acknowledged", id, load.AckedCount())
	}

	waitAcked(n / 10)
	_, parts, err := brokertest.ClusterInfo(addrs[0], "magedu")
	if err != nil {
		t.Fatal(err)
	}
	killAndRestart(parts[0].Leader, "leader of partition 0")
	var controller int32
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		c, _, err := brokertest.ClusterInfo(addrs[0], "magedu")
		if err == nil && c < 1 {
			err = fmt.Errorf("no controller yet")
		}
		controller = c
		return err
	})
	killAndRestart(controller, "controller")
	load.Finish(t)

	// Read everything back: each partition in offset order.
	got := brokertest.ConsumeAll(t, addrs, "magedu", len(load.Acked))
	seen := map[string]int{}
	dups := 0
	for p, vs := range got {
		last := -1
		for _, v := range vs {
			seen[v]++
			if seen[v] > 1 {
				dups++
				if load.Acked[v] && load.Fails[v] == nil {
					t.Errorf("acknowledged record %s read twice", v)
				}
			}
			i, _ := strconv.Atoi(v)
			if i <= last {
				t.Errorf("partition %d: %s after %07d: out of order", p, v, last)
			}
			last = i
		}
	}
	lost := 0
	for v := range load.Acked {
		if seen[v] == 0 {
			lost++
		}
	}
	t.Logf("%d records: %d acknowledged, %d failed, %d read, %d duplicates", n, len(load.Acked), len(load.Fails), len(seen), dups)
	if lost > 0 {
		t.Fatalf("%d acknowledged records lost", lost)
	}
	if len(load.Acked) != n {
		t.Errorf("%d records not acknowledged: %v", n-len(load.Acked), brokertest.FirstErr(load.Fails))
	}
}

// TestKillLeaderAndController: the failover scenario on three brokers
// coordinated by a three-member sluice coordinator ensemble.
func TestKillLeaderAndController(t *testing.T) {
	zk := testcluster.StartEnsemble(t, 3, 200*time.Millisecond)
	runKillScenario(t, strings.Join(zk, ","), 200000)
}

// TestKillLeaderAndControllerOnZooKeeper: the same scenario with the
// brokers coordinated by a three-member Apache ZooKeeper 3.8 ensemble.
func TestKillLeaderAndControllerOnZooKeeper(t *testing.T) {
	zk := testpeer.StartZooKeeperEnsemble(t, 3)
	runKillScenario(t, strings.Join(zk, ",")+"/sluice", 200000)
}

// TestLaggingFollowerLeavesISR: a follower that stops fetching (its
// process is frozen with SIGSTOP, its coordinator session still alive)
// leaves the ISR after replica.lag.time.max.ms, so acks=all writes go on
// without it; thawed, it catches up and rejoins.
func TestLaggingFollowerLeavesISR(t *testing.T) {
	brokers := brokertest.StartBrokerProcs(t, testcluster.Coordinator(t), 3, func(c *broker.Config) {
		c.ZooKeeperSessionTimeout, c.ReplicaLagTimeMax = 10*time.Second, 1500*time.Millisecond
	})
	var addrs []string
	for _, b := range brokers {
		addrs = append(addrs, b.Addr)
	}
	testcluster.CreateReplicatedTopic(t, addrs[0], "lag", 1, 3, nil)
	parts := brokertest.AwaitISR(t, addrs[0], "lag", []int32{1, 2, 3})
	brokertest.ProduceNumbered(t, addrs, "lag", "a", 500)

	follower := brokers[parts[0].Replicas[1]-1]
	var rest []int32
	for _, id := range []int32{1, 2, 3} {
		if id != int32(follower.ID) {
			rest = append(rest, id)
		}
	}
	leaderAddr := brokers[parts[0].Leader-1].Addr
	if err := syscall.Kill(follower.Proc.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			_ = syscall.Kill(follower.Proc.Pid(), syscall.SIGCONT)
		}
	}
	defer thaw()
	brokertest.AwaitISR(t, leaderAddr, "lag", rest)
	brokertest.ProduceNumbered(t, []string{leaderAddr}, "lag", "b", 500)
	thaw()
	brokertest.AwaitISR(t, leaderAddr, "lag", []int32{1, 2, 3})
	brokertest.CheckExactlyOnce(t, brokertest.ConsumeAll(t, []string{leaderAddr}, "lag", 1000), map[string]int{"a": 500, "b": 500})
}
