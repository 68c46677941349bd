package clustertest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// storageFault is how a log-directory test breaks a broker's disk: prepare
// runs before broker id starts on dir (its log.dirs is dir/logs) and
// returns its config options; fill makes writes to it fail; repair undoes
// that, as an operator freeing space before a restart.
type storageFault struct {
	prepare func(t *testing.T, id int, dir string) func(*broker.Config)
	fill    func(t *testing.T, id int)
	repair  func(t *testing.T, id int)
}

// TestLogDirWriteFaultMovesLeadership is TestLogDirFullMovesLeadership
// without a real filesystem: every write to the leader's partition files
// stops half-way with ENOSPC (broker.Config.LogWriteFault), so it runs
// where mounting is not allowed.
func TestLogDirWriteFaultMovesLeadership(t *testing.T) {
	var full sync.Map // broker id → true while its disk is "full"
	runLogDirFailover(t, storageFault{
		prepare: func(t *testing.T, id int, dir string) func(*broker.Config) {
			return func(c *broker.Config) {
				c.LogWriteFault = func(_ string, p []byte) (int, error) {
					if _, ok := full.Load(id); ok {
						return len(p) / 2, syscall.ENOSPC
					}
					return 0, nil
				}
			}
		},
		fill:   func(t *testing.T, id int) { full.Store(id, true) },
		repair: func(t *testing.T, id int) { full.Delete(id) },
	})
}

func runLogDirFailover(t *testing.T, fault storageFault) {
	zk := testcluster.Coordinator(t)
	brokers := map[int]*testcluster.Broker{}
	dirs := map[int]string{}
	options := map[int]func(*broker.Config){}
	var addrs []string
	for id := 1; id <= 3; id++ {
		dirs[id] = t.TempDir()
		options[id] = fault.prepare(t, id, dirs[id])
		brokers[id] = testcluster.StartBroker(t, id, zk, dirs[id], replicaConfig, options[id])
		addrs = append(addrs, brokers[id].Addr())
	}
	const topic = "disk"
	testcluster.CreateReplicatedTopic(t, addrs[0], topic, 1, 3, map[string]string{"min.insync.replicas": "2", "segment.bytes": "262144"})
	old := brokertest.AwaitISR(t, addrs[0], topic, []int32{1, 2, 3})[0].Leader

	// An acks=all load (franz-go's defaults: idempotent, acks=all) that
	// keeps what was acknowledged.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(topic), kgo.RecordDeliveryTimeout(90*time.Second), kgo.ProducerBatchMaxBytes(16<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var mu sync.Mutex
	acked := map[string]bool{}
	var nAcked atomic.Int64
	var failed error
	ctx, cancel := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		for i := 0; ctx.Err() == nil; i++ {
			v := fmt.Sprintf("rec-%07d", i)
			cl.Produce(ctx, &kgo.Record{Value: []byte(v)}, func(r *kgo.Record, err error) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					acked[v] = true
					nAcked.Add(1)
				case !errors.Is(err, context.Canceled) && failed == nil:
					failed = err
				}
			})
		}
	}()
	stopLoad := func() {
		cancel()
		<-loadDone
		fctx, fcancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer fcancel()
		_ = cl.Flush(fctx)
	}
	defer stopLoad()
	ackedAtLeast := func(n int64) {
		t.Helper()
		await.Progress(t, 30*time.Second, 3*time.Minute, 20*time.Millisecond, func() (int64, error) {
			if got := nAcked.Load(); got < n {
				return got, fmt.Errorf("%d records acknowledged, want %d", got, n)
			}
			return n, nil
		})
	}
	ackedAtLeast(3000)

	fault.fill(t, int(old))
	t.Logf("broker %d's log directory is full after %d acknowledged records", old, nAcked.Load())

	// Leadership moves to an in-sync follower; the old leader leaves the
	// ISR and answers KAFKA_STORAGE_ERROR for the partition.
	var others []int32
	for id := int32(1); id <= 3; id++ {
		if id != old {
			others = append(others, id)
		}
	}
	seed := addrs[others[0]-1]
	parts := brokertest.AwaitISR(t, seed, topic, others)
	if parts[0].Leader == old {
		t.Fatalf("broker %d still leads", old)
	}
	checkStorageError(t, cl, old, topic)
	if n := gauge(t, brokers[int(old)], "sluice_broker_offline_log_dirs"); n != 1 {
		t.Fatalf("broker %d: %v offline log dirs, want 1", old, n)
	}

	// The producer continues against the new leader.
	ackedAtLeast(nAcked.Load() + 3000)
	stopLoad()
	mu.Lock()
	if failed != nil {
		t.Fatalf("a record failed: %v", failed)
	}
	want := maps2slice(acked)
	mu.Unlock()

	// Every acknowledged record is there, once, with a valid CRC (kgo
	// checks it), read from the new leader.
	readBack(t, []string{seed}, topic, want)

	// The operator frees space and restarts the broker: it rejoins the ISR.
	brokers[int(old)].Stop()
	fault.repair(t, int(old))
	brokers[int(old)] = testcluster.StartBroker(t, int(old), zk, dirs[int(old)], replicaConfig, options[int(old)])
	brokertest.AwaitISR(t, seed, topic, []int32{1, 2, 3})
	if n := gauge(t, brokers[int(old)], "sluice_broker_offline_log_dirs"); n != 0 {
		t.Fatalf("after the restart: %v offline log dirs", n)
	}
}

func maps2slice(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkStorageError asks broker id directly for the partition's offsets:
// it must answer KAFKA_STORAGE_ERROR.
func checkStorageError(t *testing.T, cl *kgo.Client, id int32, topic string) {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Timestamp = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl.Broker(int(id)))
	if err != nil {
		t.Fatal(err)
	}
	if code := resp.Topics[0].Partitions[0].ErrorCode; code != kerr.KafkaStorageError.Code {
		t.Fatalf("broker %d answers ListOffsets with error %d, want KAFKA_STORAGE_ERROR", id, code)
	}
}

// gauge reads one of a broker's gauges (0 if it has no such metric).
func gauge(t *testing.T, b *testcluster.Broker, name string) float64 {
	t.Helper()
	return promtest.Value(t, promtest.Of(b.Collectors()...), name)
}

// readBack reads topic from the start and fails unless every value in
// want is there exactly once and no fetch reported an error (a CRC
// mismatch among them).
func readBack(t *testing.T, addrs []string, topic string, want []string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seen := map[string]int{}
	found := 0
	isWanted := map[string]bool{}
	for _, v := range want {
		isWanted[v] = true
	}
	await.Progress(t, 30*time.Second, 3*time.Minute, 0, func() (int64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		fs := cl.PollFetches(ctx)
		for _, e := range fs.Errors() {
			if !errors.Is(e.Err, context.DeadlineExceeded) {
				t.Fatalf("fetch %s/%d: %v", e.Topic, e.Partition, e.Err)
			}
		}
		fs.EachRecord(func(r *kgo.Record) {
			v := string(r.Value)
			seen[v]++
			if seen[v] > 1 {
				t.Fatalf("%s read twice (offset %d)", v, r.Offset)
			}
			if isWanted[v] {
				found++
			}
		})
		if found < len(want) {
			return int64(found), fmt.Errorf("read %d of %d acknowledged records", found, len(want))
		}
		return int64(found), nil
	})
}

// startFaultyBrokers starts brokers 1…n on a new coordinator, each of
// whose log writes fail with EIO while full holds its id, and returns
// their addresses. replica.lag.time.max.ms is a minute: a replica that
// leaves the ISR sooner left it for its failed directory.
func startFaultyBrokers(t *testing.T, n int, full *sync.Map) []string {
	t.Helper()
	zk := testcluster.Coordinator(t)
	var addrs []string
	for id := 1; id <= n; id++ {
		b := testcluster.StartBroker(t, id, zk, "", func(c *broker.Config) {
			c.ZooKeeperSessionTimeout, c.ReplicaLagTimeMax = 4*time.Second, time.Minute
			c.LogWriteFault = func(_ string, p []byte) (int, error) {
				if _, ok := full.Load(id); ok {
					return 0, syscall.EIO
				}
				return 0, nil
			}
		})
		addrs = append(addrs, b.Addr())
	}
	return addrs
}

// TestLogDirFailsOnFollower: a follower whose log directory fails (its
// replica appends stop with ENOSPC) leaves the ISR through the controller
// at once, not after replica.lag.time.max.ms (a minute here); the leader
// keeps leading and acks=all keeps being answered by the two others.
func TestLogDirFailsOnFollower(t *testing.T) {
	var full sync.Map
	addrs := startFaultyBrokers(t, 3, &full)
	const topic = "disk"
	testcluster.CreateReplicatedTopic(t, addrs[0], topic, 1, 3, map[string]string{"min.insync.replicas": "2"})
	leader := brokertest.AwaitISR(t, addrs[0], topic, []int32{1, 2, 3})[0].Leader
	victim := leader%3 + 1
	full.Store(int(victim), true)
	var rest []int32
	for id := int32(1); id <= 3; id++ {
		if id != victim {
			rest = append(rest, id)
		}
	}
	start := time.Now()
	brokertest.ProduceNumbered(t, addrs, topic, "after", 200)
	parts := brokertest.AwaitISR(t, addrs[leader-1], topic, rest)
	if parts[0].Leader != leader {
		t.Fatalf("leader moved from %d to %d", leader, parts[0].Leader)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("the ISR shrank after %s, not before replica.lag.time.max.ms", took)
	}
	brokertest.ProduceNumbered(t, addrs, topic, "later", 200)
	brokertest.CheckExactlyOnce(t, brokertest.ConsumeAll(t, addrs, topic, 400), map[string]int{"after": 200, "later": 200})
}

// TestMetadataOfflineReplicas: once a follower's log directory failed,
// Metadata (v5+, from either broker) lists its replicas as offline: a
// partition it followed keeps its leader and answers no error; a
// partition it alone held answers LEADER_NOT_AVAILABLE with leader -1, as
// Kafka's; the other broker's partitions list no offline replica.
func TestMetadataOfflineReplicas(t *testing.T) {
	var full sync.Map
	addrs := startFaultyBrokers(t, 2, &full)
	testcluster.CreateReplicatedTopic(t, addrs[0], "pair", 1, 2, nil)
	testcluster.CreateReplicatedTopic(t, addrs[0], "solo", 2, 1, nil) // one partition on each broker
	leader := brokertest.AwaitISR(t, addrs[0], "pair", []int32{1, 2})[0].Leader
	victim := 3 - leader
	for _, p := range awaitPartitions(t, addrs[0], "solo") {
		if len(p.Offline) != 0 {
			t.Fatalf("before the fault: %+v", p)
		}
	}

	full.Store(int(victim), true)
	brokertest.ProduceNumbered(t, addrs, "pair", "v", 10) // the follower's append fails
	for _, addr := range addrs {
		await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
			pair, err := brokertest.Describe(t, addr, "pair")
			if err != nil {
				return err
			}
			if p := pair[0]; p.Err != 0 || p.Leader != leader || !slices.Equal(p.Offline, []int32{victim}) {
				return fmt.Errorf("pair: leader %d error %v offline %v, want leader %d, no error, offline [%d]", p.Leader, kerr.ErrorForCode(p.Err), p.Offline, leader, victim)
			}
			solo, err := brokertest.Describe(t, addr, "solo")
			if err != nil {
				return err
			}
			for i, p := range solo {
				switch {
				case p.Replicas[0] == victim && (p.Err != kerr.LeaderNotAvailable.Code || p.Leader != -1 || !slices.Equal(p.Offline, []int32{victim})):
					return fmt.Errorf("solo-%d on broker %d: leader %d error %v offline %v, want LEADER_NOT_AVAILABLE, leader -1, offline [%d]", i, victim, p.Leader, kerr.ErrorForCode(p.Err), p.Offline, victim)
				case p.Replicas[0] != victim && (p.Err != 0 || p.Leader != leader || len(p.Offline) != 0):
					return fmt.Errorf("solo-%d on broker %d: leader %d error %v offline %v", i, leader, p.Leader, kerr.ErrorForCode(p.Err), p.Offline)
				}
			}
			return nil
		})
	}
}

// awaitPartitions waits until every partition of topic has a leader, and
// returns them.
func awaitPartitions(t *testing.T, addr, topic string) []brokertest.PartInfo {
	t.Helper()
	var parts []brokertest.PartInfo
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		var err error
		if parts, err = brokertest.Describe(t, addr, topic); err != nil {
			return err
		}
		for i, p := range parts {
			if p.Err != 0 || p.Leader < 0 {
				return fmt.Errorf("partition %d: leader %d error %d", i, p.Leader, p.Err)
			}
		}
		return nil
	})
	return parts
}

// TestUnreadableLogDirAtStart: a broker whose second log directory was
// replaced by a regular file while it was down starts, as Kafka's does,
// with that directory offline (registered in offline_log_dirs, the
// gauge at 1): the partition kept in the good directory is served with
// its records, the one kept in the bad directory is an offline replica
// (LEADER_NOT_AVAILABLE, no leader), and a topic created afterwards goes
// to the good directory. With that file as its only log directory, the
// broker does not start, and says which directory.
func TestUnreadableLogDirAtStart(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	dir := t.TempDir()
	dirs := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}
	twoDirs := func(c *broker.Config) { c.LogDirs = dirs }
	b := testcluster.StartBroker(t, 1, zkAddr, dir, twoDirs)
	testcluster.CreateTopic(t, b.Addr(), "old", 2) // one partition in each directory
	inDir := map[int32]int{}                       // partition → index in dirs
	for p := range int32(2) {
		for i, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, fmt.Sprintf("old-%d", p))); err == nil {
				inDir[p] = i
			}
		}
	}
	if inDir[0] == inDir[1] {
		t.Fatalf("both partitions in %s", dirs[inDir[0]])
	}
	goodP, badP := int32(0), int32(1)
	if inDir[0] == 1 {
		goodP, badP = 1, 0
	}
	brokertest.ProduceTo(t, b.Addr(), "old", map[int32]int{goodP: 7, badP: 5})
	b.Stop()

	if err := os.RemoveAll(dirs[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dirs[1], []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	b = testcluster.StartBroker(t, 1, zkAddr, dir, twoDirs)
	addr := b.Addr()
	if n := gauge(t, b, "sluice_broker_offline_log_dirs"); n != 1 {
		t.Fatalf("%v offline log dirs, want 1", n)
	}
	zc, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		data, _, err := zc.Get("/brokers/ids/1")
		if err != nil {
			return err
		}
		var reg struct {
			OfflineLogDirs  []string           `json:"offline_log_dirs"`
			OfflineReplicas map[string][]int32 `json:"offline_replicas"`
		}
		if err := json.Unmarshal(data, &reg); err != nil {
			return err
		}
		if !slices.Equal(reg.OfflineLogDirs, dirs[1:]) || !slices.Equal(reg.OfflineReplicas["old"], []int32{badP}) {
			return fmt.Errorf("registration %s, want offline_log_dirs [%s], offline_replicas old: [%d]", data, dirs[1], badP)
		}
		return nil
	})
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		parts, err := brokertest.Describe(t, addr, "old")
		if err != nil {
			return err
		}
		if p := parts[goodP]; p.Err != 0 || p.Leader != 1 || len(p.Offline) != 0 {
			return fmt.Errorf("old-%d (good dir): leader %d error %v offline %v", goodP, p.Leader, kerr.ErrorForCode(p.Err), p.Offline)
		}
		if p := parts[badP]; p.Err != kerr.LeaderNotAvailable.Code || p.Leader != -1 || !slices.Equal(p.Offline, []int32{1}) {
			return fmt.Errorf("old-%d (bad dir): leader %d error %v offline %v", badP, p.Leader, kerr.ErrorForCode(p.Err), p.Offline)
		}
		return nil
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"old": {goodP: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for read := 0; read < 7; {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("reading old-%d after %d records: %v", goodP, read, err)
		}
		read += fs.NumRecords()
	}
	testcluster.CreateTopic(t, addr, "new", 1)
	brokertest.ProduceValues(t, addr, "new", 5)
	brokertest.CheckValues(t, addr, "new", 5)
	if _, err := os.Stat(filepath.Join(dirs[0], "new-0")); err != nil {
		t.Fatalf("new-0 is not in the good directory: %v", err)
	}
	b.Stop()

	cfg := broker.Defaults()
	cfg.BrokerID = 1
	cfg.SetListener("127.0.0.1", 0)
	cfg.LogDirs = dirs[1:]
	if err := cfg.SetZooKeeperConnect(zkAddr); err != nil {
		t.Fatal(err)
	}
	nb, err := broker.New(&cfg, testcluster.Logger())
	if err == nil {
		_ = nb.Run(canceled())
		t.Fatalf("with only %s as log.dirs the broker started", dirs[1])
	}
	if !strings.Contains(err.Error(), dirs[1]) {
		t.Fatalf("with only %s as log.dirs: %v", dirs[1], err)
	}
	t.Logf("with only %s as log.dirs: %v", dirs[1], err)
}

// canceled is a context that has ended.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestLogDirLockedByAnotherBroker: a second broker given a log directory
// a running broker uses does not start (as Kafka's .lock refuses it), its
// error naming the directory, and the first broker's logs are untouched
// and served; once the first has stopped, the directory can be used.
func TestLogDirLockedByAnotherBroker(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	dir := t.TempDir()
	first := testcluster.StartBroker(t, 1, zkAddr, dir)
	testcluster.CreateTopic(t, first.Addr(), "owned", 1)
	brokertest.ProduceValues(t, first.Addr(), "owned", 2)

	cfg := broker.Defaults()
	cfg.BrokerID = 2
	cfg.SetListener("127.0.0.1", 0)
	cfg.LogDirs = []string{filepath.Join(dir, "logs")}
	if err := cfg.SetZooKeeperConnect(zkAddr); err != nil {
		t.Fatal(err)
	}
	if _, err := broker.New(&cfg, testcluster.Logger()); err == nil {
		t.Fatal("a second broker started on a log directory in use")
	} else if !strings.Contains(err.Error(), cfg.LogDirs[0]) || !strings.Contains(err.Error(), "used by another broker") {
		t.Fatalf("error does not name the directory in use: %v", err)
	}
	brokertest.CheckValues(t, first.Addr(), "owned", 2)

	first.Stop()
	again := testcluster.StartBroker(t, 1, zkAddr, dir)
	brokertest.CheckValues(t, again.Addr(), "owned", 2)
}
