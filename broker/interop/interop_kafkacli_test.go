package interop_test

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestKafkaCLI drives the broker with Apache Kafka 3.9's own tools, as an
// operator used to Kafka would: kafka-topics.sh creates, lists, describes
// and deletes a topic, the console producer and consumer move 1,000 lines
// through it, and kafka-consumer-groups.sh shows the consumer's group with
// nothing left to read.
func TestKafkaCLI(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	addr := b.Addr()
	testpeer.Used(t, "kafka", testpeer.KafkaVersion+" CLI tools against the sluice broker")
	const topic = "magedu"
	topics := func(t *testing.T, args ...string) string {
		t.Helper()
		return testpeer.KafkaTool(t, "kafka-topics.sh", nil, append([]string{"--bootstrap-server", addr}, args...)...)
	}

	// Each step is a subtest, so that one tool failing still lets the
	// later steps run (and report what else fails). The later steps need
	// the topic: they are meaningful after "create" fails only if the
	// broker created it and just answered badly.
	t.Run("create", func(t *testing.T) {
		out := topics(t, "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "1")
		if !strings.Contains(out, "Created topic "+topic+".") {
			t.Fatalf("kafka-topics.sh --create printed:\n%s", out)
		}
	})
	t.Run("list", func(t *testing.T) {
		if out := topics(t, "--list"); !brokertest.HasLine(out, topic) {
			t.Fatalf("kafka-topics.sh --list does not list %s:\n%s", topic, out)
		}
	})
	t.Run("describe", func(t *testing.T) {
		out := topics(t, "--describe", "--topic", topic)
		t.Logf("kafka-topics.sh --describe:\n%s", out)
		if !regexp.MustCompile(`(?m)^Topic: ` + topic + `\s.*PartitionCount: 3\s`).MatchString(out) {
			t.Fatalf("kafka-topics.sh --describe lacks the topic line with PartitionCount: 3:\n%s", out)
		}
		partLine := regexp.MustCompile(`(?m)^\s*Topic: ` + topic + `\s+Partition: (\d+)\s+Leader: 1\s+Replicas: 1\s+Isr: 1\b`)
		parts := map[string]bool{}
		for _, m := range partLine.FindAllStringSubmatch(out, -1) {
			parts[m[1]] = true
		}
		if len(parts) != 3 || !parts["0"] || !parts["1"] || !parts["2"] {
			t.Fatalf("kafka-topics.sh --describe shows partitions %v with Leader: 1 Replicas: 1 Isr: 1, want 0, 1 and 2:\n%s", parts, out)
		}
	})

	// Keyed lines (key TAB value), so that all three partitions get some.
	const n = 1000
	var in strings.Builder
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("cli-line-%04d", i)
		fmt.Fprintf(&in, "k%d\t%s\n", i, want[i])
	}
	t.Run("console-producer", func(t *testing.T) {
		testpeer.KafkaTool(t, "kafka-console-producer.sh", strings.NewReader(in.String()),
			"--bootstrap-server", addr, "--topic", topic,
			"--property", "parse.key=true", "--property", "key.separator=\t",
			"--producer-property", "acks=all")
	})
	t.Run("console-consumer", func(t *testing.T) {

		out := testpeer.KafkaTool(t, "kafka-console-consumer.sh", nil,
			"--bootstrap-server", addr, "--topic", topic, "--from-beginning",
			"--max-messages", fmt.Sprint(n), "--group", "cli-group", "--timeout-ms", "60000")
		got := strings.Split(strings.TrimRight(out, "\n"), "\n")
		sort.Strings(got)
		if len(got) != n {
			t.Fatalf("kafka-console-consumer.sh printed %d lines, want %d", len(got), n)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("kafka-console-consumer.sh line %d (sorted) = %q, want %q", i, got[i], want[i])
			}
		}
	})
	t.Run("consumer-groups", func(t *testing.T) {

		out := testpeer.KafkaTool(t, "kafka-consumer-groups.sh", nil,
			"--bootstrap-server", addr, "--describe", "--group", "cli-group", "--timeout", "60000")
		t.Logf("kafka-consumer-groups.sh --describe:\n%s", out)
		rows := 0
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) < 6 || f[0] != "cli-group" {
				continue
			}
			// GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG …
			if f[1] != topic || f[3] != f[4] || f[5] != "0" {
				t.Fatalf("kafka-consumer-groups.sh --describe row %q: want topic %s, CURRENT-OFFSET = LOG-END-OFFSET, LAG 0", line, topic)
			}
			rows++
		}
		if rows != 3 {
			t.Fatalf("kafka-consumer-groups.sh --describe shows %d partitions of cli-group, want 3:\n%s", rows, out)
		}

	})
	t.Run("delete", func(t *testing.T) {
		topics(t, "--delete", "--topic", topic)
		if out := topics(t, "--list"); brokertest.HasLine(out, topic) {
			t.Fatalf("kafka-topics.sh --list still lists %s after --delete:\n%s", topic, out)
		}
	})
}
