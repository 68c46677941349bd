package kafka27_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// The three-broker differential: replica placement, leaders and ISRs as
// the 2.7 tools see them, through a broker's death and return.

// replicas27Killed is the broker killed (kill -9) and restarted on both
// sides.
const replicas27Killed = 3

// replicas27Props are the settings both sides run with: a dead broker's
// registration goes 6s after its last heartbeat, a stalled follower
// leaves the ISR after 6s (both Kafka-legal, under Kafka's defaults of
// 18s and 30s), and leaders move back to the preferred replicas only when
// kafka-preferred-replica-election.sh asks (Kafka 2.7 checks the balance
// 5s after a controller starts, sluice on its own schedule: the automatic
// rebalance would race the walk's steps).
var replicas27Props = []string{
	"zookeeper.session.timeout.ms=6000",
	"replica.lag.time.max.ms=6000",
	"auto.leader.rebalance.enable=false",
}

// partition27 is one partition line of a kafka-topics.sh --describe.
type partition27 struct {
	topic, partition, leader string
	replicas, isr            []string
}

// partitions27 reads every partition line of out.
func partitions27(out string) []partition27 {
	var ps []partition27
	for _, m := range describe27Line.FindAllStringSubmatch(out, -1) {
		ps = append(ps, partition27{topic: m[1], partition: m[2], leader: m[3],
			replicas: strings.Split(m[4], ","), isr: strings.FieldsFunc(m[5], func(r rune) bool { return r == ',' })})
	}
	return ps
}

// settled27 is a settle condition: out lists n partitions and each holds
// of ok.
func settled27(n int, what string, ok func(p partition27) bool) func(string) error {
	return func(out string) error {
		ps := partitions27(out)
		if len(ps) != n {
			return fmt.Errorf("%d of %d partitions listed:\n%s", len(ps), n, out)
		}
		for _, p := range ps {
			if !ok(p) {
				return fmt.Errorf("%s-%s: not yet %s:\n%s", p.topic, p.partition, what, out)
			}
		}
		return nil
	}
}

// inSync27: n partitions, each led with all its replicas in its ISR.
func inSync27(n int) func(string) error {
	return settled27(n, "led with its replicas in sync", func(p partition27) bool {
		return p.leader != "none" && len(p.isr) == len(p.replicas)
	})
}

// preferred27: inSync27, each partition led by its first replica.
func preferred27(n int) func(string) error {
	return settled27(n, "led by its preferred replica in sync", func(p partition27) bool {
		return p.leader == p.replicas[0] && len(p.isr) == len(p.replicas)
	})
}

// without27: n partitions; the killed broker leads none and is out of
// every ISR it shares with another replica, and every partition with
// another replica is led.
func without27(n int) func(string) error {
	id := strconv.Itoa(replicas27Killed)
	return settled27(n, "without broker "+id, func(p partition27) bool {
		if slices.Equal(p.replicas, []string{id}) {
			return p.leader == "none"
		}
		return p.leader != "none" && p.leader != id && !slices.Contains(p.isr, id)
	})
}

// replicas27Compare are the commands whose outputs are compared at each
// stage of the walk: the ZooKeeper view (the partitions' state znodes the
// controller writes) and the broker's (Metadata from broker 1, and topic
// configs for the min.insync.replicas forms, which the 2.7 tool refuses
// with --zookeeper). Each view's first --describe is run again until
// until (of n partitions, bsN of them in the broker's view) holds of it:
// the cluster has settled, and broker 1's metadata agrees with ZooKeeper.
func replicas27Compare(until func(n int) func(string) error, n, bsN int) []step27 {
	zk := func(args string) step27 {
		return step27{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe" + args}
	}
	bs := func(args string) step27 {
		return step27{tool: "kafka-topics.sh", args: "--bootstrap-server {bs} --describe" + args}
	}
	first, firstBS := zk(""), bs("")
	first.until, firstBS.until = until(n), until(bsN)
	return []step27{
		first,
		{tool: "sluice topics", args: "--zookeeper {zk} --describe"},
		zk(" --under-replicated-partitions"),
		zk(" --unavailable-partitions"),
		firstBS,
		bs(" --under-replicated-partitions"),
		bs(" --unavailable-partitions"),
		bs(" --under-min-isr-partitions"),
		bs(" --at-min-isr-partitions"),
	}
}

// replicas27Stage is one stage of the walk: its steps, then what happens
// to the cluster before the next stage.
type replicas27Stage struct {
	name  string
	steps []step27
	then  string // "kill", "restart" or ""
}

func replicas27Stages() []replicas27Stage {
	create := func(topic, assignment string, configs ...string) step27 {
		args := "--zookeeper {zk} --create --topic " + topic + " --replica-assignment " + assignment
		for _, c := range configs {
			args += " --config " + c
		}
		return step27{tool: "kafka-topics.sh", args: args}
	}
	placed := []step27{
		create("spread", "1:2:3,2:3:1,3:1:2"),
		create("single", "3,1"),
		create("strict", "1:2:3", "min.insync.replicas=3"),
		create("atmin", "3:1:2,2:3:1", "min.insync.replicas=2"),
	}
	// While broker 3 is down: topics placed on it (a partition only
	// there, which nothing can lead until it is back; one preferring it),
	// and an election that
	// can move no leader (the preferred replicas that lead nothing are on
	// broker 3); the election after the restart shows the controller
	// finished this one.
	late := []step27{create("late", "3,1"), create("later", "3:2")}
	election := func(until func(string) error) step27 {
		return step27{tool: "kafka-preferred-replica-election.sh", args: "--zookeeper {zk}",
			settle: &step27{tool: "kafka-topics.sh", args: "--zookeeper {zk} --describe"}, until: until}
	}
	return []replicas27Stage{
		{name: "placed", steps: append(placed, replicas27Compare(inSync27, 8, 8)...), then: "kill"},
		// late-0 has never had a leader: it has no state in ZooKeeper,
		// and so none in the brokers' metadata.
		{name: "killed", steps: slices.Concat(replicas27Compare(without27, 8, 8), late, []step27{election(without27(11))}, replicas27Compare(without27, 11, 10)), then: "restart"},
		{name: "restarted", steps: replicas27Compare(inSync27, 11, 11)},
		{name: "elected", steps: append([]step27{election(preferred27(11))}, replicas27Compare(preferred27, 11, 11)...)},
	}
}

// replicas27Cluster is one side of the walk: where the tools connect
// (broker 1, never killed), and how to kill -9 and restart broker
// replicas27Killed.
type replicas27Cluster struct {
	cluster27
	kill, restart func()
}

// walkReplicas27 runs the stages against c and returns each step's
// output, masked, in order.
func walkReplicas27(t *testing.T, c replicas27Cluster, stages []replicas27Stage) []string {
	t.Helper()
	var outs []string
	for _, st := range stages {
		outs = append(outs, walk27(t, c.cluster27, st.steps)...)
		switch st.then {
		case "kill":
			t.Logf("%s: kill -9 broker %d", c.name, replicas27Killed)
			c.kill()
		case "restart":
			t.Logf("%s: restart broker %d", c.name, replicas27Killed)
			c.restart()
		}
	}
	return outs
}

// TestKafka27ReplicasMatch is the differential of Kafka 2.7's admin tools
// on three brokers: three Kafka 2.7 brokers on one Apache ZooKeeper
// against three sluice brokers on a sluice coordinator. Topics created
// with kafka-topics.sh --zookeeper --replica-assignment (replication
// factor 3, a factor 1 partition on the broker to be killed, and
// min.insync.replicas 3 and 2) are described, with --zookeeper and with
// --bootstrap-server, in full and with --under-replicated-partitions,
// --unavailable-partitions, --under-min-isr-partitions and
// --at-min-isr-partitions: when all are in sync, after broker 3 is
// killed with kill -9 (then again after a topic is created on it and a
// preferred replica election), once it is back in every ISR after its
// restart, and after kafka-preferred-replica-election.sh --zookeeper.
// Every output must be the same on both sides, times masked.
func TestKafka27ReplicasMatch(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka's JVM tools or brokers: see the package doc
	stages := replicas27Stages()
	n := 0
	for _, st := range stages {
		n += len(st.steps)
	}

	var want, got []string
	t.Run("walks", func(t *testing.T) {
		t.Run("kafka27", func(t *testing.T) {
			t.Parallel()
			zk := testpeer.StartZooKeeper(t)
			ks := testpeer.StartKafka27Cluster(t, zk.Addr, 3, replicas27Props...)
			k := ks[replicas27Killed-1]
			want = walkReplicas27(t, replicas27Cluster{
				cluster27: cluster27{name: "kafka 2.7", zk: zk.Addr, bs: ks[0].Addr},
				kill:      k.Kill,
				restart:   func() { k.Restart(t) },
			}, stages)
		})
		t.Run("sluice", func(t *testing.T) {
			t.Parallel()
			zk := testcluster.Coordinator(t)
			bs := brokertest.StartBrokerProcs(t, zk, 3, func(c *broker.Config) {
				c.ZooKeeperSessionTimeout, c.ReplicaLagTimeMax, c.AutoLeaderRebalance = 6*time.Second, 6*time.Second, false
			})
			testpeer.Used(t, "kafka27", testpeer.Kafka27Version+" CLI tools against three sluice brokers on a sluice coordinator")
			b := bs[replicas27Killed-1]
			got = walkReplicas27(t, replicas27Cluster{
				cluster27: cluster27{name: "sluice", zk: zk, bs: bs[0].Addr},
				kill:      b.Kill,
				restart:   func() { b.Start(t) },
			}, stages)
		})
	})
	if len(want) != n || len(got) != n {
		t.Fatal("a walk did not finish")
	}
	i := 0
	for _, st := range stages {
		for _, s := range st.steps {
			if got[i] != want[i] {
				t.Errorf("%s: %s %s:\nsluice:\n%s\nkafka 2.7:\n%s", st.name, s.tool, s.args, got[i], want[i])
			}
			// `sluice topics --zookeeper` prints what the 2.7 tool
			// printed just before it, on the same cluster.
			if s.tool == "sluice topics" && want[i] != want[i-1] {
				t.Errorf("%s: on kafka 2.7, sluice topics %s:\n%s\nkafka-topics.sh printed:\n%s", st.name, s.args, want[i], want[i-1])
			}
			i++
		}
	}
}
