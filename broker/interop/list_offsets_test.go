package interop_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// produceBatch writes one batch of records with the given timestamps
// (milliseconds after base) to partition 0 of topic.
func produceBatch(t *testing.T, addr, topic string, codec kgo.CompressionCodec, base time.Time, ms ...int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.ManualFlushing(),
		kgo.ProducerBatchCompression(codec), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	for _, m := range ms {
		cl.Produce(ctx, &kgo.Record{Value: []byte("v"), Timestamp: base.Add(time.Duration(m) * time.Millisecond)}, func(_ *kgo.Record, err error) {
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil || len(errs) > 0 {
		t.Fatalf("produce to %s: %v %v", topic, err, errs)
	}
}

// maxTimestampScenario writes the same batches through addr and returns
// what kafka-get-offsets.sh prints for each --time, and the ListOffsets
// -3 answer (offset, timestamp after base) of each topic.
func maxTimestampScenario(t *testing.T, addr string, base time.Time) (tool []string, answers map[string][2]int64) {
	t.Helper()
	testcluster.CreateTopic(t, addr, "mt", 1)
	testcluster.CreateTopic(t, addr, "mtz", 1)
	testcluster.CreateTopic(t, addr, "mte", 1)
	// mt: the largest timestamp (5000) first in the uncompressed second
	// batch, again in the third; mtz: inside one zstd batch.
	produceBatch(t, addr, "mt", kgo.ZstdCompression(), base, 1000, 3000)
	produceBatch(t, addr, "mt", kgo.NoCompression(), base, 2000, 5000, 4000)
	produceBatch(t, addr, "mt", kgo.ZstdCompression(), base, 5000, 100)
	produceBatch(t, addr, "mtz", kgo.ZstdCompression(), base, 1000, 7000, 2000)
	for _, tm := range []string{"-1", "-2", "-3", "-4", "-5", "2500", "earliest", "latest", "max-timestamp"} {
		out := testpeer.KafkaTool(t, "kafka-get-offsets.sh", nil, "--bootstrap-server", addr, "--topic-partitions", "mt,mtz,mte", "--time", tm)
		tool = append(tool, "--time "+tm+":\n"+out)
	}
	cl, ctx := brokertest.RequestClient(t, addr)
	answers = map[string][2]int64{}
	for _, topic := range []string{"mt", "mtz", "mte"} {
		req := kmsg.NewPtrListOffsetsRequest()
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Timestamp = -3
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		p := resp.Topics[0].Partitions[0]
		ts := p.Timestamp
		if ts >= 0 {
			ts -= base.UnixMilli()
		}
		answers[topic] = [2]int64{p.Offset, ts}
	}
	return tool, answers
}

// TestListOffsetsMaxTimestamp: ListOffsets -3 (KIP-734) answers the
// first record with the largest timestamp, in an uncompressed batch and
// inside a compressed one, and -1 for an empty partition;
// kafka-get-offsets.sh prints the same for every --time against sluice
// and a Kafka 3.9 broker.
func TestListOffsetsMaxTimestamp(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	k := testpeer.StartKafka(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)

	ours, answers := maxTimestampScenario(t, b.Addr(), base)
	want := map[string][2]int64{"mt": {3, 5000}, "mtz": {1, 7000}, "mte": {-1, -1}}
	for topic, w := range want {
		if answers[topic] != w {
			t.Errorf("ListOffsets -3 of %s = (offset, timestamp) %v, want %v", topic, answers[topic], w)
		}
	}
	theirs, kanswers := maxTimestampScenario(t, k.Addr, base)
	for topic, w := range kanswers {
		if answers[topic] != w {
			t.Errorf("ListOffsets -3 of %s: sluice %v, Kafka %v", topic, answers[topic], w)
		}
	}
	for i := range theirs {
		if ours[i] != theirs[i] {
			t.Errorf("kafka-get-offsets.sh: sluice printed\n%s\nKafka printed\n%s", ours[i], theirs[i])
		}
	}
	t.Logf("kafka-get-offsets.sh printed:\n%s", strings.Join(ours, ""))
}
