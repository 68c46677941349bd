package interop_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestClusterOpsMatchKafka: the --bootstrap-server forms of the cluster
// operations Kafka operators run — kafka-leader-election.sh,
// kafka-reassign-partitions.sh --generate/--execute/--verify and
// kafka-cluster.sh cluster-id — print the same against one sluice broker
// and one Kafka 3.9 broker (both id 1), the cluster id masked. (The
// moves themselves, across brokers and under load, are
// TestReassignPartitions and TestElectLeaders; the 2.7 --zookeeper forms
// are TestKafka27ZooKeeperFormsMatch.)
func TestClusterOpsMatchKafka(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka's JVM tools or brokers: see the package doc
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	k := testpeer.StartKafka(t)

	ours := clusterOpsScenario(t, b.Addr())
	theirs := clusterOpsScenario(t, k.Addr)
	for i := range theirs {
		if ours[i] != theirs[i] {
			t.Errorf("step %d: sluice printed\n%s\nKafka printed\n%s", i, ours[i], theirs[i])
		}
	}
	t.Logf("the tools printed:\n%s", strings.Join(ours, "\n"))
}

var clusterIDLine = regexp.MustCompile(`(?m)^Cluster ID: \S+$`)

// clusterOpsScenario runs the tools against the broker at addr and
// returns what each step printed.
func clusterOpsScenario(t *testing.T, addr string) []string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tool := func(script string, args ...string) string {
		return testpeer.KafkaTool(t, script, nil, append([]string{"--bootstrap-server", addr}, args...)...)
	}
	var out []string
	tool("kafka-topics.sh", "--create", "--topic", "ops", "--partitions", "2", "--replication-factor", "1")

	out = append(out, clusterIDLine.ReplaceAllString(
		testpeer.KafkaTool(t, "kafka-cluster.sh", nil, "cluster-id", "--bootstrap-server", addr), "Cluster ID: <id>"))
	out = append(out, tool("kafka-leader-election.sh", "--election-type", "preferred", "--topic", "ops", "--partition", "0"))
	out = append(out, tool("kafka-leader-election.sh", "--election-type", "unclean", "--path-to-json-file",
		write("elect.json", `{"partitions":[{"topic":"ops","partition":1}]}`)))

	topics := write("topics.json", `{"version":1,"topics":[{"topic":"ops"}]}`)
	out = append(out, tool("kafka-reassign-partitions.sh", "--generate", "--topics-to-move-json-file", topics, "--broker-list", "1"))
	plan := write("plan.json", `{"version":1,"partitions":[{"topic":"ops","partition":0,"replicas":[1]},{"topic":"ops","partition":1,"replicas":[1]}]}`)
	out = append(out, tool("kafka-reassign-partitions.sh", "--execute", "--reassignment-json-file", plan))
	var verified string
	await.Eventually(t, time.Minute, 500*time.Millisecond, func() error {
		verified = tool("kafka-reassign-partitions.sh", "--verify", "--reassignment-json-file", plan)
		if strings.Count(verified, "is completed") != 2 {
			return fmt.Errorf("--verify printed:\n%s", verified)
		}
		return nil
	})
	out = append(out, verified)
	out = append(out, tool("kafka-reassign-partitions.sh", "--list"))
	return out
}
