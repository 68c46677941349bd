// Package deploy_test checks the local cluster script: deploy/cluster.sh
// brings up a three-member coordinator ensemble and three brokers.
package deploy_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// freeRun returns a port p such that p, p+1 and p+2 are free on loopback.
func freeRun(t *testing.T) int {
	t.Helper()
	for attempt := 0; attempt < 50; attempt++ {
		base := testpeer.FreePort(t)
		ok := true
		for i := 0; i < 3 && ok; i++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no three consecutive free ports")
	return 0
}

// localCluster is deploy/cluster.sh run on free loopback ports in a
// temporary directory, taken down when the test ends.
type localCluster struct {
	t                 *testing.T
	bin, dir          string
	zkPort, kafkaBase int
	env               []string
	root              string
}

func startLocalCluster(t *testing.T, extraEnv ...string) *localCluster {
	t.Helper()
	root, err := testpeer.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	c := &localCluster{t: t, bin: testpeer.SluiceBinary(t), dir: t.TempDir(), root: root}
	peer, election := freeRun(t), freeRun(t)
	c.zkPort, c.kafkaBase = freeRun(t), freeRun(t)
	c.env = append([]string{"SLUICE_BIN=" + c.bin, "SLUICE_CLUSTER_DIR=" + c.dir,
		"ZK_BASE_PORT=" + strconv.Itoa(c.zkPort), "ZK_PEER_BASE_PORT=" + strconv.Itoa(peer),
		"ZK_ELECTION_BASE_PORT=" + strconv.Itoa(election), "KAFKA_BASE_PORT=" + strconv.Itoa(c.kafkaBase),
		"SLUICE_PIPELINES=" + filepath.Join(root, "examples/pipelines"),
		"INDEXER_METRICS=127.0.0.1:" + strconv.Itoa(testpeer.FreePort(t)), "AGENT_METRICS=127.0.0.1:" + strconv.Itoa(testpeer.FreePort(t))}, extraEnv...)
	t.Cleanup(func() { c.script("down") })
	c.script("up")
	return c
}

// script runs deploy/cluster.sh with args and returns its output.
func (c *localCluster) script(args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.root, "deploy/cluster.sh"), args...)
	cmd.Env = append(cmd.Environ(), c.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("cluster.sh %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestClusterScript(t *testing.T) {
	c := startLocalCluster(t)
	script, bin, zkPort, kafka := c.script, c.bin, c.zkPort, c.kafkaBase
	await.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		out := script("status")
		if strings.Count(out, " leader") != 1 || strings.Count(out, " follower") != 2 || strings.Count(out, " running") != 5 {
			return fmt.Errorf("status:\n%s", out)
		}
		return nil
	})
	// All three brokers registered before the topic is assigned.
	zc, _, err := zk.Connect([]string{"127.0.0.1:" + strconv.Itoa(zkPort)}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	await.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
		ids, _, err := zc.Children("/brokers/ids")
		if err != nil || len(ids) != 3 {
			return fmt.Errorf("registered brokers %v (%v)", ids, err)
		}
		return nil
	})
	bs := "127.0.0.1:" + strconv.Itoa(kafka+1)
	await.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		out, err := exec.Command(bin, "topics", "--bootstrap-server", bs, "--create", "--topic", "magedu", "--partitions", "3", "--replication-factor", "3").CombinedOutput()
		if err != nil && !strings.Contains(string(out), "already exists") {
			return fmt.Errorf("create: %v: %s", err, out)
		}
		return nil
	})
	// The seed's shape, from our CLI and from Apache Kafka's: every
	// partition on all three brokers, leaders staggered, the whole replica
	// set in sync ("Partition: 0 Leader: 2 Replicas: 2,3,1 Isr: 2,3,1").
	checkShape := func(tool, out string) error {
		leaders := map[string]bool{}
		n := 0
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			at := func(key string) string {
				for i := 0; i+1 < len(f); i++ {
					if f[i] == key {
						return f[i+1]
					}
				}
				return ""
			}
			if at("Partition:") == "" {
				continue
			}
			n++
			leader, reps, isr := at("Leader:"), at("Replicas:"), at("Isr:")
			if len(strings.Split(reps, ",")) != 3 || isr != reps || !strings.HasPrefix(reps, leader+",") {
				return fmt.Errorf("%s: partition line %q is not the seed's shape", tool, line)
			}
			leaders[leader] = true
		}
		if n != 3 || len(leaders) != 3 {
			return fmt.Errorf("%s: %d partitions, leaders %v:\n%s", tool, n, leaders, out)
		}
		return nil
	}
	// Retried on an error too: a broker that has not yet seen the new
	// topic's metadata says it does not exist.
	await.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		out, err := exec.Command(bin, "topics", "--bootstrap-server", bs, "--describe", "--topic", "magedu").CombinedOutput()
		if err != nil {
			return fmt.Errorf("sluice topics --describe: %v: %s", err, out)
		}
		return checkShape("sluice topics", string(out))
	})
	if err := checkShape("kafka-topics.sh", testpeer.KafkaTool(t, "kafka-topics.sh", nil, "--bootstrap-server", bs, "--describe", "--topic", "magedu")); err != nil {
		t.Fatal(err)
	}
	meta := testpeer.Output(t, 60*time.Second, testpeer.Kcat(t), "-b", bs, "-L", "-t", "magedu")
	if !strings.Contains(meta, "3 brokers:") || strings.Count(meta, "replicas: ") != 3 || strings.Count(meta, "isrs: ") != 3 {
		t.Fatalf("kcat -L:\n%s", meta)
	}
}
