package interop_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// compactConfigs make a topic compact as soon as a segment rolls.
var compactConfigs = map[string]string{
	"cleanup.policy":            "compact",
	"segment.bytes":             "2048",
	"min.cleanable.dirty.ratio": "0.01",
}

// keyedRecord is what a test reads back: a key and its value (null for a
// tombstone).
type keyedRecord struct {
	key, value string
	null       bool
}

func (r keyedRecord) String() string {
	if r.null {
		return r.key + "=<tombstone>"
	}
	return r.key + "=" + r.value
}

// keyedWorkload is the same for every broker: n records over keys keys,
// one in ten a tombstone, values of one size so that segments roll at the
// same records on every broker, then filler records with distinct keys
// that push the workload out of the active segment.
func keyedWorkload(n, keys int) []*kgo.Record {
	rng := rand.New(rand.NewPCG(42, 42))
	var out []*kgo.Record
	for i := range n {
		r := &kgo.Record{Key: fmt.Appendf(nil, "key-%03d", rng.IntN(keys))}
		if rng.IntN(10) != 0 {
			r.Value = fmt.Appendf(nil, "value-%06d-%s", i, strings.Repeat("x", 40))
		}
		out = append(out, r)
	}
	for i := range 60 {
		out = append(out, &kgo.Record{Key: fmt.Appendf(nil, "filler-%03d", i), Value: fmt.Appendf(nil, "value-%06d-%s", i, strings.Repeat("x", 40))})
	}
	return out
}

// expectCompacted is the model: every record of the sealed part is kept
// only if it is its key's last one; sealedBelow is how many of recs were
// sealed (the rest stay).
func expectCompacted(recs []*kgo.Record, sealedBelow int) []keyedRecord {
	last := map[string]int{}
	for i, r := range recs[:sealedBelow] {
		last[string(r.Key)] = i
	}
	var out []keyedRecord
	for i, r := range recs {
		if i >= sealedBelow || last[string(r.Key)] == i {
			out = append(out, keyedRecord{string(r.Key), string(r.Value), r.Value == nil})
		}
	}
	return out
}

func produceAll(t *testing.T, addr, topic string, recs []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, r := range recs {
		r := &kgo.Record{Key: r.Key, Value: r.Value, Timestamp: time.UnixMilli(1_700_000_000_000)}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// readKeyed reads partition 0 of topic from the start to its end.
func readKeyed(t *testing.T, addr, topic string) []keyedRecord {
	t.Helper()
	var out []keyedRecord
	brokertest.ReadAll(t, addr, topic, func(r *kgo.Record) {
		out = append(out, keyedRecord{string(r.Key), string(r.Value), r.Value == nil})
	})
	return out
}

func createCompacted(t *testing.T, addr, topic string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	configs := map[string]*string{}
	for k, v := range compactConfigs {
		configs[k] = kadm.StringPtr(v)
	}
	resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), 1, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

// awaitRecords waits until reading the topic gives want.
func awaitRecords(t *testing.T, addr, topic string, want []keyedRecord, within time.Duration) {
	t.Helper()
	await.Eventually(t, within, 250*time.Millisecond, func() error {
		got := readKeyed(t, addr, topic)
		if !slices.Equal(got, want) {
			return fmt.Errorf("%d records, want %d", len(got), len(want))
		}
		return nil
	})
}

// sealedCount is how many of recs a broker holds in sealed segments when
// each is one uncompressed single-record batch and segments roll at
// segment.bytes: the model's view of the active segment.
func sealedCount(recs []*kgo.Record, segmentBytes int) int {
	size, start := 0, 0
	for i, r := range recs {
		n := batchSize(r)
		if size > 0 && size+n > segmentBytes {
			size, start = 0, i
		}
		size += n
	}
	return start
}

// batchSize is the size of a one-record uncompressed batch holding r.
func batchSize(r *kgo.Record) int {
	body := 1 + 1 + 1 + varintLen(int64(len(r.Key))) + len(r.Key) + 1
	if r.Value == nil {
		body += 1
	} else {
		body += varintLen(int64(len(r.Value))) + len(r.Value)
	}
	return 61 + varintLen(int64(body)) + body
}

func varintLen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

// TestCompactedTopic: a cleanup.policy=compact topic keeps the last
// record of each key in its sealed segments, tombstones included, after
// the cleaner runs (its pass metric moves), and refuses keyless records
// with INVALID_RECORD as Kafka does.
func TestCompactedTopic(t *testing.T) {
	zk := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zk, "", func(c *broker.Config) { c.CleanerBackoff = 50 * time.Millisecond })
	createCompacted(t, b.Addr(), "state")
	recs := keyedWorkload(400, 30)
	produceAll(t, b.Addr(), "state", recs)
	awaitRecords(t, b.Addr(), "state", expectCompacted(recs, sealedCount(recs, 2048)), 30*time.Second)
	if promtest.Value(t, promtest.Of(b.Collectors()...), "sluice_broker_log_cleaner_passes_total") == 0 {
		t.Fatal("cleaned without a counted pass")
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.DefaultProduceTopic("state"), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.RecordRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	err = cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte("no key")}).FirstErr()
	if !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("keyless record on a compacted topic: %v, want INVALID_RECORD", err)
	}
}

// TestCompactionMatchesKafka is the differential test: the same keyed
// workload with tombstones, on a compacted topic with small segments and a
// low dirty ratio, on Apache Kafka 3.9 and on sluice. Once both cleaners
// have run, reading the topic from the start gives the same records on
// both (and the model's: the last of each key in the sealed segments, the
// active segment as written).
func TestCompactionMatchesKafka(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	recs := keyedWorkload(400, 30)
	want := expectCompacted(recs, sealedCount(recs, 2048))

	k := testpeer.StartKafka(t)
	kcl, err := kgo.NewClient(kgo.SeedBrokers(k.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer kcl.Close()
	// log.cleaner.backoff.ms is a dynamic broker config in Kafka; if this
	// Kafka refuses it the cleaner runs every 15 s (its default), which
	// the wait below allows for.
	if _, err := kadm.NewClient(kcl).AlterBrokerConfigs(context.Background(),
		[]kadm.AlterConfig{{Name: "log.cleaner.backoff.ms", Value: kadm.StringPtr("200")}}); err != nil {
		t.Logf("kafka: log.cleaner.backoff.ms not altered: %v", err)
	}
	createCompacted(t, k.Addr, "state")
	produceAll(t, k.Addr, "state", recs)

	zk := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zk, "", func(c *broker.Config) { c.CleanerBackoff = 50 * time.Millisecond })
	createCompacted(t, b.Addr(), "state")
	produceAll(t, b.Addr(), "state", recs)

	awaitRecords(t, k.Addr, "state", want, 120*time.Second)
	awaitRecords(t, b.Addr(), "state", want, 30*time.Second)
	if kafka, sluice := readKeyed(t, k.Addr, "state"), readKeyed(t, b.Addr(), "state"); !slices.Equal(kafka, sluice) {
		t.Fatalf("after cleaning: kafka %v\nsluice %v", kafka, sluice)
	}
}

// TestConsumerOffsetsCompacted: __consumer_offsets is compacted, so a long
// run of commits keeps it bounded on disk, and the group manager rebuilds
// the same committed offsets from the compacted log after a restart,
// deleted groups (tombstones) staying deleted.
func TestConsumerOffsetsCompacted(t *testing.T) {
	zk := testcluster.Coordinator(t)
	dir := t.TempDir()
	const segBytes = 4096
	opts := func(c *broker.Config) {
		c.CleanerBackoff, c.OffsetsSegmentBytes, c.OffsetsReplication = 50*time.Millisecond, segBytes, 1
		c.OffsetsPartitions = 1 // every group's commits in __consumer_offsets-0
	}
	b := testcluster.StartBroker(t, 1, zk, dir, opts)
	testcluster.CreateTopic(t, b.Addr(), "events", 3)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	ctx := context.Background()
	groups := []string{"g0", "g1", "g2", "gone"}
	want := map[string]kadm.Offsets{}
	offsetsDir := filepath.Join(dir, "logs", "__consumer_offsets-0")
	for round := range 8 {
		for i := range 100 {
			for _, g := range groups {
				o := kadm.Offsets{}
				o.AddOffset("events", int32(i%3), int64(round*1000+i), -1)
				if err := adm.CommitAllOffsets(ctx, g, o); err != nil {
					t.Fatalf("commit %s: %v", g, err)
				}
				w := want[g]
				w.AddOffset("events", int32(i%3), int64(round*1000+i), -1)
				want[g] = w
			}
		}
		// Bounded: the cleaned part holds one record per key, the active
		// segment at most segment.bytes; whatever the number of commits.
		await.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
			if n := logBytes(t, offsetsDir); n > 3*segBytes {
				return fmt.Errorf("round %d: %d bytes of __consumer_offsets on disk", round, n)
			}
			return nil
		})
	}
	if _, err := adm.DeleteGroup(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	delete(want, "gone")
	if promtest.Value(t, promtest.Of(b.Collectors()...), "sluice_broker_log_cleaner_passes_total") == 0 {
		t.Fatal("no cleaner pass counted")
	}
	cl.Close()
	b.Stop()

	b2 := testcluster.StartBroker(t, 1, zk, dir, opts)
	cl2, err := kgo.NewClient(kgo.SeedBrokers(b2.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	adm2 := kadm.NewClient(cl2)
	for _, g := range []string{"g0", "g1", "g2", "gone"} {
		var got kadm.OffsetResponses
		await.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
			got, err = adm2.FetchOffsets(ctx, g)
			if err == nil {
				err = got.Error()
			}
			return err
		})
		gotOffsets := got.Offsets()
		if g == "gone" {
			if len(gotOffsets) != 0 {
				t.Fatalf("deleted group has offsets after restart: %v", gotOffsets)
			}
			continue
		}
		for _, p := range []int32{0, 1, 2} {
			w, _ := want[g].Lookup("events", p)
			o, ok := gotOffsets.Lookup("events", p)
			if !ok || o.At != w.At {
				t.Fatalf("%s events/%d after restart: %+v (%v), want %d", g, p, o, ok, w.At)
			}
		}
	}
	lg, err := adm2.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lg["gone"]; ok {
		t.Fatal("deleted group listed after restart")
	}
}

// logBytes sums the .log files of a partition directory.
func logBytes(t *testing.T, dir string) int64 {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	var n int64
	for _, f := range m {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}
