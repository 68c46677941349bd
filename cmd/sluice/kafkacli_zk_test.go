package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestAssignReplicas: Kafka's rack-unaware placement for 5 brokers, 10
// partitions, 3 replicas from index 0 (the table of Kafka's own
// AdminUtils tests), and its refusals.
func TestAssignReplicas(t *testing.T) {
	got, err := assignReplicas([]int32{0, 1, 2, 3, 4}, 10, 3, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int32{{0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 0}, {4, 0, 1}, {0, 2, 3}, {1, 3, 4}, {2, 4, 0}, {3, 0, 1}, {4, 1, 2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if got, _ := assignReplicas([]int32{7}, 2, 1, nil, 0); !reflect.DeepEqual(got, [][]int32{{7}, {7}}) {
		t.Fatalf("one broker: %v", got)
	}
	for _, c := range []struct {
		partitions, rf int
		want           string
	}{
		{0, 1, "Number of partitions must be larger than 0."},
		{1, 0, "Replication factor must be larger than 0."},
		{1, 4, "Replication factor: 4 larger than available brokers: 3."},
	} {
		if _, err := assignReplicas([]int32{1, 2, 3}, c.partitions, c.rf, nil, 0); err == nil || err.Error() != c.want {
			t.Errorf("%d partitions rf %d: %v, want %q", c.partitions, c.rf, err, c.want)
		}
	}
	if _, err := parseReplicaAssignment("1:2,3"); err == nil || !strings.Contains(err.Error(), "different replication factor") {
		t.Errorf("uneven --replica-assignment: %v", err)
	}
	if got, err := parseReplicaAssignment("1:2,2:3"); err != nil || !reflect.DeepEqual(got, [][]int32{{1, 2}, {2, 3}}) {
		t.Errorf("--replica-assignment 1:2,2:3: %v %v", got, err)
	}
}

// zkGet reads a znode of the test's coordinator as JSON.
func zkGet(t *testing.T, conn *zk.Conn, path string) map[string]any {
	t.Helper()
	b, _, err := conn.Get(path)
	if err != nil {
		t.Fatalf("get %s: %v", path, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v: %q", path, err, b)
	}
	return m
}

// TestTopicsZooKeeperZnodes: `topics --zookeeper` under a chroot with
// three registered brokers and no controller: create writes Kafka 2.7's
// znodes and nothing else, delete marks the topic, and list and describe
// show the mark.
func TestTopicsZooKeeperZnodes(t *testing.T) {
	addr := testcluster.Coordinator(t)
	conn, err := zkConnect(context.Background(), []string{addr}, 10*time.Second, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, p := range []string{"/kafka", "/kafka/brokers", "/kafka/brokers/ids", "/kafka/brokers/ids/1", "/kafka/brokers/ids/2", "/kafka/brokers/ids/3"} {
		if _, err := conn.Create(p, []byte(`{"version":4,"host":"127.0.0.1","port":1}`), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
	}
	zkc := addr + "/kafka"
	topics := func(args ...string) []string { return append([]string{"topics", "--zookeeper", zkc}, args...) }

	out := kafkaCLIOK(t, "", topics("--create", "--topic", "magedu", "--partitions", "3", "--replication-factor", "3", "--config", "retention.ms=60000")...)
	if out != "Created topic magedu.\n" {
		t.Fatalf("create printed %q", out)
	}
	asg := zkGet(t, conn, "/kafka/brokers/topics/magedu")
	if asg["version"] != float64(2) || !reflect.DeepEqual(asg["adding_replicas"], map[string]any{}) || !reflect.DeepEqual(asg["removing_replicas"], map[string]any{}) {
		t.Fatalf("assignment %v", asg)
	}
	parts := asg["partitions"].(map[string]any)
	leaders := map[float64]bool{}
	for p := range 3 {
		rs := parts[fmt.Sprint(p)].([]any)
		if len(rs) != 3 {
			t.Fatalf("partition %d replicas %v", p, rs)
		}
		leaders[rs[0].(float64)] = true
	}
	if len(parts) != 3 || len(leaders) != 3 { // round robin: each broker leads one
		t.Fatalf("partitions %v", parts)
	}
	if cfg := zkGet(t, conn, "/kafka/config/topics/magedu"); !reflect.DeepEqual(cfg, map[string]any{"version": float64(1), "config": map[string]any{"retention.ms": "60000"}}) {
		t.Fatalf("config %v", cfg)
	}
	if ok, _, _ := conn.Exists("/kafka/brokers/topics/magedu/partitions"); ok {
		t.Fatal("create wrote partition states: they are the controller's")
	}

	code, _, errOut := kafkaCLI(t, "", topics("--create", "--topic", "magedu", "--partitions", "1", "--replication-factor", "1")...)
	if code != 1 || !strings.Contains(errOut, "Topic 'magedu' already exists") {
		t.Fatalf("create twice: exit %d %q", code, errOut)
	}
	kafkaCLIOK(t, "", topics("--create", "--topic", "magedu", "--partitions", "1", "--replication-factor", "1", "--if-not-exists")...)
	code, _, errOut = kafkaCLI(t, "", topics("--create", "--topic", "big", "--partitions", "1", "--replication-factor", "4")...)
	if code != 1 || !strings.Contains(errOut, "Replication factor: 4 larger than available brokers: 3.") {
		t.Fatalf("rf 4 of 3 brokers: exit %d %q", code, errOut)
	}
	code, _, errOut = kafkaCLI(t, "", topics("--create", "--topic", "norf", "--partitions", "1")...)
	if code != 1 || !strings.Contains(errOut, `Missing required argument "[replication-factor]"`) {
		t.Fatalf("no --replication-factor: exit %d %q", code, errOut)
	}
	out = kafkaCLIOK(t, "", topics("--create", "--topic", "manual", "--replica-assignment", "3:1,1:2")...)
	if got := zkGet(t, conn, "/kafka/brokers/topics/manual")["partitions"]; !reflect.DeepEqual(got, map[string]any{"0": []any{3.0, 1.0}, "1": []any{1.0, 2.0}}) {
		t.Fatalf("--replica-assignment wrote %v", got)
	}

	// No controller here: every partition is without a leader.
	out = kafkaCLIOK(t, "", topics("--describe", "--topic", "manual")...)
	want := "Topic: manual\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: \n" +
		"\tTopic: manual\tPartition: 0\tLeader: none\tReplicas: 3,1\tIsr: \n" +
		"\tTopic: manual\tPartition: 1\tLeader: none\tReplicas: 1,2\tIsr: \n"
	if out != want {
		t.Fatalf("describe:\n%q\nwant\n%q", out, want)
	}

	out = kafkaCLIOK(t, "", topics("--delete", "--topic", "manual")...)
	if out != "Topic manual is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n" {
		t.Fatalf("delete printed %q", out)
	}
	if ok, _, _ := conn.Exists("/kafka/admin/delete_topics/manual"); !ok {
		t.Fatal("delete wrote no /admin/delete_topics/manual")
	}
	if out := kafkaCLIOK(t, "", topics("--delete", "--topic", "manual")...); out != "Topic manual is already marked for deletion.\n" {
		t.Fatalf("delete twice printed %q", out)
	}
	if out := kafkaCLIOK(t, "", topics("--list")...); out != "magedu\nmanual - marked for deletion\n" {
		t.Fatalf("list printed %q", out)
	}
	out = kafkaCLIOK(t, "", topics("--describe", "--topic", "man.*")...)
	if !strings.HasPrefix(out, "Topic: manual\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: \tMarkedForDeletion: true\n\tTopic: manual\tPartition: 0\tLeader: none\tReplicas: 3,1\tIsr: \tMarkedForDeletion: true\n") {
		t.Fatalf("describe of a marked topic:\n%q", out)
	}
	code, _, errOut = kafkaCLI(t, "", topics("--create", "--topic", "manual", "--partitions", "1", "--replication-factor", "1")...)
	if code != 1 || !strings.Contains(errOut, `Topic "manual" is marked for deletion.`) {
		t.Fatalf("create of a marked topic: exit %d %q", code, errOut)
	}
	code, _, errOut = kafkaCLI(t, "", topics("--describe", "--topic", "nosuch")...)
	if code != 1 || !strings.Contains(errOut, "Topic 'nosuch' does not exist as expected") {
		t.Fatalf("describe of a missing topic: exit %d %q", code, errOut)
	}
	// Without the chroot there are no topics at all.
	if out := kafkaCLIOK(t, "", "topics", "--zookeeper", addr, "--list"); out != "" {
		t.Fatalf("list outside the chroot printed %q", out)
	}
	code, _, errOut = kafkaCLI(t, "", "topics", "--zookeeper", zkc, "--bootstrap-server", "127.0.0.1:1", "--list")
	if code != 1 || !strings.Contains(errOut, "Only one of --bootstrap-server or --zookeeper") {
		t.Fatalf("both --zookeeper and --bootstrap-server: exit %d %q", code, errOut)
	}
}

// TestTopicsZooKeeperSluiceBroker: a topic the sluice broker created
// through the Kafka protocol, as `topics --zookeeper` shows it (under the
// broker's chroot), and its delete marker.
func TestTopicsZooKeeperSluiceBroker(t *testing.T) {
	zkc := testcluster.Coordinator(t) + "/kafka"
	b := testcluster.StartBroker(t, 1, zkc, "")
	testcluster.CreateReplicatedTopic(t, b.Addr(), "magedu", 3, 1, map[string]string{"retention.ms": "86400000"})
	topics := func(args ...string) []string { return append([]string{"topics", "--zookeeper", zkc}, args...) }
	out := kafkaCLIOK(t, "", topics("--describe", "--topic", "magedu")...)
	want := "Topic: magedu\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=86400000\n" +
		"\tTopic: magedu\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\n" +
		"\tTopic: magedu\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\n" +
		"\tTopic: magedu\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1\n"
	if out != want {
		t.Fatalf("describe:\n%q\nwant\n%q", out, want)
	}
	if out := kafkaCLIOK(t, "", topics("--list")...); out != "magedu\n" {
		t.Fatalf("list printed %q", out)
	}
	out = kafkaCLIOK(t, "", topics("--delete", "--topic", "magedu")...)
	if out != "Topic magedu is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n" {
		t.Fatalf("delete printed %q", out)
	}

	// The controller carries the mark out, and a topic created through
	// ZooKeeper gets leaders: the walk-through's create, produce, consume.
	await.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		if out := kafkaCLIOK(t, "", topics("--list")...); out != "" {
			return fmt.Errorf("list still prints %q", out)
		}
		return nil
	})
	kafkaCLIOK(t, "", topics("--create", "--topic", "magedu", "--partitions", "3", "--replication-factor", "1")...)
	await.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		out := kafkaCLIOK(t, "", topics("--describe", "--topic", "magedu")...)
		if strings.Count(out, "Leader: 1\t") != 3 {
			return fmt.Errorf("describe:\n%s", out)
		}
		return nil
	})
	kafkaCLIOK(t, "a\nb\nc\n", "console-producer", "--broker-list", b.Addr(), "--topic", "magedu")
	code, out, errOut := kafkaCLI(t, "", "console-consumer", "--bootstrap-server", b.Addr(), "--topic", "magedu",
		"--from-beginning", "--max-messages", "3")
	if got := strings.Fields(out); code != 0 || len(got) != 3 || !slices.Equal(slices.Sorted(slices.Values(got)), []string{"a", "b", "c"}) {
		t.Fatalf("consumed %q (exit %d, stderr %s), want a, b and c", out, code, errOut)
	}
}
