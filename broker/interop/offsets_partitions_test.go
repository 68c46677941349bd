package interop_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/broker/group"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestGroupsOverOffsetsPartitions: with Kafka's defaults (50 offsets
// partitions, 3 replicas) on three broker processes, 20 groups are spread
// over the brokers: FindCoordinator (v4, batched) names for each the
// leader of its partition, abs(hashCode) % 50, and more than one broker
// coordinates. Each group, a franz-go consumer, reads and commits; the
// broker coordinating the first group is killed with SIGKILL; every group
// moves to its partition's new leader with its committed offsets and
// reads only what was produced since; kafka-consumer-groups.sh
// --describe --all-groups shows all 20 with no lag.
func TestGroupsOverOffsetsPartitions(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	zk := testcluster.Coordinator(t)
	procs := brokertest.StartBrokerProcs(t, zk, 3, func(c *broker.Config) {
		c.ZooKeeperSessionTimeout, c.ReplicaLagTimeMax = 4*time.Second, 3*time.Second
	})
	var addrs []string
	for _, p := range procs {
		addrs = append(addrs, p.Addr)
	}
	testcluster.CreateReplicatedTopic(t, addrs[0], "work", 3, 3, nil)
	brokertest.ProduceNumbered(t, addrs, "work", "a", 300)

	var groups []string
	for i := range 20 {
		groups = append(groups, fmt.Sprintf("group-%02d", i))
	}
	coords := awaitCoordinators(t, addrs[0], groups)
	distinct := map[int32]bool{}
	for _, c := range coords {
		distinct[c] = true
	}
	if len(distinct) < 2 {
		t.Fatalf("20 groups all coordinated by %v", coords)
	}

	readGroups(t, addrs, groups, "a-", 300)

	victim := coords[groups[0]]
	procs[victim-1].Kill()
	var rest []string
	for _, p := range procs {
		if p.ID != int(victim) {
			rest = append(rest, p.Addr)
		}
	}
	await.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		for g, c := range findCoordinators(t, rest[0], groups) {
			if c < 0 || c == victim {
				return fmt.Errorf("group %s coordinated by %d", g, c)
			}
		}
		return nil
	})
	brokertest.ProduceNumbered(t, rest, "work", "b", 100)
	readGroups(t, rest, groups, "b-", 100)

	out := testpeer.KafkaTool(t, "kafka-consumer-groups.sh", nil, "--bootstrap-server", rest[0], "--describe", "--all-groups", "--timeout", "60000")
	rows := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[0], "group-") {
			continue
		}
		// GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG …
		if f[1] != "work" || f[3] != f[4] || f[5] != "0" {
			t.Fatalf("kafka-consumer-groups.sh row %q: want CURRENT-OFFSET = LOG-END-OFFSET, LAG 0", line)
		}
		rows[f[0]]++
	}
	for _, g := range groups {
		if rows[g] == 0 { // a row per partition it committed (brokertest.ProduceNumbered's records may all be in one)
			t.Fatalf("kafka-consumer-groups.sh --describe --all-groups does not show %s:\n%s", g, out)
		}
	}
}

// awaitCoordinators waits until FindCoordinator names a coordinator for
// every group, checks it is the leader of the group's offsets partition
// and returns them.
func awaitCoordinators(t *testing.T, addr string, groups []string) map[string]int32 {
	t.Helper()
	var coords map[string]int32
	await.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		coords = findCoordinators(t, addr, groups)
		for g, c := range coords {
			if c < 0 {
				return fmt.Errorf("no coordinator for %s yet", g)
			}
		}
		parts, err := brokertest.Describe(t, addr, "__consumer_offsets")
		if err != nil {
			return err
		}
		if len(parts) != int(broker.Defaults().OffsetsPartitions) {
			return fmt.Errorf("__consumer_offsets has %d partitions", len(parts))
		}
		for g, c := range coords {
			p := parts[group.PartitionFor(g, int32(len(parts)))]
			if len(p.ISR) != 3 {
				return fmt.Errorf("offsets partition of %s: ISR %v", g, p.ISR)
			}
			if p.Leader != c {
				return fmt.Errorf("coordinator of %s is %d, its partition's leader %d", g, c, p.Leader)
			}
		}
		return nil
	})
	return coords
}

// findCoordinators asks addr for the coordinators of groups in one
// FindCoordinator v4 request (-1 for an error) and checks that v3, one
// group at a time, gives the same answers for a few.
func findCoordinators(t *testing.T, addr string, groups []string) map[string]int32 {
	t.Helper()
	out := map[string]int32{}
	for _, g := range groups {
		out[g] = -1
	}
	ask := func(max *kversion.Versions, req *kmsg.FindCoordinatorRequest) *kmsg.FindCoordinatorResponse {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.MaxVersions(max))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// To the broker itself: kgo.Client.Request would split the keys.
		resp, err := req.RequestWith(ctx, cl.SeedBrokers()[0])
		if err != nil {
			return nil
		}
		return resp
	}
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKeys = groups
	resp := ask(kversion.V3_0_0(), req) // FindCoordinator v4
	if resp == nil {
		return out
	}
	if resp.Version != 4 {
		t.Fatalf("FindCoordinator v%d, want v4", resp.Version)
	}
	for _, c := range resp.Coordinators {
		if c.ErrorCode == 0 {
			out[c.Key] = c.NodeID
		}
	}
	for _, g := range groups[:3] {
		old := kmsg.NewPtrFindCoordinatorRequest()
		old.CoordinatorKey = g
		r := ask(kversion.V2_8_0(), old) // FindCoordinator v3
		if r == nil || r.ErrorCode != 0 || out[g] < 0 {
			out[g] = -1
			continue
		}
		if r.Version != 3 || r.NodeID != out[g] {
			t.Fatalf("FindCoordinator v%d names %d for %s, v4 %d", r.Version, r.NodeID, g, out[g])
		}
	}
	return out
}

// readGroups has a franz-go consumer of each group read want records of
// "work" (all of them starting with prefix: nothing read again from
// before the last commit) and commit, the groups at the same time.
func readGroups(t *testing.T, seeds, groups []string, prefix string, want int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(groups))
	for i, g := range groups {
		wg.Add(1)
		go func() { // the test waits for it below
			defer wg.Done()
			errs[i] = readGroup(seeds, g, prefix, want)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func readGroup(seeds []string, g, prefix string, want int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumerGroup(g), kgo.ConsumeTopics("work"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	n := 0
	for n < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("group %s read %d of %d records: %w", g, n, want, err)
		}
		var bad string
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if !strings.HasPrefix(string(r.Value), prefix) {
				bad = string(r.Value)
			}
		})
		if bad != "" {
			return fmt.Errorf("group %s read %s again: before its committed offset", g, bad)
		}
	}
	if n != want {
		return fmt.Errorf("group %s read %d records, want %d", g, n, want)
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		return fmt.Errorf("commit of group %s: %w", g, err)
	}
	cl.LeaveGroup()
	return nil
}

// TestGroupPartitionsMatchKafka: a real Kafka 3.9 broker (offsets.topic.num.partitions
// at its default, 50) and a sluice broker are given one commit for each
// of a set of groups (names whose hashCode is Integer.MIN_VALUE,
// non-ASCII, a surrogate pair); each group's record is then found in
// __consumer_offsets, and both put every group in the partition
// group.PartitionFor names.
func TestGroupPartitionsMatchKafka(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	groups := []string{"g", "group", "workers", "console-consumer-12345", "polygenelubricants", "GydZG_",
		"DESIGNING WORKHOUSES", "sluice-indexer", "grüße", "日本語グループ", "emoji-😀",
		"a-very-long-group-name-that-overflows-the-int-hash-many-times-over"}
	for i := range 20 {
		groups = append(groups, fmt.Sprintf("group-%02d", i))
	}
	want := map[string]int32{}
	for _, g := range groups {
		want[g] = group.PartitionFor(g, 50)
	}
	kafka := testpeer.StartKafka(t)
	sluice := testcluster.StartBroker(t, 1, testcluster.Coordinator(t), "")
	for name, addr := range map[string]string{"kafka": kafka.Addr, "sluice": sluice.Addr()} {
		got := offsetsPartitionsOf(t, addr, groups)
		for _, g := range groups {
			if got[g] != want[g] {
				t.Errorf("%s keeps group %q in __consumer_offsets-%d, PartitionFor says %d", name, g, got[g], want[g])
			}
		}
	}
}

// offsetsPartitionsOf commits an offset of topic "work" for each group at
// addr and returns the __consumer_offsets partition its record went to.
func offsetsPartitionsOf(t *testing.T, addr string, groups []string) map[string]int32 {
	t.Helper()
	cl, ctx := brokertest.RequestClient(t, addr)
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "work"); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Fatal(err)
	}
	for _, g := range groups {
		o := kadm.Offsets{}
		o.AddOffset("work", 0, 1, -1)
		await.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
			return adm.CommitAllOffsets(ctx, g, o)
		})
	}
	md, err := adm.ListEndOffsets(ctx, "__consumer_offsets")
	if err != nil {
		t.Fatal(err)
	}
	parts := map[int32]kgo.Offset{}
	total := int64(0)
	md.Each(func(o kadm.ListedOffset) {
		parts[o.Partition] = kgo.NewOffset().AtStart()
		total += o.Offset
	})
	if len(parts) != 50 {
		t.Fatalf("%s: __consumer_offsets has %d partitions, want 50", addr, len(parts))
	}
	rd, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"__consumer_offsets": parts}))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	got := map[string]int32{}
	for read := int64(0); read < total; {
		fs := rd.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("%s: read %d of %d __consumer_offsets records: %v", addr, read, total, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			read++
			var k kmsg.OffsetCommitKey
			if err := k.ReadFrom(r.Key); err == nil && k.Version <= 1 {
				got[k.Group] = r.Partition
			}
		})
	}
	return got
}

// TestOneOffsetsPartitionKept: a cluster whose __consumer_offsets was
// created with one partition keeps it after its broker restarts with
// offsets.topic.num.partitions=50, as Kafka does: the group stays in
// partition 0 with its committed offset.
func TestOneOffsetsPartitionKept(t *testing.T) {
	zk := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zk, "", func(c *broker.Config) { c.OffsetsPartitions = 1 })
	testcluster.CreateTopic(t, b.Addr(), "work", 1)
	brokertest.ProduceValues(t, b.Addr(), "work", 3)
	brokertest.ConsumeGroup(t, b.Addr(), "workers", "work", 3)
	b.Stop()

	b = testcluster.StartBroker(t, 1, zk, b.Dir) // offsets.topic.num.partitions 50
	brokertest.ProduceValues(t, b.Addr(), "work", 2)
	if got := brokertest.ConsumeGroup(t, b.Addr(), "workers", "work", 2); strings.Join(got, ",") != "v-00000,v-00001" {
		t.Fatalf("after the restart the group read %v, want the 2 new records only", got)
	}
	parts, err := brokertest.Describe(t, b.Addr(), "__consumer_offsets")
	if err != nil || len(parts) != 1 {
		t.Fatalf("__consumer_offsets: %d partitions (%v), want 1", len(parts), err)
	}
}
