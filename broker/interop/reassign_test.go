package interop_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestReassignPartitions: three brokers hold a topic of two partitions
// with two replicas each; a fourth broker joins. Kafka 3.9's
// kafka-reassign-partitions.sh --bootstrap-server proposes a plan
// (--generate), moves partition 0 off its leader onto the new broker
// (--execute) and says it is complete (--verify); Kafka 2.7's --zookeeper
// moves partition 1's follower onto it the same way, through
// /admin/reassign_partitions, then partition 1's leader off its broker.
// Each move runs under an acks=all numbered load, after which every
// acknowledged record is read exactly once, none lost. Every broker then
// answers the new replicas, all in sync; the removed replicas' data is
// gone.
func TestReassignPartitions(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
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
	testcluster.CreateReplicatedTopic(t, addrs[0], topic, 2, 2, nil)
	brokertest.AwaitPreferred(t, addrs, topic, 2, func(int, []int32) error { return nil })

	brokers[4] = testcluster.StartBroker(t, 4, zkAddr, "")
	addrs = append(addrs, brokers[4].Addr())
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		return kadmin.ReadyBrokers(context.Background(), addrs[0], 4)
	})
	_, parts, err := brokertest.ClusterInfo(addrs[0], topic)
	if err != nil {
		t.Fatal(err)
	}
	// Partition 0 loses its leader to broker 4; partition 1 its
	// follower, then its leader to the broker that held neither.
	gone0, gone1, lead1 := parts[0].Leader, brokertest.OtherReplica(parts[1].Replicas, parts[1].Leader), parts[1].Leader
	target0 := []int32{4, brokertest.OtherReplica(parts[0].Replicas, gone0)}
	target1 := []int32{lead1, 4}
	target1b := []int32{10 - 4 - lead1 - gone1, 4}
	t.Logf("partition 0 %+v -> %v, partition 1 %+v -> %v -> %v", parts[0], target0, parts[1], target1, target1b)

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
	kafka39 := reassignTool{"3.9", testpeer.KafkaTool, []string{"--bootstrap-server", bootstrap}}
	kafka27 := reassignTool{"2.7 --zookeeper", testpeer.Kafka27Tool, []string{"--zookeeper", zkAddr}}
	underLoad(t, addrs, topic, "leader0-", func() { kafka39.reassign(t, topic, 0, target0) })
	underLoad(t, addrs, topic, "follower1-", func() { kafka27.reassign(t, topic, 1, target1) })
	underLoad(t, addrs, topic, "leader1-", func() { kafka27.reassign(t, topic, 1, target1b) })

	// Every broker answers the new replicas, all in sync.
	want := [][]int32{target0, target1b}
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		for _, addr := range addrs {
			md, err := brokertest.TopicMetadata(addr, topic)
			if err != nil {
				return err
			}
			for p, part := range md.Parts {
				if !slices.Equal(part.Replicas, want[p]) || !brokertest.SameIDs(part.ISR, want[p]) || !slices.Contains(want[p], part.Leader) {
					return fmt.Errorf("broker at %s: %s-%d is %+v, want replicas %v all in sync", addr, topic, p, part, want[p])
				}
			}
		}
		return nil
	})
	// The removed replicas deleted their data.
	for _, gone := range []struct {
		p  int
		id int32
	}{{0, gone0}, {1, gone1}, {1, lead1}} {
		dir := filepath.Join(brokers[gone.id].Dir, "logs", fmt.Sprintf("%s-%d", topic, gone.p))
		await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				return fmt.Errorf("broker %d still has %s (%v)", gone.id, dir, err)
			}
			return nil
		})
	}
}

// reassignTool is one version of kafka-reassign-partitions.sh, with the
// flags that connect it.
type reassignTool struct {
	name    string
	run     func(tb testing.TB, script string, stdin io.Reader, args ...string) string
	connect []string
}

// reassign moves topic-p to replicas with --execute and waits until
// --verify says it is complete.
func (rt reassignTool) reassign(t *testing.T, topic string, p int, replicas []int32) {
	t.Helper()
	plan := brokertest.ReassignPlan(t, topic, p, replicas)
	out := rt.run(t, "kafka-reassign-partitions.sh", nil, append(slices.Clone(rt.connect), "--reassignment-json-file", plan, "--execute")...)
	t.Logf("kafka-reassign-partitions.sh %s --execute %s-%d to %v:\n%s", rt.name, topic, p, replicas, out)
	if !strings.Contains(out, "Successfully started") {
		t.Fatalf("kafka-reassign-partitions.sh %s --execute printed:\n%s", rt.name, out)
	}
	done := fmt.Sprintf("Reassignment of partition %s-%d is complete", topic, p) // 3.9 says "completed"
	await.Eventually(t, 3*time.Minute, 200*time.Millisecond, func() error {
		out := rt.run(t, "kafka-reassign-partitions.sh", nil, append(slices.Clone(rt.connect), "--reassignment-json-file", plan, "--verify")...)
		if !strings.Contains(out, done) {
			return fmt.Errorf("kafka-reassign-partitions.sh %s --verify printed:\n%s", rt.name, out)
		}
		return nil
	})
}

// underLoad runs move while an idempotent acks=all producer writes
// numbered records prefix… to topic, from once it has some acknowledged
// until move has returned; then every record must have been acknowledged
// and every acknowledged one is read exactly once.
func underLoad(t *testing.T, addrs []string, topic, prefix string, move func()) {
	t.Helper()
	load := brokertest.StartLoad(t, addrs, topic, prefix, -1)
	await.Progress(t, time.Minute, 10*time.Minute, 20*time.Millisecond, func() (int64, error) {
		if got := load.AckedCount(); got < 2000 {
			return int64(got), fmt.Errorf("%d of 2000 acknowledged", got)
		}
		return 2000, nil
	})
	move()
	load.Stop()
	load.Finish(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	total := int64(0)
	for _, end := range brokertest.EndOffsets(t, cl, topic) {
		total += end
	}
	seen := map[string]int{}
	for _, vs := range brokertest.ConsumeAll(t, addrs, topic, int(total)) {
		for _, v := range vs {
			if strings.HasPrefix(v, prefix) {
				seen[v]++
			}
		}
	}
	lost := 0
	for v := range load.Acked {
		switch seen[v] {
		case 0:
			lost++
		case 1:
		default:
			t.Errorf("acknowledged record %s read %d times", v, seen[v])
		}
	}
	t.Logf("%s…: %d acknowledged, %d failed, %d read", prefix, len(load.Acked), len(load.Fails), len(seen))
	if lost > 0 {
		t.Fatalf("%d acknowledged records lost", lost)
	}
	if len(load.Fails) > 0 {
		t.Errorf("%d records not acknowledged: %v", len(load.Fails), brokertest.FirstErr(load.Fails))
	}
}
