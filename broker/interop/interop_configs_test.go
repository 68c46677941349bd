package interop_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// configLines parses kafka-configs.sh --describe output: name → the rest
// of its line (value, sensitive flag, synonyms).
func configLines(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "  ") {
			continue
		}
		name, rest, ok := strings.Cut(strings.TrimSpace(l), "=")
		if ok {
			m[name] = rest
		}
	}
	return m
}

// TestDescribeConfigsAsKafka runs kafka-configs.sh --describe --all
// against a sluice broker and a real Kafka 3.9 broker, for a new topic
// and for the broker, and compares: the same config names, and for a
// topic the same lines (value, sensitive flag and synonyms) except where
// the two brokers' own server.properties differ.
func TestDescribeConfigsAsKafka(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	k := testpeer.StartKafka(t)
	testcluster.CreateTopic(t, b.Addr(), "cfg", 1)
	testcluster.CreateTopic(t, k.Addr, "cfg", 1)

	ours := configLines(brokertest.ConfigTool(t, b.Addr(), "--describe", "--all", "--entity-type", "topics", "--entity-name", "cfg"))
	theirs := configLines(brokertest.ConfigTool(t, k.Addr, "--describe", "--all", "--entity-type", "topics", "--entity-name", "cfg"))
	sameNames(t, "topic", ours, theirs)
	// run.sh sets min.insync.replicas=1 in Kafka's server.properties.
	skip := map[string]bool{"min.insync.replicas": true}
	for name, want := range theirs {
		if got, ok := ours[name]; ok && !skip[name] && got != want {
			t.Errorf("topic config %s: sluice %q, Kafka %q", name, got, want)
		}
	}
	if got := ours["min.insync.replicas"]; got != "1 sensitive=false synonyms={DEFAULT_CONFIG:min.insync.replicas=1}" {
		t.Errorf("topic config min.insync.replicas: %q", got)
	}

	ours = configLines(brokertest.ConfigTool(t, b.Addr(), "--describe", "--all", "--entity-type", "brokers", "--entity-name", "1"))
	theirs = configLines(brokertest.ConfigTool(t, k.Addr, "--describe", "--all", "--entity-type", "brokers", "--entity-name", "1"))
	sameNames(t, "broker", ours, theirs)
	for name, re := range map[string]string{
		"broker.id":           `^1 sensitive=false synonyms=\{STATIC_BROKER_CONFIG:broker.id=1, DEFAULT_CONFIG:broker.id=-1\}$`,
		"zookeeper.connect":   `^127\.0\.0\.1:\d+ sensitive=false synonyms=\{STATIC_BROKER_CONFIG:zookeeper.connect=127\.0\.0\.1:\d+\}$`,
		"log.retention.hours": `^168 sensitive=false synonyms=\{DEFAULT_CONFIG:log.retention.hours=168\}$`,
		"message.max.bytes":   `^1048588 sensitive=false synonyms=\{DEFAULT_CONFIG:message.max.bytes=1048588\}$`,
		"ssl.key.password":    `^null sensitive=true synonyms=\{\}$`,
		"process.roles":       `^ sensitive=false synonyms=\{DEFAULT_CONFIG:process.roles=\}$`,
	} {
		if !regexp.MustCompile(re).MatchString(ours[name]) && ours[name] != re {
			t.Errorf("broker config %s = %q, want %s", name, ours[name], re)
		}
	}
}

func sameNames(t *testing.T, what string, ours, theirs map[string]string) {
	t.Helper()
	var missing, extra []string
	for n := range theirs {
		if _, ok := ours[n]; !ok {
			missing = append(missing, n)
		}
	}
	for n := range ours {
		if _, ok := theirs[n]; !ok {
			extra = append(extra, n)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 || len(ours) < 30 {
		t.Errorf("%s configs: %d from sluice, %d from Kafka; missing %v, extra %v", what, len(ours), len(theirs), missing, extra)
	}
}
