package broker_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// brokerProc is a broker running as a process of the sluice binary, so a
// test can kill -9 it.
type brokerProc struct {
	id        int
	addr, dir string
	bin       string
	runs      int
	proc      *testpeer.Process // nil while down
}

// startBrokerProcs writes server.properties for brokers 1..n against the
// coordinators at zkConnect (Kafka's defaults, then what set changes),
// starts them and waits until the first one lists them all.
func startBrokerProcs(t *testing.T, zkConnect string, n int, set func(*broker.Config)) []*brokerProc {
	t.Helper()
	bin := testpeer.SluiceBinary(t)
	var out []*brokerProc
	for id := 1; id <= n; id++ {
		port := testpeer.FreePort(t)
		b := &brokerProc{id: id, dir: t.TempDir(), bin: bin, addr: "127.0.0.1:" + strconv.Itoa(port)}
		cfg := broker.Defaults()
		cfg.BrokerID = int32(id)
		cfg.SetListener("127.0.0.1", port)
		cfg.LogDirs = []string{filepath.Join(b.dir, "logs")}
		if err := cfg.SetZooKeeperConnect(zkConnect); err != nil {
			t.Fatal(err)
		}
		set(&cfg)
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		if _, err := testpeer.WriteBrokerConfig(b.dir, cfg); err != nil {
			t.Fatal(err)
		}
		b.start(t)
		out = append(out, b)
	}
	// Each broker registered before it listened, but the first one learns
	// of the others through a watch: until it has, it would refuse a topic
	// with n replicas (INVALID_REPLICATION_FACTOR), as Kafka does.
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		return kadmin.ReadyBrokers(context.Background(), out[0].addr, n)
	})
	return out
}

func (b *brokerProc) start(t *testing.T) {
	t.Helper()
	b.runs++
	cmd := exec.Command(b.bin, "broker", "--config", filepath.Join(b.dir, "server.properties"))
	b.proc = testpeer.Start(t, fmt.Sprintf("broker%d-run%d", b.id, b.runs), cmd, 60*time.Second, testpeer.DialReady(b.addr))
}

func (b *brokerProc) kill() {
	b.proc.Kill()
	b.proc = nil
}

// clusterInfo is the metadata of a topic and the cluster's controller.
func clusterInfo(addr, topic string) (controller int32, parts []partInfo, err error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return -1, nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, mt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return -1, nil, err
	}
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 {
		return -1, nil, fmt.Errorf("metadata of %s: %+v", topic, resp.Topics)
	}
	parts = make([]partInfo, len(resp.Topics[0].Partitions))
	for _, p := range resp.Topics[0].Partitions {
		parts[p.Partition] = partInfo{leader: p.Leader, epoch: p.LeaderEpoch, replicas: p.Replicas, isr: p.ISR, offline: p.OfflineReplicas, err: p.ErrorCode}
	}
	return resp.ControllerID, parts, nil
}

// numberedLoad produces numbered records with an idempotent acks=all
// producer and remembers which were acknowledged.
type numberedLoad struct {
	cl      *kgo.Client
	wg      sync.WaitGroup
	stopped chan struct{} // closed by stop: no more records
	mu      sync.Mutex
	acked   map[string]bool
	fails   map[string]error
}

// startNumberedLoad produces records 0000000 … n-1.
func startNumberedLoad(t *testing.T, addrs []string, topic string, n int) *numberedLoad {
	t.Helper()
	return startLoad(t, addrs, topic, "", n)
}

// startLoad produces records prefix0000000, prefix0000001, … until n
// (n < 0: until stop).
func startLoad(t *testing.T, addrs []string, topic, prefix string, n int) *numberedLoad {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(topic),
		kgo.RetryTimeout(2*time.Minute), kgo.RecordDeliveryTimeout(3*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	l := &numberedLoad{cl: cl, stopped: make(chan struct{}), acked: map[string]bool{}, fails: map[string]error{}}
	l.wg.Add(1)
	go func() { // owned by the test through l.wg
		defer l.wg.Done()
		for i := 0; n < 0 || i < n; i++ {
			if i%1000 == 999 {
				select { // about 10,000 records/s: the kills land mid-run
				case <-l.stopped:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
			v := fmt.Sprintf("%s%07d", prefix, i)
			l.wg.Add(1)
			cl.Produce(context.Background(), &kgo.Record{Value: []byte(v)}, func(_ *kgo.Record, err error) {
				defer l.wg.Done()
				l.mu.Lock()
				defer l.mu.Unlock()
				if err != nil {
					l.fails[v] = err
				} else {
					l.acked[v] = true
				}
			})
		}
	}()
	return l
}

func (l *numberedLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// stop ends the load: no record is produced after the current thousand.
func (l *numberedLoad) stop() { close(l.stopped) }

// finish waits for every record's outcome (bounded) and closes the producer.
func (l *numberedLoad) finish(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(4 * time.Minute):
		t.Fatalf("producer still waiting after 4 minutes: %d acknowledged", l.ackedCount())
	}
	l.cl.Close()
}

// runKillScenario is the failover test on a running cluster: a
// topic of 3 partitions × 3 replicas; while an idempotent acks=all
// producer writes n numbered records, kill -9 the leader of partition 0,
// then the controller, restarting each; then every acknowledged record is
// read exactly once, each partition in order, with no gaps.
func runKillScenario(t *testing.T, zkConnect string, n int) {
	brokers := startBrokerProcs(t, zkConnect, 3, func(c *broker.Config) {
		c.ZooKeeperSessionTimeout, c.ZooKeeperTimeout = 4*time.Second, 10*time.Second
		c.ReplicaLagTimeMax, c.DefaultReplication, c.NumPartitions = 5*time.Second, 3, 3
	})
	var addrs []string
	for _, b := range brokers {
		addrs = append(addrs, b.addr)
	}
	createReplicated(t, addrs[0], "magedu", 3, 3, nil)
	awaitISR(t, addrs[0], "magedu", []int32{1, 2, 3})

	load := startNumberedLoad(t, addrs, "magedu", n)
	waitAcked := func(k int) {
		// Bounded by progress: acknowledgements pause while leadership
		// moves, but never for a minute, however busy the machine.
		await.Progress(t, time.Minute, 15*time.Minute, 20*time.Millisecond, func() (int64, error) {
			got := load.ackedCount()
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
		t.Logf("kill -9 broker %d (%s) with %d records acknowledged", id, why, load.ackedCount())
		b.kill()
		other := brokers[id%3].addr
		await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
			_, parts, err := clusterInfo(other, "magedu")
			if err != nil {
				return err
			}
			for i, p := range parts {
				if p.leader == id || p.leader < 0 {
					return fmt.Errorf("partition %d still led by %d", i, p.leader)
				}
			}
			return nil
		})
		b.start(t)
		awaitISR(t, other, "magedu", []int32{1, 2, 3})
		t.Logf("broker %d back in every ISR with %d records acknowledged", id, load.ackedCount())
	}

	waitAcked(n / 10)
	_, parts, err := clusterInfo(addrs[0], "magedu")
	if err != nil {
		t.Fatal(err)
	}
	killAndRestart(parts[0].leader, "leader of partition 0")
	var controller int32
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		c, _, err := clusterInfo(addrs[0], "magedu")
		if err == nil && c < 1 {
			err = fmt.Errorf("no controller yet")
		}
		controller = c
		return err
	})
	killAndRestart(controller, "controller")
	load.finish(t)

	// Read everything back: each partition in offset order.
	got := consumeAll(t, addrs, "magedu", len(load.acked))
	seen := map[string]int{}
	dups := 0
	for p, vs := range got {
		last := -1
		for _, v := range vs {
			seen[v]++
			if seen[v] > 1 {
				dups++
				if load.acked[v] && load.fails[v] == nil {
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
	for v := range load.acked {
		if seen[v] == 0 {
			lost++
		}
	}
	t.Logf("%d records: %d acknowledged, %d failed, %d read, %d duplicates", n, len(load.acked), len(load.fails), len(seen), dups)
	if lost > 0 {
		t.Fatalf("%d acknowledged records lost", lost)
	}
	if len(load.acked) != n {
		t.Errorf("%d records not acknowledged: %v", n-len(load.acked), firstErr(load.fails))
	}
}

func firstErr(m map[string]error) error {
	for _, err := range m {
		return err
	}
	return nil
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
	brokers := startBrokerProcs(t, testcluster.Coordinator(t), 3, func(c *broker.Config) {
		c.ZooKeeperSessionTimeout, c.ReplicaLagTimeMax = 10*time.Second, 1500*time.Millisecond
	})
	var addrs []string
	for _, b := range brokers {
		addrs = append(addrs, b.addr)
	}
	createReplicated(t, addrs[0], "lag", 1, 3, nil)
	parts := awaitISR(t, addrs[0], "lag", []int32{1, 2, 3})
	produceNumbered(t, addrs, "lag", "a", 500)

	follower := brokers[parts[0].replicas[1]-1]
	var rest []int32
	for _, id := range []int32{1, 2, 3} {
		if id != int32(follower.id) {
			rest = append(rest, id)
		}
	}
	leaderAddr := brokers[parts[0].leader-1].addr
	if err := syscall.Kill(follower.proc.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			_ = syscall.Kill(follower.proc.Pid(), syscall.SIGCONT)
		}
	}
	defer thaw()
	awaitISR(t, leaderAddr, "lag", rest)
	produceNumbered(t, []string{leaderAddr}, "lag", "b", 500)
	thaw()
	awaitISR(t, leaderAddr, "lag", []int32{1, 2, 3})
	checkExactlyOnce(t, consumeAll(t, []string{leaderAddr}, "lag", 1000), map[string]int{"a": 500, "b": 500})
}
