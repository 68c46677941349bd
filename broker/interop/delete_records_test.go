package interop_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/segment"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// deleteRecordsTool runs kafka-delete-records.sh for one partition of
// topic at offset and returns its output.
func deleteRecordsTool(t *testing.T, addr, topic string, offset int64) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "offsets.json")
	js := fmt.Sprintf(`{"partitions":[{"topic":%q,"partition":0,"offset":%d}],"version":1}`, topic, offset)
	if err := os.WriteFile(f, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	return testpeer.KafkaTool(t, "kafka-delete-records.sh", nil, "--bootstrap-server", addr, "--offset-json-file", f)
}

// deleteRecordsScenario is what TestDeleteRecords runs against sluice and
// against Kafka: 40 one-record batches in 1 KiB segments, then
// kafka-delete-records.sh to 25, past the high watermark, to -1 (the high
// watermark), and on a compacted topic. It returns the tools' outputs.
func deleteRecordsScenario(t *testing.T, addr string, rf int16) []string {
	t.Helper()
	testcluster.CreateReplicatedTopic(t, addr, "dr", 1, rf, map[string]string{"segment.bytes": "1024"})
	testcluster.CreateReplicatedTopic(t, addr, "drc", 1, rf, map[string]string{"cleanup.policy": "compact"})
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("dr"),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := 0; i < 40; i++ {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte(fmt.Sprintf("%0100d", i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var outs []string
	step := func(topic string, offset int64, earliest int64) {
		t.Helper()
		outs = append(outs, deleteRecordsTool(t, addr, topic, offset))
		if e := brokertest.EarliestOffset(t, cl, "dr"); e != earliest {
			t.Errorf("after deleting %s to %d: earliest offset %d, want %d", topic, offset, e, earliest)
		}
	}
	step("dr", 25, 25)
	fetchBelowStart(t, cl, "dr", 10)
	step("dr", 100, 25)
	step("dr", -1, 40)
	step("drc", 0, 40)
	return outs
}

// fetchBelowStart checks that a fetch at offset, below the log start, is
// OFFSET_OUT_OF_RANGE.
func fetchBelowStart(t *testing.T, cl *kgo.Client, topic string, offset int64) {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(11)
	req.ReplicaID, req.MaxWaitMillis, req.MaxBytes = -1, 0, 1<<20
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	leader, id, err := leaderOf(ctx, cl, topic)
	if err != nil {
		t.Fatal(err)
	}
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = topic, id // v13+ (Kafka's) name the topic by id
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.FetchOffset, rp.PartitionMaxBytes, rp.CurrentLeaderEpoch = offset, 1<<20, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl.Broker(int(leader)))
	if err != nil {
		t.Fatal(err)
	}
	if code := resp.Topics[0].Partitions[0].ErrorCode; code != kerr.OffsetOutOfRange.Code {
		t.Errorf("fetch of %s at %d, below the log start: %v, want OFFSET_OUT_OF_RANGE", topic, offset, kerr.ErrorForCode(code))
	}
}

// leaderOf returns the leader of partition 0 of topic and the topic's id.
func leaderOf(ctx context.Context, cl *kgo.Client, topic string) (int32, [16]byte, error) {
	mt, err := brokertest.MetadataTopic(ctx, cl, topic)
	if err != nil {
		return -1, [16]byte{}, err
	}
	if len(mt.Partitions) != 1 {
		return -1, [16]byte{}, fmt.Errorf("metadata of %s: %d partitions", topic, len(mt.Partitions))
	}
	return mt.Partitions[0].Leader, mt.TopicID, nil
}

// logStartOnDisk is the partition directory's log start: its checkpoint,
// and the segments' base offsets.
func logStartOnDisk(dir string) (checkpoint int64, bases []int64, err error) {
	data, err := os.ReadFile(filepath.Join(dir, segment.LogStartCheckpoint))
	if err != nil {
		return -1, nil, err
	}
	_, v, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	if checkpoint, err = strconv.ParseInt(v, 10, 64); err != nil {
		return -1, nil, err
	}
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, l := range logs {
		b, _ := strconv.ParseInt(strings.TrimSuffix(filepath.Base(l), ".log"), 10, 64)
		bases = append(bases, b)
	}
	return checkpoint, bases, err
}

// TestDeleteRecords: kafka-delete-records.sh against two sluice brokers
// (topic replicated on both) and against a Kafka 3.9 broker prints the
// same; on sluice the leader and the follower both move their log start
// (checkpoint written, the segments wholly below deleted), earliest
// answers it, a fetch below it is OFFSET_OUT_OF_RANGE, and it survives
// restarting the brokers.
func TestDeleteRecords(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	zkAddr := testcluster.Coordinator(t)
	b1 := testcluster.StartBroker(t, 1, zkAddr, "")
	b2 := testcluster.StartBroker(t, 2, zkAddr, "")
	k := testpeer.StartKafka(t)

	ours := deleteRecordsScenario(t, b1.Addr(), 2)
	theirs := deleteRecordsScenario(t, k.Addr, 1)
	for i := range theirs {
		if ours[i] != theirs[i] {
			t.Errorf("kafka-delete-records.sh step %d: sluice printed\n%s\nKafka printed\n%s", i, ours[i], theirs[i])
		}
	}
	t.Logf("kafka-delete-records.sh printed:\n%s", strings.Join(ours, ""))

	for _, b := range []*testcluster.Broker{b1, b2} { // leader and follower
		dir := filepath.Join(b.Dir, "logs", "dr-0")
		await.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
			cp, bases, err := logStartOnDisk(dir)
			if err != nil {
				return err
			}
			if cp != 40 || len(bases) != 1 || bases[0] > 40 {
				return fmt.Errorf("%s: checkpoint %d, segments %v: want 40 and the one segment holding 40", dir, cp, bases)
			}
			return nil
		})
	}

	b1.Stop()
	b2.Stop()
	b1 = testcluster.StartBroker(t, 1, zkAddr, b1.Dir)
	b2 = testcluster.StartBroker(t, 2, zkAddr, b2.Dir)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b1.Addr(), b2.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	await.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		resp, err := listOffset(cl, "dr", -2)
		if err != nil {
			return err
		}
		if resp != 40 {
			return fmt.Errorf("earliest offset %d after the restart, want 40", resp)
		}
		return nil
	})
}

// listOffset asks the leader of partition 0 of topic for the offset of
// timestamp ts.
func listOffset(cl *kgo.Client, topic string, ts int64) (int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Timestamp = ts
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return -1, err
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return -1, errors.New("ListOffsets answered no partition")
	}
	p := resp.Topics[0].Partitions[0]
	return p.Offset, kerr.ErrorForCode(p.ErrorCode)
}
