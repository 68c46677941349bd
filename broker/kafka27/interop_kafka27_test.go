package kafka27_test

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// described27 is one partition line of Kafka 2.7's kafka-topics.sh
// --describe.
type described27 struct {
	leader        string // "none" when the partition has no leader
	replicas, isr []int32
}

var describe27Line = regexp.MustCompile(`(?m)^\s*Topic: (\S+)\s+Partition: (\d+)\s+Leader: (\S+)\s+Replicas: ([\d,]+)\s+Isr: ([\d,]*)`)

// parseDescribe27 reads the partition lines of topic from out.
func parseDescribe27(t *testing.T, out, topic string) map[int]described27 {
	t.Helper()
	parts := map[int]described27{}
	for _, m := range describe27Line.FindAllStringSubmatch(out, -1) {
		if m[1] != topic {
			continue
		}
		p, _ := strconv.Atoi(m[2])
		parts[p] = described27{leader: m[3], replicas: brokerList(t, m[4]), isr: brokerList(t, m[5])}
	}
	return parts
}

// brokerList parses "2,3,1".
func brokerList(t *testing.T, s string) []int32 {
	t.Helper()
	var out []int32
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		id, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("broker list %q: %v", s, err)
		}
		out = append(out, int32(id))
	}
	return out
}

// TestKafka27WalkThrough runs a Kafka 2.7 course's walk-through verbatim
// against three sluice brokers on a three-member sluice coordinator
// ensemble (all processes), with Apache Kafka 2.7's own tools managing
// the topic through ZooKeeper: kafka-topics.sh --create, --describe,
// --list and --delete with --zookeeper, the console producer with
// --broker-list and the console consumer --from-beginning. A broker
// killed with kill -9 leaves every ISR (as --describe shows) and returns
// to them once restarted, then leads again the partitions it is the
// preferred replica of (auto.leader.rebalance.enable); the deleted topic is gone from --list and
// from every broker's Metadata, and creating it again makes a new topic,
// not one "marked for deletion".
func TestKafka27WalkThrough(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	bin := testpeer.SluiceBinary(t)
	ens := testpeer.EnsembleFor(t, testpeer.EnsembleSpec{Kind: testpeer.KindSluice, Members: 3, Sluice: bin})
	zkConnect := strings.Join(ens.Addrs(), ",")
	brokers := brokertest.StartBrokerProcs(t, zkConnect, 3, func(c *broker.Config) {
		// A killed broker's registration goes when its session expires.
		c.ZooKeeperSessionTimeout, c.ZooKeeperTimeout = 4*time.Second, 10*time.Second
		c.ReplicaLagTimeMax = 5 * time.Second
		// The restarted broker gets its leadership back at the first
		// check after it is in sync (Kafka's default: every 5 minutes).
		c.LeaderImbalanceCheckSeconds = 1
	})
	var addrs []string
	for _, b := range brokers {
		addrs = append(addrs, b.Addr)
	}
	brokerList := strings.Join(addrs, ",")
	testpeer.Used(t, "kafka27", testpeer.Kafka27Version+" CLI tools through the sluice coordinator")
	const topic = "magedu"
	topics := func(args ...string) string {
		t.Helper()
		return testpeer.Kafka27Tool(t, "kafka-topics.sh", nil, append(args, "--zookeeper", zkConnect)...)
	}
	describe := func() map[int]described27 {
		t.Helper()
		out := topics("--describe", "--topic", topic)
		t.Logf("kafka-topics.sh --describe --zookeeper:\n%s", out)
		parts := parseDescribe27(t, out, topic)
		if len(parts) != 3 {
			t.Fatalf("kafka-topics.sh --describe shows %d partitions of %s, want 3:\n%s", len(parts), topic, out)
		}
		return parts
	}
	anyReplicas := func(int, []int32) error { return nil }

	out := topics("--create", "--partitions", "3", "--replication-factor", "3", "--topic", topic)
	if !strings.Contains(out, "Created topic "+topic+".") {
		t.Fatalf("kafka-topics.sh --create --zookeeper printed:\n%s", out)
	}
	// The controller starts it; every broker then answers it.
	id := brokertest.AwaitPreferred(t, addrs, topic, 3, anyReplicas)
	for p, d := range describe() {
		if len(d.replicas) != 3 || d.leader != strconv.Itoa(int(d.replicas[0])) || !slices.Equal(d.isr, d.replicas) {
			t.Fatalf("partition %d: %+v, want three replicas, the first leading, all in sync in replica order", p, d)
		}
	}
	if out := topics("--list"); !brokertest.HasLine(out, topic) {
		t.Fatalf("kafka-topics.sh --list --zookeeper does not list %s:\n%s", topic, out)
	}

	const n = 200
	var in strings.Builder
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("walk-through line %03d", i)
		fmt.Fprintln(&in, want[i])
	}
	testpeer.Kafka27Tool(t, "kafka-console-producer.sh", strings.NewReader(in.String()), "--broker-list", brokerList, "--topic", topic)
	out = testpeer.Kafka27Tool(t, "kafka-console-consumer.sh", nil, "--topic", topic, "--bootstrap-server", brokerList,
		"--from-beginning", "--max-messages", strconv.Itoa(n), "--timeout-ms", "60000")
	got := strings.Split(strings.TrimRight(out, "\n"), "\n")
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Fatalf("kafka-console-consumer.sh printed %d lines, want the %d produced:\n%s", len(got), n, out)
	}
	// Exactly those: the partitions end where n records end.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var total int64
	for _, end := range brokertest.EndOffsets(t, cl, topic) {
		total += end
	}
	if total != n {
		t.Fatalf("%s holds %d records, want the %d produced", topic, total, n)
	}

	// kill -9 the preferred leader of partition 0: it leaves every ISR.
	victim := describe()[0].replicas[0]
	t.Logf("kill -9 broker %d", victim)
	brokers[victim-1].Kill()
	var live []string
	for _, b := range brokers {
		if int32(b.ID) != victim {
			live = append(live, b.Addr)
		}
	}
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		for _, addr := range live {
			md, err := brokertest.TopicMetadata(addr, topic)
			if err != nil {
				return err
			}
			for p, part := range md.Parts {
				if part.Leader == victim || part.Leader < 0 || slices.Contains(part.ISR, victim) {
					return fmt.Errorf("broker at %s: %s-%d is %+v with broker %d dead", addr, topic, p, part, victim)
				}
			}
		}
		return nil
	})
	for p, d := range describe() {
		if d.leader == strconv.Itoa(int(victim)) || slices.Contains(d.isr, victim) || len(d.isr) != 2 {
			t.Fatalf("partition %d after kill -9 of broker %d: %+v, want the two others in sync, one leading", p, victim, d)
		}
	}

	// Restarted, it catches up and is back in every ISR.
	brokers[victim-1].Start(t)
	await.Eventually(t, 90*time.Second, 50*time.Millisecond, func() error {
		for _, addr := range addrs {
			md, err := brokertest.TopicMetadata(addr, topic)
			if err != nil {
				return err
			}
			for p, part := range md.Parts {
				if !brokertest.SameIDs(part.ISR, part.Replicas) {
					return fmt.Errorf("broker at %s: %s-%d is %+v", addr, topic, p, part)
				}
			}
		}
		return nil
	})
	// auto.leader.rebalance.enable: each partition is led by its
	// preferred replica again (the walk-through's "Leader: 2 Replicas:
	// 2,3,1").
	brokertest.AwaitPreferred(t, addrs, topic, 3, anyReplicas)
	for p, d := range describe() {
		if !brokertest.SameIDs(d.isr, d.replicas) || d.leader != strconv.Itoa(int(d.replicas[0])) {
			t.Fatalf("partition %d after broker %d returned: %+v, want every replica in sync and the first leading", p, victim, d)
		}
	}

	out = topics("--delete", "--topic", topic)
	if !strings.Contains(out, "Topic "+topic+" is marked for deletion.") {
		t.Fatalf("kafka-topics.sh --delete --zookeeper printed:\n%s", out)
	}
	brokertest.AwaitGone(t, addrs, topic)
	if out := topics("--list"); strings.Contains(out, topic) {
		t.Fatalf("kafka-topics.sh --list --zookeeper still shows %s after --delete:\n%s", topic, out)
	}

	out = topics("--create", "--partitions", "3", "--replication-factor", "3", "--topic", topic)
	if !strings.Contains(out, "Created topic "+topic+".") {
		t.Fatalf("kafka-topics.sh --create --zookeeper of %s again printed:\n%s", topic, out)
	}
	if again := brokertest.AwaitPreferred(t, addrs, topic, 3, anyReplicas); again == id {
		t.Fatalf("%s created again has the deleted topic's id %x", topic, id)
	}
	if out := topics("--list"); !brokertest.HasLine(out, topic) {
		t.Fatalf("kafka-topics.sh --list --zookeeper does not list %s created again as it is (not marked for deletion):\n%s", topic, out)
	}
}

// TestKafka27PreferredReplicaElection: with auto.leader.rebalance.enable
// off, leadership that moved away from a broker that was down stays away
// after it returns (and a preferred_replica_election node that does not
// decode is removed without changing it), until Kafka 2.7's
// kafka-preferred-replica-election.sh --zookeeper asks the controller to
// give every partition back to its preferred replica.
func TestKafka27PreferredReplicaElection(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	zkAddr := testcluster.Coordinator(t)
	noRebalance := func(c *broker.Config) { c.AutoLeaderRebalance = false }
	var brokers []*testcluster.Broker
	var addrs []string
	for id := 1; id <= 3; id++ {
		b := testcluster.StartBroker(t, id, zkAddr, "", noRebalance)
		brokers = append(brokers, b)
		addrs = append(addrs, b.Addr())
	}
	const topic = "pref"
	testcluster.CreateReplicatedTopic(t, addrs[0], topic, 3, 3, nil)
	anyReplicas := func(int, []int32) error { return nil }
	brokertest.AwaitPreferred(t, addrs, topic, 3, anyReplicas)

	// Broker 1 goes away and comes back: it catches up, but the partition
	// it is the preferred replica of stays led by another.
	dir := brokers[0].Dir
	brokers[0].Stop()
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		md, err := brokertest.TopicMetadata(addrs[1], topic)
		if err != nil {
			return err
		}
		for p, part := range md.Parts {
			if part.Leader == 1 || part.Leader < 0 || slices.Contains(part.ISR, 1) {
				return fmt.Errorf("%s-%d is %+v with broker 1 down", topic, p, part)
			}
		}
		return nil
	})
	brokers[0] = testcluster.StartBroker(t, 1, zkAddr, dir, noRebalance)
	addrs[0] = brokers[0].Addr()
	notPreferred := func() []int {
		t.Helper()
		var out []int
		await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
			out = out[:0]
			md, err := brokertest.TopicMetadata(addrs[1], topic)
			if err != nil {
				return err
			}
			for p, part := range md.Parts {
				if !brokertest.SameIDs(part.ISR, part.Replicas) {
					return fmt.Errorf("%s-%d is %+v: broker 1 not back in sync", topic, p, part)
				}
				if part.Leader != part.Replicas[0] {
					out = append(out, p)
				}
			}
			return nil
		})
		return out
	}
	if moved := notPreferred(); len(moved) != 1 {
		t.Fatalf("partitions %v are not led by their preferred replica once broker 1 is back, want the one it prefers", moved)
	}
	zc, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	if _, err := zc.Create("/admin/preferred_replica_election", []byte("not json"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	brokertest.AwaitNoNode(t, zc, "/admin/preferred_replica_election")
	if moved := notPreferred(); len(moved) != 1 {
		t.Fatalf("a preferred replica election that does not decode moved leaders: %v not preferred", moved)
	}

	out := testpeer.Kafka27Tool(t, "kafka-preferred-replica-election.sh", nil, "--zookeeper", zkAddr)
	t.Logf("kafka-preferred-replica-election.sh --zookeeper:\n%s", out)
	if !strings.Contains(out, "Successfully started") {
		t.Fatalf("kafka-preferred-replica-election.sh --zookeeper printed:\n%s", out)
	}
	brokertest.AwaitPreferred(t, addrs, topic, 3, anyReplicas)
	brokertest.AwaitNoNode(t, zc, "/admin/preferred_replica_election")
}
