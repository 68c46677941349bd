package testpeer

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
)

// kafkaSmokeRecords is how many distinct records TestKafkaPeer round-trips.
const kafkaSmokeRecords = 1000

func TestKafkaPeer(t *testing.T) {
	k := StartKafka(t)
	const topic = "sluice-smoke"

	KafkaTool(t, "kafka-topics.sh", nil, "--bootstrap-server", k.Addr,
		"--create", "--topic", topic, "--partitions", "3", "--replication-factor", "1")
	desc := KafkaTool(t, "kafka-topics.sh", nil, "--bootstrap-server", k.Addr, "--describe", "--topic", topic)
	if !regexp.MustCompile(`PartitionCount:\s*3\b`).MatchString(desc) {
		t.Fatalf("kafka-topics.sh --describe does not show 3 partitions:\n%s", desc)
	}

	want := make([]string, kafkaSmokeRecords)
	var in bytes.Buffer
	for i := range want {
		want[i] = fmt.Sprintf("sluice-record-%04d", i)
		in.WriteString(want[i] + "\n")
	}
	KafkaTool(t, "kafka-console-producer.sh", &in, "--bootstrap-server", k.Addr, "--topic", topic)

	out := KafkaTool(t, "kafka-console-consumer.sh", nil, "--bootstrap-server", k.Addr, "--topic", topic,
		"--from-beginning", "--max-messages", fmt.Sprint(kafkaSmokeRecords), "--timeout-ms", "30000")
	if err := sameRecords(want, out); err != nil {
		t.Fatalf("kafka-console-consumer.sh: %v", err)
	}

	kcat := Kcat(t)
	ver := Output(t, 30*time.Second, kcat, "-V")
	if m := regexp.MustCompile(`Version ([0-9.]+) .*librdkafka ([0-9.]+)`).FindStringSubmatch(ver); m != nil {
		ver = "kcat " + m[1] + ", librdkafka " + m[2]
	} else {
		ver = strings.SplitN(ver, "\n", 2)[0]
	}
	Used(t, "kcat", ver+" against kafka "+KafkaVersion+" at "+k.Addr)
	await.Eventually(t, 60*time.Second, 500*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, kcat, "-C", "-b", k.Addr, "-t", topic, "-e", "-q", "-f", `%s\n`)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("kcat -C: %v\nstderr:\n%s", err, stderr.String())
		}
		if err := sameRecords(want, stdout.String()); err != nil {
			return fmt.Errorf("kcat -C: %w", err)
		}
		return nil
	})
}

// sameRecords reports whether out holds exactly the lines of want, once each,
// in any order.
func sameRecords(want []string, out string) error {
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" {
		got = nil
	}
	if len(got) != len(want) {
		return fmt.Errorf("got %d records, want %d; first lines: %q", len(got), len(want), got[:min(len(got), 5)])
	}
	sorted := append([]string(nil), got...)
	sort.Strings(sorted)
	exp := append([]string(nil), want...)
	sort.Strings(exp)
	for i := range exp {
		if sorted[i] != exp[i] {
			return fmt.Errorf("records differ: at sorted position %d got %q, want %q", i, sorted[i], exp[i])
		}
	}
	return nil
}

// TestKafka27Peer: the Apache Kafka 2.7 tools are provisioned and run on
// this JDK (the broker tests drive them against sluice).
func TestKafka27Peer(t *testing.T) {
	out := Kafka27Tool(t, "kafka-topics.sh", nil, "--version")
	if !strings.HasPrefix(strings.TrimSpace(out), Kafka27Version+" ") {
		t.Fatalf("kafka-topics.sh --version printed %q, want %s", out, Kafka27Version)
	}
	Used(t, "kafka27", "Kafka "+strings.TrimSpace(out)+" CLI tools")
}

// TestKafka27Broker: Apache Kafka 2.7's broker starts on Apache ZooKeeper
// (on this JDK), and its --zookeeper tools create a topic it then leads.
func TestKafka27Broker(t *testing.T) {
	zk := StartZooKeeper(t)
	k := StartKafka27(t, zk.Addr, 1, 1)
	out := Kafka27Tool(t, "kafka-topics.sh", nil, "--zookeeper", zk.Addr, "--create", "--topic", "t27", "--partitions", "2", "--replication-factor", "1")
	if !strings.Contains(out, "Created topic t27.") {
		t.Fatalf("kafka-topics.sh --create --zookeeper printed:\n%s", out)
	}
	leader := regexp.MustCompile(`(?m)^\s*Topic: t27\s+Partition: \d+\s+Leader: 1\s`)
	await.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		out := Kafka27Tool(t, "kafka-topics.sh", nil, "--zookeeper", zk.Addr, "--describe", "--topic", "t27")
		if n := len(leader.FindAllString(out, -1)); n != 2 {
			return fmt.Errorf("%d of 2 partitions led by broker 1 at %s:\n%s", n, k.Addr, out)
		}
		return nil
	})
}
