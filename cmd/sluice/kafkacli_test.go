package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// kafkaCLI runs one sluice subcommand with stdin and returns its exit code,
// stdout and stderr.
func kafkaCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code = run(ctx, &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// kafkaCLIOK is kafkaCLI for a run that must succeed; it returns stdout.
func kafkaCLIOK(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := kafkaCLI(t, stdin, args...)
	if code != 0 {
		t.Fatalf("sluice %q: exit %d\nstderr: %s\nstdout: %s", args, code, errOut, out)
	}
	return out
}

// TestKafkaCLI runs the Kafka admin subcommands against a real Apache Kafka
// and checks their output against what Kafka's own tools print.
func TestKafkaCLI(t *testing.T) {
	testKafkaCLI(t, testpeer.StartKafka(t).Addr)
}

// TestKafkaCLISluiceBroker runs the same steps against the sluice broker,
// still compared with what Kafka's own tools print against it.
func TestKafkaCLISluiceBroker(t *testing.T) {
	zk := testcluster.Coordinator(t)
	testKafkaCLI(t, testcluster.StartBroker(t, 1, zk, "").Addr())
}

// testKafkaCLI runs the steps against the broker at addr; they depend on
// each other, in order.
func testKafkaCLI(t *testing.T, addr string) {
	k := struct{ Addr string }{addr}
	bs := []string{"--bootstrap-server", k.Addr}
	topics := func(args ...string) []string { return append(append([]string{"topics"}, bs...), args...) }
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("create", func(t *testing.T) {
		out := kafkaCLIOK(t, "", topics("--create", "--topic", "magedu", "--partitions", "3", "--replication-factor", "1")...)
		if out != "Created topic magedu.\n" {
			t.Fatalf("stdout %q, want %q", out, "Created topic magedu.\n")
		}
		code, _, errOut := kafkaCLI(t, "", topics("--create", "--topic", "magedu", "--partitions", "3")...)
		if code != 1 || !strings.Contains(errOut, "Topic 'magedu' already exists.") {
			t.Fatalf("second create: exit %d, stderr %q", code, errOut)
		}
		if out := kafkaCLIOK(t, "", topics("--create", "--topic", "magedu", "--if-not-exists")...); out != "" {
			t.Fatalf("--if-not-exists printed %q", out)
		}
	})

	step("list", func(t *testing.T) {
		out := kafkaCLIOK(t, "", topics("--list")...)
		if !slices.Contains(strings.Split(out, "\n"), "magedu") {
			t.Fatalf("--list does not list magedu:\n%s", out)
		}
	})

	step("describe", func(t *testing.T) {
		out := kafkaCLIOK(t, "", topics("--describe", "--topic", "magedu")...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		summary := regexp.MustCompile(`^Topic: magedu\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: \S*$`)
		partition := regexp.MustCompile(`^\tTopic: magedu\tPartition: (\d+)\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: (N/A)?\tLastKnownElr: (N/A)?$`)
		if len(lines) != 4 || !summary.MatchString(lines[0]) {
			t.Fatalf("describe output:\n%s", out)
		}
		for i, l := range lines[1:] {
			if m := partition.FindStringSubmatch(l); m == nil || m[1] != strconv.Itoa(i) {
				t.Fatalf("partition line %d %q does not match %s", i, l, partition)
			}
		}
		// Kafka's own tool, asked the same thing, prints the same bytes.
		want := testpeer.KafkaTool(t, "kafka-topics.sh", nil, "--bootstrap-server", k.Addr, "--describe", "--topic", "magedu")
		if out != want {
			t.Fatalf("sluice topics --describe:\n%q\nkafka-topics.sh --describe:\n%q", out, want)
		}
		code, _, errOut := kafkaCLI(t, "", topics("--describe", "--topic", "nosuch")...)
		if code != 1 || !strings.Contains(errOut, "Topic 'nosuch' does not exist as expected") {
			t.Fatalf("describe of a missing topic: exit %d, stderr %q", code, errOut)
		}
	})

	// Keyed lines, so that the records spread over all three partitions.
	const n = 1000
	var input strings.Builder
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("line-%04d", i)
		fmt.Fprintf(&input, "key-%d:%s\n", i, want[i])
	}

	step("console-producer", func(t *testing.T) {
		out := kafkaCLIOK(t, input.String(), "console-producer", "--bootstrap-server", k.Addr, "--topic", "magedu",
			"--property", "parse.key=true", "--property", "key.separator=:")
		if out != "" {
			t.Fatalf("stdout %q", out)
		}
	})

	step("console-consumer", func(t *testing.T) {
		code, out, errOut := kafkaCLI(t, "", "console-consumer", "--bootstrap-server", k.Addr, "--topic", "magedu",
			"--from-beginning", "--group", "g", "--max-messages", strconv.Itoa(n))
		if code != 0 {
			t.Fatalf("exit %d, stderr %s", code, errOut)
		}
		got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("consumed %d lines, want the %d produced (first: %q)", len(got), n, got[:min(3, len(got))])
		}
		if errOut != "Processed a total of 1000 messages\n" {
			t.Fatalf("stderr %q", errOut)
		}
	})

	step("groups describe", func(t *testing.T) {
		code, out, errOut := kafkaCLI(t, "", "groups", "--bootstrap-server", k.Addr, "--describe", "--group", "g")
		if code != 0 || errOut != "\nConsumer group 'g' has no active members.\n" {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		lines := strings.Split(out, "\n")
		if len(lines) != 5 || lines[0] != "" || !slices.Equal(strings.Fields(lines[1]),
			strings.Fields("GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID")) {
			t.Fatalf("describe output:\n%s", out)
		}
		var total int
		for i, l := range lines[2:] {
			f := strings.Fields(l)
			if len(f) != 9 || f[0] != "g" || f[1] != "magedu" || f[2] != strconv.Itoa(i) || f[3] != f[4] || f[5] != "0" {
				t.Fatalf("row %q: want partition %d fully committed with LAG 0", l, i)
			}
			c, _ := strconv.Atoi(f[3])
			total += c
		}
		if total != n {
			t.Fatalf("committed offsets sum to %d, want %d", total, n)
		}
		if kafka := testpeer.KafkaTool(t, "kafka-consumer-groups.sh", nil, "--bootstrap-server", k.Addr, "--describe", "--group", "g", "--timeout", "60000"); out != kafka {
			t.Fatalf("sluice groups --describe:\n%q\nkafka-consumer-groups.sh --describe:\n%q", out, kafka)
		}
		if out := kafkaCLIOK(t, "", "groups", "--bootstrap-server", k.Addr, "--list"); !slices.Contains(strings.Split(out, "\n"), "g") {
			t.Fatalf("--list does not list g:\n%s", out)
		}
	})

	step("alter", func(t *testing.T) {
		kafkaCLIOK(t, "", topics("--alter", "--topic", "magedu", "--partitions", "4")...)
		await.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
			out := kafkaCLIOK(t, "", topics("--describe", "--topic", "magedu")...)
			if !strings.Contains(out, "\tPartitionCount: 4\t") {
				return fmt.Errorf("describe after --alter --partitions 4:\n%s", out)
			}
			return nil
		})
	})

	step("delete", func(t *testing.T) {
		out := kafkaCLIOK(t, "", "groups", "--bootstrap-server", k.Addr, "--delete", "--group", "g")
		if out != "Deletion of requested consumer groups ('g') was successful.\n" {
			t.Fatalf("groups --delete printed %q", out)
		}
		kafkaCLIOK(t, "", topics("--delete", "--topic", "magedu")...)
		await.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
			if out := kafkaCLIOK(t, "", topics("--list")...); slices.Contains(strings.Split(out, "\n"), "magedu") {
				return fmt.Errorf("magedu still listed after --delete:\n%s", out)
			}
			return nil
		})
		kafkaCLIOK(t, "", topics("--delete", "--topic", "magedu", "--if-exists")...)
	})
}
