package broker_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// reassignPlan is a kafka-reassign-partitions.sh reassignment file moving
// topic-p to replicas.
func reassignPlan(t *testing.T, topic string, p int, replicas []int32) string {
	t.Helper()
	var ids, dirs []string
	for _, id := range replicas {
		ids = append(ids, fmt.Sprint(id))
		dirs = append(dirs, `"any"`)
	}
	f := filepath.Join(t.TempDir(), "plan.json")
	plan := fmt.Sprintf(`{"version":1,"partitions":[{"topic":%q,"partition":%d,"replicas":[%s],"log_dirs":[%s]}]}`,
		topic, p, strings.Join(ids, ","), strings.Join(dirs, ","))
	if err := os.WriteFile(f, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestReassignPartitions: three brokers hold a topic of two partitions
// with two replicas each under an acks=all numbered load; a fourth
// broker joins. Kafka 3.9's kafka-reassign-partitions.sh
// --bootstrap-server proposes a plan (--generate), moves partition 0 off
// its leader onto the new broker (--execute) and says it is complete
// (--verify); Kafka 2.7's --zookeeper moves partition 1's follower onto
// it the same way, through /admin/reassign_partitions. Every broker then
// answers the new replicas, all in sync; the removed replicas' data is
// gone; every acknowledged record is read exactly once, none lost.
func TestReassignPartitions(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see helpers_test.go
	testpeer.Used(t, "kafka", testpeer.KafkaVersion+" kafka-reassign-partitions.sh --bootstrap-server")
	testpeer.Used(t, "kafka27", testpeer.Kafka27Version+" kafka-reassign-partitions.sh --zookeeper")
	zkAddr := testcluster.Coordinator(t)
	brokers := map[int32]*testcluster.Broker{}
	var addrs []string
	for id := int32(1); id <= 3; id++ {
		brokers[id] = testcluster.StartBroker(t, int(id), zkAddr, "")
		addrs = append(addrs, brokers[id].Addr())
	}
	const topic = "move"
	createReplicated(t, addrs[0], topic, 2, 2, nil)
	awaitPreferred(t, addrs, topic, 2, func(int, []int32) error { return nil })

	const n = 60000
	load := startNumberedLoad(t, addrs, topic, n)
	await.Progress(t, time.Minute, 10*time.Minute, 20*time.Millisecond, func() (int64, error) {
		got := load.ackedCount()
		if got < n/10 {
			return int64(got), fmt.Errorf("%d of %d acknowledged", got, n/10)
		}
		return int64(got), nil
	})
	brokers[4] = testcluster.StartBroker(t, 4, zkAddr, "")
	addrs = append(addrs, brokers[4].Addr())
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		return kadmin.ReadyBrokers(context.Background(), addrs[0], 4)
	})
	_, parts, err := clusterInfo(addrs[0], topic)
	if err != nil {
		t.Fatal(err)
	}
	// Partition 0 loses its leader to broker 4; partition 1 its follower.
	gone0, gone1 := parts[0].leader, otherReplica(parts[1].replicas, parts[1].leader)
	target0 := []int32{4, otherReplica(parts[0].replicas, gone0)}
	target1 := []int32{parts[1].leader, 4}
	t.Logf("partition 0 %+v -> %v, partition 1 %+v -> %v, with %d records acknowledged", parts[0], target0, parts[1], target1, load.ackedCount())

	bootstrap := strings.Join(addrs, ",")
	topicsFile := filepath.Join(t.TempDir(), "topics.json")
	if err := os.WriteFile(topicsFile, []byte(`{"version":1,"topics":[{"topic":"`+topic+`"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := testpeer.KafkaTool(t, "kafka-reassign-partitions.sh", nil, "--bootstrap-server", bootstrap,
		"--topics-to-move-json-file", topicsFile, "--broker-list", "1,2,3,4", "--generate")
	if !strings.Contains(out, "Current partition replica assignment") || !strings.Contains(out, "Proposed partition reassignment configuration") {
		t.Fatalf("kafka-reassign-partitions.sh --generate printed:\n%s", out)
	}
	plan0 := reassignPlan(t, topic, 0, target0)
	out = testpeer.KafkaTool(t, "kafka-reassign-partitions.sh", nil, "--bootstrap-server", bootstrap, "--reassignment-json-file", plan0, "--execute")
	t.Logf("kafka-reassign-partitions.sh --execute:\n%s", out)
	if !strings.Contains(out, "Successfully started partition reassignment") {
		t.Fatalf("kafka-reassign-partitions.sh --execute printed:\n%s", out)
	}
	await.Eventually(t, 3*time.Minute, 200*time.Millisecond, func() error {
		out := testpeer.KafkaTool(t, "kafka-reassign-partitions.sh", nil, "--bootstrap-server", bootstrap, "--reassignment-json-file", plan0, "--verify")
		if !strings.Contains(out, "Reassignment of partition "+topic+"-0 is completed.") {
			return fmt.Errorf("kafka-reassign-partitions.sh --verify printed:\n%s", out)
		}
		return nil
	})

	plan1 := reassignPlan(t, topic, 1, target1)
	out = testpeer.Kafka27Tool(t, "kafka-reassign-partitions.sh", nil, "--zookeeper", zkAddr, "--reassignment-json-file", plan1, "--execute")
	t.Logf("kafka-reassign-partitions.sh --zookeeper --execute (2.7):\n%s", out)
	if !strings.Contains(out, "Successfully started") {
		t.Fatalf("kafka-reassign-partitions.sh --zookeeper --execute printed:\n%s", out)
	}
	await.Eventually(t, 3*time.Minute, 200*time.Millisecond, func() error {
		out := testpeer.Kafka27Tool(t, "kafka-reassign-partitions.sh", nil, "--zookeeper", zkAddr, "--reassignment-json-file", plan1, "--verify")
		if !strings.Contains(out, "Reassignment of partition "+topic+"-1 is complete") {
			return fmt.Errorf("kafka-reassign-partitions.sh --zookeeper --verify printed:\n%s", out)
		}
		return nil
	})
	t.Logf("both moved with %d records acknowledged", load.ackedCount())

	// Every broker answers the new replicas, all in sync.
	want := [][]int32{target0, target1}
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		for _, addr := range addrs {
			md, err := topicMetadata(addr, topic)
			if err != nil {
				return err
			}
			for p, part := range md.parts {
				if !slices.Equal(part.replicas, want[p]) || !sameIDs(part.isr, want[p]) || !slices.Contains(want[p], part.leader) {
					return fmt.Errorf("broker at %s: %s-%d is %+v, want replicas %v all in sync", addr, topic, p, part, want[p])
				}
			}
		}
		return nil
	})
	// The removed replicas deleted their data.
	for p, id := range []int32{gone0, gone1} {
		dir := filepath.Join(brokers[id].Dir, "logs", fmt.Sprintf("%s-%d", topic, p))
		await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				return fmt.Errorf("broker %d still has %s (%v)", id, dir, err)
			}
			return nil
		})
	}

	load.finish(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	total := int64(0)
	for _, end := range endOffsets(t, cl, topic) {
		total += end
	}
	seen := map[string]int{}
	for _, vs := range consumeAll(t, addrs, topic, int(total)) {
		for _, v := range vs {
			seen[v]++
			if seen[v] > 1 && load.acked[v] {
				t.Errorf("acknowledged record %s read twice", v)
			}
		}
	}
	lost := 0
	for v := range load.acked {
		if seen[v] == 0 {
			lost++
		}
	}
	t.Logf("%d records: %d acknowledged, %d failed, %d read", n, len(load.acked), len(load.fails), len(seen))
	if lost > 0 {
		t.Fatalf("%d acknowledged records lost", lost)
	}
	if len(load.acked) != n {
		t.Errorf("%d records not acknowledged: %v", n-len(load.acked), firstErr(load.fails))
	}
}

// otherReplica is the replica of a two-replica partition that is not id.
func otherReplica(replicas []int32, id int32) int32 {
	for _, r := range replicas {
		if r != id {
			return r
		}
	}
	return -1
}
