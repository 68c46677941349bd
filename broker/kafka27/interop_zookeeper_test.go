package kafka27_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/testkit/brokertest"
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
	testcluster.CreateTopic(t, b.Addr(), topic, 3)

	const n = 1000
	brokertest.ProduceValues(t, b.Addr(), topic, n)
	brokertest.CheckValues(t, b.Addr(), topic, n)

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
	brokertest.CheckValues(t, b.Addr(), topic, n)
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
