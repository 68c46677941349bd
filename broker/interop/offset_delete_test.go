package interop_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// committedTopics is the topics group has committed offsets for.
func committedTopics(t *testing.T, addr, group string) []string {
	t.Helper()
	cl, ctx := brokertest.RequestClient(t, addr)
	os, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	return os.Offsets().TopicsSet().Sorted().Topics()
}

// offsetDeleteScenario commits offsets of group "od" for topics t (2
// partitions) and u, then runs kafka-consumer-groups.sh --delete-offsets:
// for t while a member subscribed to t is in the group, for u then, for
// t once the member left, and for a topic that does not exist. It
// returns the outputs, and the topics with offsets left after each step.
func offsetDeleteScenario(t *testing.T, addr string) []string {
	t.Helper()
	testcluster.CreateTopic(t, addr, "t", 2)
	testcluster.CreateTopic(t, addr, "u", 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var os kadm.Offsets
	os.Add(kadm.Offset{Topic: "t", Partition: 0, At: 5, LeaderEpoch: -1})
	os.Add(kadm.Offset{Topic: "t", Partition: 1, At: 6, LeaderEpoch: -1})
	os.Add(kadm.Offset{Topic: "u", Partition: 0, At: 7, LeaderEpoch: -1})
	await.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		// Kafka's group coordinator may not know the new topics yet.
		rs, err := kadm.NewClient(cl).CommitOffsets(ctx, "od", os)
		if err == nil {
			err = rs.Error()
		}
		return err
	})

	member, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup("od"), kgo.ConsumeTopics("t"),
		kgo.DisableAutoCommit(), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	await.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
		// Polling makes the member join; t is empty, so the poll ends
		// with its context.
		pollCtx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		member.PollRecords(pollCtx, 1)
		cancel()
		gs, err := kadm.NewClient(cl).DescribeGroups(ctx, "od")
		if err != nil {
			return err
		}
		if g := gs["od"]; g.State != "Stable" || len(g.Members) != 1 {
			return fmt.Errorf("group od is %s with %d members", g.State, len(g.Members))
		}
		return nil
	})

	var outs []string
	step := func(topic string) {
		out := testpeer.KafkaTool(t, "kafka-consumer-groups.sh", nil, "--bootstrap-server", addr, "--delete-offsets", "--group", "od", "--topic", topic, "--timeout", "60000")
		outs = append(outs, fmt.Sprintf("--topic %s:\n%s(offsets left for %v)\n", topic, out, committedTopics(t, addr, "od")))
	}
	step("t") // subscribed by the member
	step("u")
	member.Close()
	await.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
		gs, err := kadm.NewClient(cl).DescribeGroups(ctx, "od")
		if err != nil {
			return err
		}
		if g := gs["od"]; g.State != "Empty" {
			return fmt.Errorf("group od is %s after its member left", g.State)
		}
		return nil
	})
	step("t")
	return outs
}

// TestOffsetDelete: kafka-consumer-groups.sh --delete-offsets prints the
// same against sluice as against a Kafka 3.9 broker: a topic a member
// subscribes to is refused (GROUP_SUBSCRIBED_TO_TOPIC) while the member
// is there, another one's offsets go, and the first one's once the group
// is empty; the deletions survive a restart of the broker.
func TestOffsetDelete(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	k := testpeer.StartKafka(t)

	ours := offsetDeleteScenario(t, b.Addr())
	theirs := offsetDeleteScenario(t, k.Addr)
	spaces := regexp.MustCompile(`[ \t]+`)
	for i := range theirs {
		if spaces.ReplaceAllString(ours[i], " ") != spaces.ReplaceAllString(theirs[i], " ") {
			t.Errorf("step %d: sluice printed\n%s\nKafka printed\n%s", i, ours[i], theirs[i])
		}
	}
	t.Logf("kafka-consumer-groups.sh --delete-offsets printed:\n%s", strings.Join(ours, ""))
	if want := "[]"; !strings.HasSuffix(strings.TrimSpace(ours[len(ours)-1]), "(offsets left for "+want+")") {
		t.Errorf("offsets left after deleting t and u: %s", ours[len(ours)-1])
	}

	b.Stop()
	b = testcluster.StartBroker(t, 1, zkAddr, b.Dir)
	await.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		cl, ctx := brokertest.RequestClient(t, b.Addr())
		os, err := kadm.NewClient(cl).FetchOffsets(ctx, "od")
		if err != nil {
			return err
		}
		if len(os) != 0 {
			return fmt.Errorf("group od has offsets %v after the restart", os)
		}
		return nil
	})
}
