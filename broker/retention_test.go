package broker_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestRetention: with log.retention.bytes the broker's retention check
// deletes old segments (the earliest offset moves up), never the active
// one (the latest records stay readable).
func TestRetention(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "",
		func(c *broker.Config) {
			c.SegmentBytes, c.RetentionBytes, c.RetentionCheckInterval = 16384, 32768, 100*time.Millisecond
		})
	addr := b.Addr()
	testcluster.CreateTopic(t, addr, "short", 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("short"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprintf("%01000d", i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	earliest := func() int64 {
		req := kmsg.NewPtrListOffsetsRequest()
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = "short"
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Timestamp = -2
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].Partitions[0].Offset
	}
	// Checks that ran while the records were produced may have deleted
	// some segments already: wait until the earliest offset has moved and
	// stays put over three check intervals (retention is done).
	last := int64(-1)
	await.Eventually(t, 20*time.Second, 300*time.Millisecond, func() error {
		e := earliest()
		if e == 0 {
			entries, _ := os.ReadDir(filepath.Join(b.Dir, "logs", "short-0"))
			return fmt.Errorf("earliest offset still 0 with %d files in the partition", len(entries))
		}
		if e != last {
			last = e
			return fmt.Errorf("earliest offset moved to %d", e)
		}
		return nil
	})
	start := earliest()
	if end := brokertest.EndOffsets(t, cl, "short")[0]; end != 200 || start >= end {
		t.Fatalf("after retention: earliest %d, end %d", start, end)
	}
	// What is left reads back from its start to the end, all of it.
	first, n := int64(-1), int64(0)
	brokertest.ReadAll(t, addr, "short", func(r *kgo.Record) {
		if r.Offset < start {
			t.Fatalf("read offset %d below the earliest %d", r.Offset, start)
		}
		if first < 0 {
			first = r.Offset
		}
		if r.Offset != first+n {
			t.Fatalf("read offset %d after %d records from %d", r.Offset, n, first)
		}
		n++
	})
	if first+n != 200 {
		t.Fatalf("read %d records from offset %d after retention, want all up to 200", n, first)
	}
}
