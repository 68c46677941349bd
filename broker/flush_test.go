package broker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// logFlushes is how many fsyncs the broker's sluice_broker_log_flush_seconds
// has counted.
func logFlushes(t *testing.T, b *testcluster.Broker) uint64 {
	t.Helper()
	return uint64(promtest.Value(t, promtest.Of(b.Collectors()...), "sluice_broker_log_flush_seconds"))
}

// produceEach writes n records to topic one produce request at a time
// (each is a batch of its own), acks=all.
func produceEach(t *testing.T, addr, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < n; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprint(i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLogFlushIntervalMessages: with Kafka's default the broker never
// fsyncs a partition on its own; log.flush.interval.messages=1 (or the
// topic's flush.messages=1) fsyncs after every append.
func TestLogFlushIntervalMessages(t *testing.T) {
	zk := testcluster.Coordinator(t)
	def := testcluster.StartBroker(t, 1, zk, "")
	testcluster.CreateTopic(t, def.Addr(), "lazy", 1)
	testcluster.CreateReplicatedTopic(t, def.Addr(), "eager", 1, 1, map[string]string{"flush.messages": "1"})
	produceEach(t, def.Addr(), "lazy", 5)
	if n := logFlushes(t, def); n != 0 {
		t.Fatalf("default config: %d fsyncs after 5 appends, want 0", n)
	}
	produceEach(t, def.Addr(), "eager", 5)
	if n := logFlushes(t, def); n != 5 {
		t.Fatalf("topic flush.messages=1: %d fsyncs after 5 appends, want 5", n)
	}

	every := testcluster.StartBroker(t, 1, testcluster.Coordinator(t), "", func(c *broker.Config) { c.FlushMessages = 1 })
	testcluster.CreateTopic(t, every.Addr(), "t", 1)
	produceEach(t, every.Addr(), "t", 7)
	if n := logFlushes(t, every); n != 7 {
		t.Fatalf("log.flush.interval.messages=1: %d fsyncs after 7 appends, want 7", n)
	}
}

// TestLogFlushIntervalMs: with log.flush.interval.ms a partition holding
// records not yet fsynced is fsynced once that time passed since its last
// fsync, and one with nothing new is not.
func TestLogFlushIntervalMs(t *testing.T) {
	b := testcluster.StartBroker(t, 1, testcluster.Coordinator(t), "", func(c *broker.Config) { c.FlushIntervalMs = 50 })
	testcluster.CreateTopic(t, b.Addr(), "t", 1)
	if n := logFlushes(t, b); n != 0 {
		t.Fatalf("%d fsyncs before any record", n)
	}
	produceEach(t, b.Addr(), "t", 1)
	await.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error {
		if n := logFlushes(t, b); n != 1 {
			return fmt.Errorf("%d fsyncs after one append, want 1", n)
		}
		return nil
	})
	produceEach(t, b.Addr(), "t", 1)
	await.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error {
		if n := logFlushes(t, b); n != 2 {
			return fmt.Errorf("%d fsyncs after a second append, want 2", n)
		}
		return nil
	})
}
