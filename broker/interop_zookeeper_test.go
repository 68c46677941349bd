package broker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestBrokerOnRealZooKeeper runs the broker against Apache ZooKeeper 3.8
// (not our coordinator) under a chroot: records written before a broker
// restart are read back after it, and the znodes the broker keeps are the
// ones Kafka's ZooKeeper mode keeps, as zkCli.sh shows them.
func TestBrokerOnRealZooKeeper(t *testing.T) {
	zk := testpeer.StartZooKeeper(t)
	connect := zk.Addr + "/sluice"
	b := testcluster.StartBroker(t, 1, connect, "")
	const topic = "zk-events"
	createTopic(t, b.Addr(), topic, 3)

	const n = 1000
	produceValues(t, b.Addr(), topic, n)
	checkValues(t, b.Addr(), topic, n)

	ids := testpeer.ZkCli(t, zk.Addr, "ls", "/sluice/brokers/ids")
	if !strings.Contains(ids, "\n[1]\n") {
		t.Fatalf("zkCli.sh ls /sluice/brokers/ids does not show [1]:\n%s", ids)
	}
	out := testpeer.ZkCli(t, zk.Addr, "get", "/sluice/brokers/topics/"+topic)
	asg := zkJSONLine(t, out)
	t.Logf("/sluice/brokers/topics/%s = %s", topic, asg)
	var a struct {
		Partitions map[string][]int32 `json:"partitions"`
	}
	if err := json.Unmarshal([]byte(asg), &a); err != nil {
		t.Fatalf("zkCli.sh get /sluice/brokers/topics/%s: %v in %q", topic, err, asg)
	}
	if len(a.Partitions) != 3 {
		t.Fatalf("assignment of %s has %d partitions, want 3: %s", topic, len(a.Partitions), asg)
	}
	for p := 0; p < 3; p++ {
		if r := a.Partitions[fmt.Sprint(p)]; len(r) != 1 || r[0] != 1 {
			t.Fatalf("assignment of %s/%d is %v, want [1]: %s", topic, p, r, asg)
		}
	}
	// Nothing leaks out of the chroot.
	if root := testpeer.ZkCli(t, zk.Addr, "ls", "/"); strings.Contains(root, "brokers") {
		t.Fatalf("the broker wrote outside its chroot: ls / shows\n%s", root)
	}

	b.Stop()
	b = testcluster.StartBroker(t, 1, connect, b.Dir)
	checkValues(t, b.Addr(), topic, n)
}

// produceValues writes the values v-00000 … v-<n-1> to topic with acks=all
// (franz-go's default) and fails the test if any is not acknowledged.
func produceValues(t *testing.T, addr, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("v-%05d", i))}
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// checkValues reads topic from the start to its end and fails the test
// unless it holds exactly the values produceValues wrote, each once.
func checkValues(t *testing.T, addr, topic string, n int) {
	t.Helper()
	seen := map[string]int{}
	readAll(t, addr, topic, func(r *kgo.Record) { seen[string(r.Value)]++ })
	if len(seen) != n {
		t.Fatalf("%s holds %d distinct values, want %d", topic, len(seen), n)
	}
	for i := 0; i < n; i++ {
		if v := fmt.Sprintf("v-%05d", i); seen[v] != 1 {
			t.Fatalf("%s holds %q %d times, want once", topic, v, seen[v])
		}
	}
}

// zkJSONLine returns the line of zkCli.sh output that holds a JSON object.
func zkJSONLine(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "{") {
			return line
		}
	}
	t.Fatalf("no JSON in zkCli.sh output:\n%s", out)
	return ""
}
