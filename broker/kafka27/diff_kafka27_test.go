package kafka27_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// step27 is one command of the differential walk through Kafka 2.7's
// --zookeeper tools: the tool, its arguments ({zk} stands for the
// cluster's connect string, {bs} for its broker, {dir} for the test's
// directory) and, if set, what must hold of the cluster before the next
// step, since the controller and the brokers act on what the tools write
// after they exit: until holds of settle's output, or without settle of
// the step's own (which is then run again until it does).
type step27 struct {
	tool   string // a deploy/kafka/bin/2.7 wrapper, "3.9 " and a deploy/kafka/bin one, or "sluice topics"
	args   string
	fails  bool // the command fails: its exit code is part of its output
	settle *step27
	until  func(out string) error
}

// diff27Mask masks what may differ between two runs of the same commands
// on two clusters: times.
var diff27Mask = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d([.,]\d+)?`), "<time>"},
	// Kafka 2.7 has no topic ids (KIP-516 came with 2.8): it answers the
	// zero id, which the 3.9 tool leaves out, where sluice answers the
	// topic's.
	{regexp.MustCompile(`\tTopicId: \S+`), ""},
}

func mask27(out string) string {
	for _, m := range diff27Mask {
		out = m.re.ReplaceAllString(out, m.with)
	}
	return out
}

// leaders27 is a settle condition: topic has n partitions, each led.
func leaders27(topic string, n int) func(string) error {
	led := regexp.MustCompile(`(?m)^\s*Topic: ` + regexp.QuoteMeta(topic) + `\s+Partition: \d+\s+Leader: \d+\s`)
	return func(out string) error {
		if got := len(led.FindAllString(out, -1)); got != n {
			return fmt.Errorf("%d of %d partitions of %s led:\n%s", got, n, topic, out)
		}
		return nil
	}
}

// diff27Steps are the commands of the walk, in order.
func diff27Steps() []step27 {
	describe := func(topic string) *step27 {
		return &step27{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe --topic " + topic}
	}
	return []step27{
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --create --topic orders --partitions 3 --replication-factor 1 --config retention.ms=86400000",
			settle: describe("orders"), until: leaders27("orders", 3)},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --create --topic pinned --replica-assignment 1,1 --config cleanup.policy=compact --config segment.bytes=1048576",
			settle: describe("pinned"), until: leaders27("pinned", 2)},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --create --topic plain --partitions 1 --replication-factor 1",
			settle: describe("plain"), until: leaders27("plain", 1)},
		// Refused: a topic that exists, a replication factor over the
		// brokers there are, fewer partitions than the topic has, the
		// config of a topic that is not there.
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --create --topic orders --partitions 1 --replication-factor 1", fails: true},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --create --topic wide --partitions 1 --replication-factor 2", fails: true},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --alter --topic orders --partitions 2", fails: true},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --list"},
		{tool: "sluice topics", args: "--zookeeper {zk} --list"},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe"},
		{tool: "sluice topics", args: "--zookeeper {zk} --describe"},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe --topic orders"},
		{tool: "sluice topics", args: "--zookeeper {zk} --describe --topic orders"},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe --topics-with-overrides"},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe --under-replicated-partitions"},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe --unavailable-partitions"},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --alter --topic orders --partitions 5",
			settle: describe("orders"), until: leaders27("orders", 5)},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe --topic orders"},
		// What the broker itself serves of the topic.
		{tool: "3.9 kafka-topics.sh", args: "--bootstrap-server {bs} --describe --topic orders", until: leaders27("orders", 5)},
		{tool: "kafka-configs.sh", args: "--zookeeper {zk} --entity-type topics --entity-name orders --alter --add-config retention.ms=3600000"},
		{tool: "kafka-configs.sh", args: "--zookeeper {zk} --entity-type topics --entity-name orders --describe"},
		// What the broker itself took from /config/changes.
		{tool: "3.9 kafka-configs.sh", args: "--bootstrap-server {bs} --entity-type topics --entity-name orders --describe",
			until: func(out string) error {
				if !strings.Contains(out, "retention.ms=3600000 ") {
					return fmt.Errorf("the broker does not show retention.ms=3600000 yet:\n%s", out)
				}
				return nil
			}},
		{tool: "kafka-configs.sh", args: "--zookeeper {zk} --entity-type topics --entity-name plain --alter --add-config max.message.bytes=2000000,retention.ms=60000"},
		{tool: "kafka-configs.sh", args: "--zookeeper {zk} --entity-type topics --entity-name plain --alter --delete-config retention.ms"},
		{tool: "kafka-configs.sh", args: "--zookeeper {zk} --entity-type topics --describe"},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe --topics-with-overrides"},
		{tool: "kafka-preferred-replica-election.sh", args: "--zookeeper {zk}",
			settle: &step27{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe"}, until: leaders27("orders", 5)},
		{tool: "kafka-reassign-partitions.sh", args: "--zookeeper {zk} --generate --topics-to-move-json-file {dir}/move.json --broker-list 1"},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --delete --topic pinned",
			settle: &step27{tool: "kafka-topics.sh", args: "--zookeeper {zk} --list"},
			until: func(out string) error {
				if brokertest.HasLine(out, "pinned") || strings.Contains(out, "marked for deletion") {
					return fmt.Errorf("pinned not deleted yet:\n%s", out)
				}
				return nil
			}},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --list"},
		{tool: "sluice topics", args: "--zookeeper {zk} --list"},
		{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe"},
		{tool: "3.9 kafka-topics.sh", args: "--bootstrap-server {bs} --list",
			until: func(out string) error {
				if brokertest.HasLine(out, "pinned") {
					return fmt.Errorf("the broker still lists pinned:\n%s", out)
				}
				return nil
			}},
	}
}

// cluster27 is where a walk runs: the ZooKeeper connect string and the
// broker's address.
type cluster27 struct {
	name, zk, bs string
}

// run27 runs step's command against c and returns what it printed to
// stdout.
func run27(t *testing.T, s step27, c cluster27, dir string) string {
	t.Helper()
	args := strings.Fields(strings.NewReplacer("{zk}", c.zk, "{bs}", c.bs, "{dir}", dir).Replace(s.args))
	if tool, ok := strings.CutPrefix(s.tool, "3.9 "); ok {
		return testpeer.KafkaTool(t, tool, nil, args...)
	}
	if s.tool != "sluice topics" && s.fails {
		out, _, code := testpeer.Kafka27ToolExit(t, s.tool, nil, args...)
		if code == 0 {
			t.Fatalf("%s %s on %s: exit 0, want a failure:\n%s", s.tool, s.args, c.name, out)
		}
		return fmt.Sprintf("%s(exit %d)\n", out, code)
	}
	if s.tool != "sluice topics" {
		return testpeer.Kafka27Tool(t, s.tool, nil, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testpeer.SluiceBinary(t), append([]string{"topics"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sluice topics %q: %v\nstderr:\n%s", args, err, stderr.String())
	}
	return string(out)
}

// walk27 runs the steps against one cluster, waiting after each for what
// it settles on, and returns each step's output, masked.
func walk27(t *testing.T, c cluster27, steps []step27) []string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "move.json"), []byte(`{"version":1,"topics":[{"topic":"orders"},{"topic":"plain"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	outs := make([]string, len(steps))
	for i, s := range steps {
		outs[i] = mask27(run27(t, s, c, dir))
		switch {
		case s.settle != nil:
			await.Eventually(t, 90*time.Second, 200*time.Millisecond, func() error {
				return s.until(run27(t, *s.settle, c, dir))
			})
		case s.until != nil:
			await.Eventually(t, 90*time.Second, 200*time.Millisecond, func() error {
				if err := s.until(outs[i]); err != nil {
					outs[i] = mask27(run27(t, s, c, dir))
					return err
				}
				return nil
			})
		}
		t.Logf("%s: %s %s:\n%s", c.name, s.tool, s.args, outs[i])
	}
	return outs
}

// TestKafka27ZooKeeperFormsMatch runs Kafka 2.7's --zookeeper admin
// commands (kafka-topics.sh --create with --partitions and with
// --replica-assignment and --config, --describe with
// --topics-with-overrides, --under-replicated-partitions and
// --unavailable-partitions, --list, --alter --partitions, --delete;
// kafka-configs.sh --alter/--describe of topics;
// kafka-preferred-replica-election.sh; kafka-reassign-partitions.sh
// --generate; and refusals: an existing topic, too few brokers, fewer
// partitions) and `sluice topics --zookeeper` against a real Kafka 2.7
// broker and against a sluice broker, each alone on its own Apache
// ZooKeeper, and wants the same output from each command on both, times
// masked; `sluice topics --zookeeper` must print what 2.7's tool prints
// on the same cluster.
func TestKafka27ZooKeeperFormsMatch(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	steps := diff27Steps()

	var want, got []string
	// The two walks side by side; each cluster stops with its subtest.
	t.Run("walks", func(t *testing.T) {
		t.Run("kafka27", func(t *testing.T) {
			t.Parallel()
			zk := testpeer.StartZooKeeper(t)
			k := testpeer.StartKafka27(t, zk.Addr, 1, 1)
			want = walk27(t, cluster27{name: "kafka 2.7", zk: zk.Addr, bs: k.Addr}, steps)
		})
		t.Run("sluice", func(t *testing.T) {
			t.Parallel()
			zk := testpeer.StartZooKeeper(t)
			b := brokertest.StartBrokerProcs(t, zk.Addr, 1, func(c *broker.Config) {})[0]
			testpeer.Used(t, "kafka27", testpeer.Kafka27Version+" CLI tools against a sluice broker on Apache ZooKeeper")
			got = walk27(t, cluster27{name: "sluice", zk: zk.Addr, bs: b.Addr}, steps)
		})
	})
	if len(want) != len(steps) || len(got) != len(steps) {
		t.Fatal("a walk did not finish")
	}

	for i, s := range steps {
		if got[i] != want[i] {
			t.Errorf("%s %s:\nsluice:\n%s\nkafka 2.7:\n%s", s.tool, s.args, got[i], want[i])
		}
	}
	// `sluice topics --zookeeper` prints what the 2.7 tool printed just
	// before it, on the same cluster.
	for i, s := range steps {
		if s.tool == "sluice topics" && (i == 0 || steps[i-1].args != s.args) {
			t.Fatalf("step %d (%s) does not follow the 2.7 tool's same command", i, s.args)
		}
		if s.tool == "sluice topics" && want[i] != want[i-1] {
			t.Errorf("on kafka 2.7, sluice topics %s:\n%s\nkafka-topics.sh printed:\n%s", s.args, want[i], want[i-1])
		}
		if s.tool == "sluice topics" && got[i] != got[i-1] {
			t.Errorf("on sluice, sluice topics %s:\n%s\nkafka-topics.sh printed:\n%s", s.args, got[i], got[i-1])
		}
	}
}
