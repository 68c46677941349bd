package broker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// zkConfig is the config map of a /config/<entity> node (empty when the
// node does not exist).
func zkConfig(t *testing.T, zc *zk.Conn, entity string) map[string]string {
	t.Helper()
	data, _, err := zc.Get("/config/" + entity)
	if err == zk.ErrNoNode {
		return map[string]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var n struct {
		Config map[string]string `json:"config"`
	}
	if err := json.Unmarshal(data, &n); err != nil {
		t.Fatalf("/config/%s: %v", entity, err)
	}
	return n.Config
}

// produceSmall writes n records of 100 bytes one at a time (so each is a
// batch of its own).
func produceSmall(t *testing.T, addr, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range n {
		v := fmt.Sprintf("%-100d", i)
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

// TestReassignThrottle: Kafka 3.9's kafka-reassign-partitions.sh
// --execute --throttle sets the throttle rates on both brokers and the
// throttled replica lists on the topic (seen in ZooKeeper and by
// DescribeConfigs), the move completes, and --verify removes them all.
// A cluster default set with kafka-configs.sh --entity-default is shown
// by every broker as DYNAMIC_DEFAULT_BROKER_CONFIG.
func TestReassignThrottle(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka's JVM tools or brokers: see the package doc
	testpeer.Used(t, "kafka", testpeer.KafkaVersion+" kafka-reassign-partitions.sh --throttle, kafka-configs.sh --entity-default")
	zkAddr := testcluster.Coordinator(t)
	b1 := testcluster.StartBroker(t, 1, zkAddr, "")
	b2 := testcluster.StartBroker(t, 2, zkAddr, "")
	addrs := []string{b1.Addr(), b2.Addr()}
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		return kadmin.ReadyBrokers(context.Background(), addrs[0], 2)
	})
	zc, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()

	const topic = "slow"
	testcluster.CreateReplicatedTopic(t, addrs[0], topic, 1, 1, nil)
	var leader int32
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		parts, err := brokertest.Describe(t, addrs[0], topic)
		if err != nil || len(parts) != 1 || parts[0].Leader < 0 {
			return fmt.Errorf("%v %+v", err, parts)
		}
		leader = parts[0].Leader
		return nil
	})
	follower := 3 - leader
	produceSmall(t, addrs[0], topic, 300)

	bootstrap := strings.Join(addrs, ",")
	plan := brokertest.ReassignPlan(t, topic, 0, []int32{leader, follower})
	out := testpeer.KafkaTool(t, "kafka-reassign-partitions.sh", nil, "--bootstrap-server", bootstrap,
		"--reassignment-json-file", plan, "--execute", "--throttle", "1000000")
	t.Logf("kafka-reassign-partitions.sh --execute --throttle:\n%s", out)
	if !strings.Contains(out, "The inter-broker throttle limit was set to 1000000 B/s") || !strings.Contains(out, "Successfully started partition reassignment") {
		t.Fatalf("kafka-reassign-partitions.sh --execute --throttle printed:\n%s", out)
	}
	for _, id := range []int32{1, 2} {
		got := zkConfig(t, zc, fmt.Sprintf("brokers/%d", id))
		if got["leader.replication.throttled.rate"] != "1000000" || got["follower.replication.throttled.rate"] != "1000000" {
			t.Errorf("/config/brokers/%d is %v, want both rates 1000000", id, got)
		}
		// kafka-configs.sh asks the broker itself.
		addr := addrs[id-1]
		desc := brokertest.ConfigTool(t, addr, "--describe", "--entity-type", "brokers", "--entity-name", fmt.Sprint(id))
		for _, want := range []string{
			"leader.replication.throttled.rate=1000000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:leader.replication.throttled.rate=1000000}",
			"follower.replication.throttled.rate=1000000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:follower.replication.throttled.rate=1000000}",
		} {
			if !strings.Contains(desc, want) {
				t.Errorf("kafka-configs.sh --describe broker %d lacks %q:\n%s", id, want, desc)
			}
		}
	}
	tc := zkConfig(t, zc, "topics/"+topic)
	if tc["leader.replication.throttled.replicas"] != fmt.Sprintf("0:%d", leader) || tc["follower.replication.throttled.replicas"] != fmt.Sprintf("0:%d", follower) {
		t.Errorf("/config/topics/%s is %v, want leader 0:%d and follower 0:%d throttled", topic, tc, leader, follower)
	}
	desc := brokertest.ConfigTool(t, addrs[0], "--describe", "--entity-type", "topics", "--entity-name", topic)
	if !strings.Contains(desc, fmt.Sprintf("follower.replication.throttled.replicas=0:%d", follower)) {
		t.Errorf("kafka-configs.sh --describe topic:\n%s", desc)
	}

	await.Eventually(t, 2*time.Minute, 200*time.Millisecond, func() error {
		out := testpeer.KafkaTool(t, "kafka-reassign-partitions.sh", nil, "--bootstrap-server", bootstrap, "--reassignment-json-file", plan, "--verify")
		if !strings.Contains(out, "Reassignment of partition "+topic+"-0 is completed.") || !strings.Contains(out, "Clearing broker-level throttles on brokers 1,2") || !strings.Contains(out, "Clearing topic-level throttles on topic "+topic) {
			return fmt.Errorf("kafka-reassign-partitions.sh --verify printed:\n%s", out)
		}
		return nil
	})
	for _, id := range []int32{1, 2} {
		if got := zkConfig(t, zc, fmt.Sprintf("brokers/%d", id)); len(got) != 0 {
			t.Errorf("after --verify /config/brokers/%d is %v", id, got)
		}
		if desc := brokertest.ConfigTool(t, addrs[id-1], "--describe", "--entity-type", "brokers", "--entity-name", fmt.Sprint(id)); strings.Contains(desc, "throttled.rate") {
			t.Errorf("after --verify broker %d describes:\n%s", id, desc)
		}
	}
	if tc := zkConfig(t, zc, "topics/"+topic); len(tc) != 0 {
		t.Errorf("after --verify /config/topics/%s is %v", topic, tc)
	}
	parts, err := brokertest.Describe(t, addrs[0], topic)
	if err != nil || !slices.Equal(parts[0].ISR, []int32{1, 2}) {
		t.Fatalf("after the move %+v (%v), want both in sync", parts, err)
	}

	// A cluster default, through any broker, shown by every broker.
	out = brokertest.ConfigTool(t, addrs[0], "--alter", "--entity-type", "brokers", "--entity-default", "--add-config", "follower.replication.throttled.rate=5000")
	if !strings.Contains(out, "Completed updating default config for brokers in the cluster.") {
		t.Fatalf("kafka-configs.sh --alter --entity-default printed:\n%s", out)
	}
	if got := zkConfig(t, zc, "brokers/<default>"); got["follower.replication.throttled.rate"] != "5000" {
		t.Errorf("/config/brokers/<default> is %v", got)
	}
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		desc := brokertest.ConfigTool(t, addrs[1], "--describe", "--all", "--entity-type", "brokers", "--entity-name", "2")
		if !strings.Contains(desc, "follower.replication.throttled.rate=5000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:follower.replication.throttled.rate=5000}") {
			return fmt.Errorf("broker 2 describes:\n%s", desc)
		}
		return nil
	})
	desc = brokertest.ConfigTool(t, addrs[0], "--describe", "--all", "--entity-type", "brokers", "--entity-default")
	if !strings.Contains(desc, "follower.replication.throttled.rate=5000") || strings.Contains(desc, "log.dirs") {
		t.Errorf("kafka-configs.sh --describe --entity-default:\n%s", desc)
	}
	// Keys Kafka cannot alter dynamically stay refused.
	stdout, stderr, code := testpeer.KafkaToolExit(t, "kafka-configs.sh", nil, "--bootstrap-server", addrs[0], "--alter", "--entity-type", "brokers", "--entity-name", "1", "--add-config", "log.dirs=/tmp/x")
	if code == 0 || !strings.Contains(stdout+stderr, "Cannot update these configs dynamically: Set(log.dirs)") {
		t.Errorf("kafka-configs.sh --alter log.dirs exited %d, printed:\n%s%s", code, stdout, stderr)
	}
}

// TestReplicationThrottled: a follower catching up on a partition
// throttled by IncrementalAlterConfigs (the side's
// *.replication.throttled.replicas on the topic and its
// *.replication.throttled.rate on the broker) gets no more than the
// quota allows. On the follower side it does not fetch while over its
// quota; on the leader side the leader answers it with no records while
// it is out of the ISR and the leader is over its quota. The throttling
// broker's clock is moved by hand one window at a time, and the bytes
// counted in any replication.quota.window.num consecutive windows stay
// under the rate over those windows plus a fetch's worth at each end;
// the broker reports the throttling, and the follower still catches up
// and joins the ISR.
func TestReplicationThrottled(t *testing.T) {
	for _, side := range []string{"follower", "leader"} {
		t.Run(side, func(t *testing.T) { testReplicationThrottled(t, side) })
	}
}

func testReplicationThrottled(t *testing.T, side string) {
	zkAddr := testcluster.Coordinator(t)
	const fetchMax = 4096
	opts := func(c *broker.Config) {
		c.ReplicaFetchMaxBytes, c.ReplicaFetchBackoff, c.ReplicaFetchWaitMax = fetchMax, 5*time.Millisecond, 20*time.Millisecond
	}
	bs := map[int32]*testcluster.Broker{1: testcluster.StartBroker(t, 1, zkAddr, "", opts), 2: testcluster.StartBroker(t, 2, zkAddr, "", opts)}
	var nanos atomic.Int64
	nanos.Store(time.Unix(1_000_000, 0).UnixNano())
	clock := func() time.Time { return time.Unix(0, nanos.Load()) }
	for _, b := range bs {
		broker.SetReplicationClock(b.Broker, clock)
	}
	addr := bs[1].Addr()
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error { return kadmin.ReadyBrokers(context.Background(), addr, 2) })

	const topic = "caught"
	testcluster.CreateReplicatedTopic(t, addr, topic, 1, 1, nil)
	var leader int32
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		parts, err := brokertest.Describe(t, addr, topic)
		if err != nil || len(parts) != 1 || parts[0].Leader < 0 {
			return fmt.Errorf("%v %+v", err, parts)
		}
		leader = parts[0].Leader
		return nil
	})
	follower := 3 - leader
	throttler, other := follower, leader
	if side == "leader" {
		throttler, other = leader, follower
	}
	const rate = 2000
	alterConfig(t, bs[throttler].Addr(), throttler, kmsg.ConfigResourceTypeBroker, fmt.Sprint(throttler), side+".replication.throttled.rate", fmt.Sprint(rate))
	alterConfig(t, addr, 1, kmsg.ConfigResourceTypeTopic, topic, side+".replication.throttled.replicas", fmt.Sprintf("0:%d", throttler))
	produceSmall(t, addr, topic, 600) // some 50 kB once compressed: more than twice what ten windows allow

	tb := bs[throttler].Broker
	if code := brokertest.AlterReassignment(t, addr, topic, 0, []int32{leader, follower}); code != 0 {
		t.Fatalf("AlterPartitionReassignments: error %d", code)
	}
	inSync := func() bool {
		parts, err := brokertest.Describe(t, addr, topic)
		return err == nil && len(parts) == 1 && slices.Equal(parts[0].ISR, []int32{1, 2})
	}
	// Each step: wait until the throttler has held the partition back
	// twice at this time (so no fetch is in flight) or the follower is in
	// sync, note the bytes counted, move the clock one window on.
	var steps []float64
	prevBytes := 0.0
	for step := 0; ; step++ {
		if step > 500 {
			t.Fatalf("not in sync after %d windows: bytes per window %v", step, steps)
		}
		before := broker.ReplicationThrottled(tb, side)
		done := false
		await.Eventually(t, 30*time.Second, 2*time.Millisecond, func() error {
			if broker.ReplicationThrottled(tb, side) >= before+2 {
				return nil
			}
			if inSync() {
				done = true
				return nil
			}
			return fmt.Errorf("window %d: neither throttled nor in sync", step)
		})
		got := broker.ReplicationThrottledBytes(tb, side)
		steps = append(steps, got-prevBytes)
		prevBytes = got
		if done {
			break
		}
		nanos.Add(int64(time.Second))
	}
	t.Logf("in sync after %d windows; bytes per window: %v", len(steps), steps)
	if broker.ReplicationThrottled(tb, side) == 0 || len(steps) < 3 {
		t.Fatalf("never throttled (%d windows)", len(steps))
	}
	const num = 11
	bound := float64(rate*num + 2*(fetchMax+200))
	for i := range steps {
		sum := 0.0
		for _, s := range steps[max(0, i-num+1) : i+1] {
			sum += s
		}
		if sum > bound {
			t.Errorf("windows %d–%d: %v bytes, over %v", max(0, i-num+1), i, sum, bound)
		}
	}
	for _, s := range []string{"leader", "follower"} {
		if n := broker.ReplicationThrottled(bs[other].Broker, s); n != 0 {
			t.Errorf("broker %d, not throttled, held back %v fetches as %s", other, n, s)
		}
	}
}

// alterConfig sets one config with IncrementalAlterConfigs, sent to
// broker id at addr.
func alterConfig(t *testing.T, addr string, id int32, typ kmsg.ConfigResourceType, name, key, value string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	rr := kmsg.NewIncrementalAlterConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = typ, name
	rc := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	rc.Name, rc.Value = key, kmsg.StringPtr(value)
	rr.Configs = append(rr.Configs, rc)
	req.Resources = append(req.Resources, rr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kresp, err := cl.Broker(int(id)).RetriableRequest(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.IncrementalAlterConfigsResponse).Resources[0]; r.ErrorCode != 0 {
		t.Fatalf("%s=%s on %s: error %d %v", key, value, name, r.ErrorCode, r.ErrorMessage)
	}
}

// TestBrokerThrottleThroughZooKeeper: the throttle rates written into
// /config/brokers/<id> and <default> with a change notification, as
// Kafka 2.x's tools write them through ZooKeeper, are applied by the
// broker concerned (DescribeConfigs shows them with their sources); a
// change for another broker is not, and a value that is not a number is
// ignored.
func TestBrokerThrottleThroughZooKeeper(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	zc, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		_, err := describeBrokerThrottles(t, b.Addr())
		return err
	})
	write := func(entity, config string) {
		t.Helper()
		for _, p := range []string{"/config", "/config/brokers", "/config/changes"} {
			if _, err := zc.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
				t.Fatal(err)
			}
		}
		data := []byte(`{"version":1,"config":` + config + `}`)
		if _, err := zc.Set("/config/"+entity, data, -1); err == zk.ErrNoNode {
			_, err = zc.Create("/config/"+entity, data, 0, zk.WorldACL(zk.PermAll))
			if err != nil {
				t.Fatal(err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
		if _, err := zc.Create("/config/changes/config_change_", []byte(`{"version":2,"entity_path":"`+entity+`"}`), zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want map[string]string) {
		t.Helper()
		await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
			got, err := describeBrokerThrottles(t, b.Addr())
			if err != nil {
				return err
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("broker 1 describes %v, want %v", got, want)
			}
			return nil
		})
	}
	write("brokers/<default>", `{"leader.replication.throttled.rate":"500","follower.replication.throttled.rate":"600"}`)
	expect(map[string]string{
		"leader.replication.throttled.rate":   "500 DYNAMIC_DEFAULT_BROKER_CONFIG",
		"follower.replication.throttled.rate": "600 DYNAMIC_DEFAULT_BROKER_CONFIG",
	})
	write("brokers/2", `{"leader.replication.throttled.rate":"9"}`) // another broker's
	write("brokers/1", `{"leader.replication.throttled.rate":"700"}`)
	expect(map[string]string{
		"leader.replication.throttled.rate":   "700 DYNAMIC_BROKER_CONFIG",
		"follower.replication.throttled.rate": "600 DYNAMIC_DEFAULT_BROKER_CONFIG",
	})
	if got := broker.ReplicationRates(b.Broker); got != [2]int64{700, 600} {
		t.Errorf("rates applied %v, want [700 600]", got)
	}
	write("brokers/1", `{"leader.replication.throttled.rate":"fast"}`)
	expect(map[string]string{
		"leader.replication.throttled.rate":   "fast DYNAMIC_BROKER_CONFIG",
		"follower.replication.throttled.rate": "600 DYNAMIC_DEFAULT_BROKER_CONFIG",
	})
	if got := broker.ReplicationRates(b.Broker); got != [2]int64{500, 600} {
		t.Errorf("with a broken own value the rates are %v, want the defaults [500 600]", got)
	}
}

// describeBrokerThrottles is what DescribeConfigs says of broker 1's
// throttle rates: "value SOURCE" by name.
func describeBrokerThrottles(t *testing.T, addr string) (map[string]string, error) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	req := kmsg.NewPtrDescribeConfigsRequest()
	rr := kmsg.NewDescribeConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeBroker, "1"
	rr.ConfigNames = []string{"leader.replication.throttled.rate", "follower.replication.throttled.rate"}
	req.Resources = append(req.Resources, rr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kresp, err := cl.Broker(1).Request(ctx, req)
	if err != nil {
		return nil, err
	}
	res := kresp.(*kmsg.DescribeConfigsResponse).Resources[0]
	if res.ErrorCode != 0 {
		return nil, fmt.Errorf("DescribeConfigs: error %d", res.ErrorCode)
	}
	got := map[string]string{}
	for _, c := range res.Configs {
		got[c.Name] = fmt.Sprintf("%s %s", *c.Value, c.Source)
	}
	return got, nil
}
