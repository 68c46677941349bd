package indexer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/sluicelogs/sluice/indexer"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// scaleN is the number of nginx lines TestTwoIndexersShareGroup writes:
// the 100,000 of issue 7.
const scaleN = 100000

// TestTwoIndexersShareGroup: two indexers in one consumer group share a
// 3-partition topic. Both hold partitions (the group's description says
// so), both index events (their metrics say so), and together they index
// every one of scaleN lines exactly once.
func TestTwoIndexersShareGroup(t *testing.T) {
	root, err := testpeer.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	es := testpeer.StartElasticsearch(t)
	zk := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zk, "")
	e := &env{es: es, esc: es.Client(t), broker: b.Addr(), root: root}
	createTopic(t, e.broker, "sluice-dlq", 1)

	const topic, group, index = "scale-nginx", "scale", "logs-scale-%{+yyyy.MM.dd}"
	createTopic(t, e.broker, topic, 3)
	first, stopFirst := e.runIndexer(t, group, topic, index, true)
	second, stopSecond := e.runIndexer(t, group, topic, index, true)

	// Both members hold partitions before anything is written, so that
	// neither can take the whole topic alone.
	await.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		return sharedBetweenTwo(t, e.broker, group, topic)
	})

	start := time.Now()
	want := produceNginx(t, e.broker, topic, 0, scaleN)
	e.waitCount(t, "logs-scale-*", scaleN, waitAll)
	t.Logf("%d lines produced and indexed by two indexers in %v", scaleN, time.Since(start).Round(time.Millisecond))
	if got := e.count(t, "logs-scale-*", `{"query":{"term":{"http.response.status_code":503}}}`); got != want[503] {
		t.Errorf("status 503: %d documents, wrote %d", got, want[503])
	}
	a, z := indexed(t, first), indexed(t, second)
	t.Logf("indexed: %v by the first indexer, %v by the second", a, z)
	if a == 0 || z == 0 {
		t.Errorf("indexed %v and %v events: both indexers should have had partitions", a, z)
	}
	// A rebalance may hand a batch to the other member again, which
	// overwrites its documents: more acknowledgements, never fewer.
	if a+z < scaleN {
		t.Errorf("the indexers acknowledged %v events, fewer than the %d indexed", a+z, scaleN)
	}

	stopFirst()
	stopSecond()
	e.waitCommitted(t, group, topic, scaleN)
	if got := e.count(t, "logs-scale-*", ""); got != scaleN {
		t.Fatalf("%d documents, want %d", got, scaleN)
	}
}

// sharedBetweenTwo returns nil once group has exactly two members and
// each is assigned at least one partition of topic, all of them in all.
func sharedBetweenTwo(t *testing.T, broker, group, topic string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	groups, err := kadm.NewClient(newClient(t, broker)).DescribeGroups(ctx, group)
	if err != nil {
		return fmt.Errorf("describe %s: %w", group, err)
	}
	g, ok := groups[group]
	if !ok || g.Err != nil {
		return fmt.Errorf("describe %s: %v", group, g.Err)
	}
	if g.State != "Stable" || len(g.Members) != 2 {
		return fmt.Errorf("group %s: state %s, %d members, want Stable with 2", group, g.State, len(g.Members))
	}
	total := 0
	for _, m := range g.Members {
		c, ok := m.Assigned.AsConsumer()
		if !ok {
			return fmt.Errorf("member %s: no consumer assignment", m.MemberID)
		}
		mine := 0
		for _, at := range c.Topics {
			if at.Topic == topic {
				mine += len(at.Partitions)
			}
		}
		if mine == 0 {
			return fmt.Errorf("member %s holds no partition of %s", m.MemberID, topic)
		}
		total += mine
	}
	if total != 3 {
		return fmt.Errorf("%d partitions of %s assigned, want 3", total, topic)
	}
	return nil
}

// indexed reads sluice_indexer_events_total{result="indexed"} of ix.
func indexed(t *testing.T, ix *indexer.Indexer) float64 {
	t.Helper()
	return promtest.Value(t, promtest.Of(ix.Collectors()...), "sluice_indexer_events_total", "result", "indexed")
}

// runIndexer runs an indexer in-process from the config writeConfig
// writes and returns it (for its metrics) and what stops it and waits.
func (e *env) runIndexer(t *testing.T, group, topic, index string, nginx bool) (*indexer.Indexer, func()) {
	t.Helper()
	cfg, err := indexer.LoadConfig(e.writeConfig(t, group, topic, index, nginx))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := indexer.New(cfg, testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	return ix, testcluster.Run(t, "indexer", time.Minute, ix.Run)
}
