package agent_test

import (
	"fmt"
	"testing"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestApacheKafka: the agent ships 20,000 lines, rotated by rename, to a
// real Apache Kafka broker, which a consumer reads back exactly once.
func TestApacheKafka(t *testing.T) {
	k := testpeer.StartKafka(t)
	logs, reg := t.TempDir(), t.TempDir()
	c := consume(t, k.Addr, "kafka-logs")
	startAgent(t, parseConfig(t, withPaths(agentYAML(logs, reg, k.Addr, "kafka-logs", ""), logs, "kafka.log*")))
	const n = 20000
	if err := writeRotatedByRename(logs, "kafka", n, 5000); err != nil {
		t.Fatal(err)
	}
	files := map[string]int{"kafka": n}
	awaitDelivered(t, c, files)
	if dups := tally(t, c, files); dups != 0 {
		t.Fatalf("%d duplicates", dups)
	}
	if got := c.count(); got != n {
		t.Fatal(fmt.Errorf("%d events for %d lines", got, n))
	}
}
