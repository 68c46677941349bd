package interop_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// electionCluster is three in-process brokers without automatic leader
// rebalancing, so leadership stays where a failover moved it.
type electionCluster struct {
	t       *testing.T
	zk      string
	brokers []*testcluster.Broker
}

func startElectionCluster(t *testing.T) *electionCluster {
	c := &electionCluster{t: t, zk: testcluster.Coordinator(t)}
	for id := 1; id <= 3; id++ {
		c.brokers = append(c.brokers, testcluster.StartBroker(t, id, c.zk, "", c.options))
	}
	return c
}

func (c *electionCluster) options(cfg *broker.Config) { cfg.AutoLeaderRebalance = false }

func (c *electionCluster) stop(id int32) {
	c.brokers[id-1].Stop()
	c.brokers[id-1] = &testcluster.Broker{Dir: c.brokers[id-1].Dir} // down: no Broker
}

func (c *electionCluster) restart(id int32) {
	c.brokers[id-1] = testcluster.StartBroker(c.t, int(id), c.zk, c.brokers[id-1].Dir, c.options)
}

func (c *electionCluster) live() []string {
	var out []string
	for _, b := range c.brokers {
		if b.Broker != nil {
			out = append(out, b.Addr())
		}
	}
	return out
}

// awaitPartition waits until every live broker answers topic-p as check
// wants.
func (c *electionCluster) awaitPartition(topic string, p int, check func(brokertest.PartInfo) error) brokertest.PartInfo {
	c.t.Helper()
	var got brokertest.PartInfo
	await.Eventually(c.t, 60*time.Second, 50*time.Millisecond, func() error {
		for _, addr := range c.live() {
			md, err := brokertest.TopicMetadata(addr, topic)
			if err != nil {
				return err
			}
			if p >= len(md.Parts) {
				return fmt.Errorf("broker at %s: no %s-%d", addr, topic, p)
			}
			got = md.Parts[p]
			if err := check(got); err != nil {
				return fmt.Errorf("broker at %s: %s-%d is %+v: %w", addr, topic, p, got, err)
			}
		}
		return nil
	})
	return got
}

// electLeaders runs Kafka 3.9's kafka-leader-election.sh against the
// live brokers and returns its output and exit code.
func (c *electionCluster) electLeaders(args ...string) (string, int) {
	c.t.Helper()
	out, errOut, code := testpeer.KafkaToolExit(c.t, "kafka-leader-election.sh",
		nil, append([]string{"--bootstrap-server", strings.Join(c.live(), ",")}, args...)...)
	c.t.Logf("kafka-leader-election.sh %s (exit %d):\n%s%s", strings.Join(args, " "), code, out, errOut)
	return out + errOut, code
}

// TestElectLeaders: Kafka 3.9's kafka-leader-election.sh against sluice
// brokers. A preferred election of every partition gives back the
// partition a restarted broker prefers; a second one has nothing to do;
// one from a JSON file of partitions says the same. A partition whose
// replicas are both down has no eligible leader, and its preferred
// replica is not available; once its out-of-sync replica returns, an
// unclean election makes it leader. A broker that is not the controller
// answers NOT_CONTROLLER, and an unknown partition is
// UNKNOWN_TOPIC_OR_PARTITION.
func TestElectLeaders(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	testpeer.Used(t, "kafka", testpeer.KafkaVersion+" kafka-leader-election.sh")
	c := startElectionCluster(t)
	const topic = "elect"
	testcluster.CreateReplicatedTopic(t, c.live()[0], topic, 3, 3, nil)
	anyReplicas := func(int, []int32) error { return nil }
	brokertest.AwaitPreferred(t, c.live(), topic, 3, anyReplicas)

	// Broker 1 goes and returns: the partition it prefers stays led by
	// another broker (no automatic rebalance).
	c.stop(1)
	for p := range 3 {
		c.awaitPartition(topic, p, func(pi brokertest.PartInfo) error {
			if pi.Leader == 1 || pi.Leader < 0 || slices.Contains(pi.ISR, 1) {
				return fmt.Errorf("broker 1 is down")
			}
			return nil
		})
	}
	c.restart(1)
	moved := -1
	for p := range 3 {
		pi := c.awaitPartition(topic, p, func(pi brokertest.PartInfo) error {
			if !brokertest.SameIDs(pi.ISR, pi.Replicas) {
				return fmt.Errorf("broker 1 not back in sync")
			}
			return nil
		})
		if pi.Leader != pi.Replicas[0] {
			moved = p
		}
	}
	if moved < 0 {
		t.Fatal("every partition is led by its preferred replica after broker 1 returned")
	}

	out, code := c.electLeaders("--election-type", "preferred", "--all-topic-partitions")
	if code != 0 || !strings.Contains(out, "Successfully completed leader election (PREFERRED) for partitions "+fmt.Sprintf("%s-%d", topic, moved)) {
		t.Fatalf("kafka-leader-election.sh --all-topic-partitions: exit %d:\n%s", code, out)
	}
	brokertest.AwaitPreferred(t, c.live(), topic, 3, anyReplicas)

	out, code = c.electLeaders("--election-type", "preferred", "--topic", topic, "--partition", "0")
	if code != 0 || !strings.Contains(out, "Valid replica already elected for partitions "+topic+"-0") {
		t.Fatalf("a preferred election of a partition its preferred replica leads: exit %d:\n%s", code, out)
	}
	file := filepath.Join(t.TempDir(), "partitions.json")
	if err := os.WriteFile(file, []byte(`{"partitions":[{"topic":"`+topic+`","partition":1},{"topic":"`+topic+`","partition":2}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = c.electLeaders("--election-type", "preferred", "--path-to-json-file", file)
	if code != 0 || !strings.Contains(out, "Valid replica already elected for partitions") {
		t.Fatalf("kafka-leader-election.sh --path-to-json-file: exit %d:\n%s", code, out)
	}

	// Not the controller: NOT_CONTROLLER for each partition asked; an
	// unknown partition: UNKNOWN_TOPIC_OR_PARTITION.
	ctl, other, _ := brokertest.ControllerAddrs(t, c.live(), topic)
	if got := electDirect(t, other, topic, 0, 1); got != kerr.NotController.Code {
		t.Fatalf("ElectLeaders to the broker at %s, not the controller: %v", other, kerr.ErrorForCode(got))
	}
	if got := electDirect(t, ctl, topic, 7, 1); got != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("ElectLeaders of %s-7: %v", topic, kerr.ErrorForCode(got))
	}

	// A partition whose two replicas went down, its leader last: no
	// eligible leader, its preferred replica not available.
	const lonely = "lonely"
	testcluster.CreateReplicatedTopic(t, c.live()[0], lonely, 1, 2, nil)
	pi := c.awaitPartition(lonely, 0, func(pi brokertest.PartInfo) error {
		if len(pi.ISR) != 2 {
			return fmt.Errorf("not in sync yet")
		}
		return nil
	})
	leader, follower := pi.Leader, pi.Replicas[0]
	if follower == leader {
		follower = pi.Replicas[1]
	}
	c.stop(follower)
	c.awaitPartition(lonely, 0, func(pi brokertest.PartInfo) error {
		if !slices.Equal(pi.ISR, []int32{leader}) {
			return fmt.Errorf("broker %d is down", follower)
		}
		return nil
	})
	c.stop(leader)
	c.awaitPartition(lonely, 0, func(pi brokertest.PartInfo) error {
		if pi.Leader != -1 {
			return fmt.Errorf("both replicas are down")
		}
		return nil
	})
	out, code = c.electLeaders("--election-type", "unclean", "--topic", lonely, "--partition", "0")
	if code == 0 || !strings.Contains(out, "EligibleLeadersNotAvailable") {
		t.Fatalf("an unclean election with no replica live: exit %d:\n%s", code, out)
	}
	c.restart(follower)
	out, code = c.electLeaders("--election-type", "preferred", "--topic", lonely, "--partition", "0")
	if code == 0 || !strings.Contains(out, "PreferredLeaderNotAvailable") {
		t.Fatalf("a preferred election whose preferred replica is down or out of sync: exit %d:\n%s", code, out)
	}
	if pi := c.awaitPartition(lonely, 0, func(brokertest.PartInfo) error { return nil }); pi.Leader != -1 {
		t.Fatalf("%s-0 is led by %d without an unclean election", lonely, pi.Leader)
	}
	out, code = c.electLeaders("--election-type", "unclean", "--topic", lonely, "--partition", "0")
	if code != 0 || !strings.Contains(out, "Successfully completed leader election (UNCLEAN) for partitions "+lonely+"-0") {
		t.Fatalf("an unclean election with an out-of-sync replica live: exit %d:\n%s", code, out)
	}
	c.awaitPartition(lonely, 0, func(pi brokertest.PartInfo) error {
		if pi.Leader != follower || !slices.Equal(pi.ISR, []int32{follower}) {
			return fmt.Errorf("want broker %d leading alone", follower)
		}
		return nil
	})
	c.restart(leader)
	c.awaitPartition(lonely, 0, func(pi brokertest.PartInfo) error {
		if pi.Leader != follower || len(pi.ISR) != 2 {
			return fmt.Errorf("want broker %d back in sync", leader)
		}
		return nil
	})
	out, code = c.electLeaders("--election-type", "unclean", "--all-topic-partitions")
	if code != 0 || strings.Contains(out, "Successfully completed") {
		t.Fatalf("an unclean election of every partition, each led by a live broker: exit %d:\n%s", code, out)
	}
}

// electDirect sends ElectLeaders for topic-p to the broker at addr and
// returns the partition's error code.
func electDirect(t *testing.T, addr, topic string, p int32, version int16) int16 {
	t.Helper()
	req := kmsg.NewPtrElectLeadersRequest()
	req.Version, req.TimeoutMillis = version, 5000
	rt := kmsg.NewElectLeadersRequestTopic()
	rt.Topic, rt.Partitions = topic, []int32{p}
	req.Topics = append(req.Topics, rt)
	er := brokertest.AskBroker(t, addr, req).(*kmsg.ElectLeadersResponse)
	if er.ErrorCode != 0 {
		return er.ErrorCode
	}
	if len(er.Topics) != 1 || len(er.Topics[0].Partitions) != 1 {
		t.Fatalf("ElectLeaders answered %+v", er.Topics)
	}
	return er.Topics[0].Partitions[0].ErrorCode
}
