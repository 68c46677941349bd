package interop_test

import (
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestDynamicBrokerConfigsAsKafka runs the same kafka-configs.sh
// commands against a sluice broker and a real Kafka 3.9 broker: dynamic
// log defaults set cluster-wide (--entity-default) and for broker 1
// (--entity-name 1), then described for the default entity, for the
// broker (its dynamic configs, and --all) and for a topic that
// inherits them; the lines must be the same (value, sensitive flag,
// synonyms with their sources in Kafka's order). A key Kafka cannot
// alter dynamically is refused by both with the same message; the
// exception differs legitimately (Kafka 3.9 in KRaft mode answers
// INVALID_REQUEST, a ZooKeeper-mode broker, which sluice follows,
// INVALID_CONFIG naming the resource).
func TestDynamicBrokerConfigsAsKafka(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka's JVM tools or brokers: see the package doc
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	k := testpeer.StartKafka(t)
	addrs := map[string]string{"sluice": b.Addr(), "kafka": k.Addr}
	for _, addr := range addrs {
		testcluster.CreateTopic(t, addr, "dyn", 1)
		for _, alter := range [][]string{
			{"--entity-default", "--add-config", "log.retention.ms=3600000,log.roll.ms=1000,log.cleanup.policy=delete"},
			{"--entity-name", "1", "--add-config", "log.retention.bytes=1000000,log.roll.ms=5000,max.connections=1000"},
			{"--entity-default", "--add-config", "log.flush.interval.ms=60000,compression.type=gzip"},
		} {
			out := brokertest.ConfigTool(t, addr, append([]string{"--alter", "--entity-type", "brokers"}, alter...)...)
			if !strings.Contains(out, "Completed updating") {
				t.Fatalf("kafka-configs.sh --alter %v against %s printed:\n%s", alter, addr, out)
			}
		}
	}
	describe := func(args ...string) (ours, theirs map[string]string) {
		ours = configLines(brokertest.ConfigTool(t, addrs["sluice"], append([]string{"--describe"}, args...)...))
		theirs = configLines(brokertest.ConfigTool(t, addrs["kafka"], append([]string{"--describe"}, args...)...))
		return ours, theirs
	}
	same := func(what string, ours, theirs map[string]string, names ...string) {
		t.Helper()
		if names == nil {
			sameNames(t, what, ours, theirs)
			for n := range theirs {
				names = append(names, n)
			}
		}
		for _, n := range names {
			if ours[n] != theirs[n] {
				t.Errorf("%s %s: sluice %q, Kafka %q", what, n, ours[n], theirs[n])
			}
		}
	}
	ours, theirs := describe("--entity-type", "brokers", "--entity-default")
	same("default broker config", ours, theirs, "log.retention.ms", "log.roll.ms", "log.cleanup.policy", "log.flush.interval.ms", "compression.type")
	if len(ours) != 5 || len(theirs) != 5 {
		t.Errorf("--entity-default lists %d configs on sluice, %d on Kafka, want 5:\n%v\n%v", len(ours), len(theirs), ours, theirs)
	}
	ours, theirs = describe("--entity-type", "brokers", "--entity-name", "1")
	same("broker 1 dynamic config", ours, theirs, "log.retention.bytes", "log.roll.ms", "max.connections")
	if len(ours) != 3 || len(theirs) != 3 {
		t.Errorf("--entity-name 1 lists %d configs on sluice, %d on Kafka, want 3:\n%v\n%v", len(ours), len(theirs), ours, theirs)
	}
	ours, theirs = describe("--all", "--entity-type", "brokers", "--entity-name", "1")
	same("broker 1 config", ours, theirs, "log.retention.ms", "log.retention.hours", "log.retention.bytes", "log.roll.ms", "log.roll.hours",
		"log.flush.interval.ms", "log.cleanup.policy", "max.connections", "compression.type", "log.segment.bytes")
	ours, theirs = describe("--all", "--entity-type", "topics", "--entity-name", "dyn")
	skip := map[string]bool{"min.insync.replicas": true} // run.sh sets it in Kafka's server.properties
	for n := range theirs {
		if !skip[n] {
			same("topic config", ours, theirs, n)
		}
	}

	for who, addr := range addrs {
		stdout, stderr, code := testpeer.KafkaToolExit(t, "kafka-configs.sh", nil, "--bootstrap-server", addr,
			"--alter", "--entity-type", "brokers", "--entity-default", "--add-config", "broker.id=5")
		if code == 0 || !strings.Contains(stdout+stderr, "Cannot update these configs dynamically: Set(broker.id)") {
			t.Errorf("%s: kafka-configs.sh --alter broker.id exited %d, printed:\n%s%s", who, code, stdout, stderr)
		}
	}
	testpeer.Used(t, "kafka", testpeer.KafkaVersion+" broker and kafka-configs.sh (dynamic broker configs)")
}
