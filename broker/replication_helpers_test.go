package broker_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// partInfo is a partition as Metadata describes it.
type partInfo struct {
	leader, epoch          int32
	replicas, isr, offline []int32 // offline: Metadata v5+'s OfflineReplicas
	err                    int16
}

// describe returns topic's partitions as the cluster at addr describes
// them, each ISR sorted.
func describe(t *testing.T, addr, topic string) ([]partInfo, error) {
	t.Helper()
	_, parts, err := clusterInfo(addr, topic)
	for i := range parts {
		parts[i].isr = slices.Sorted(slices.Values(parts[i].isr))
	}
	return parts, err
}

// createReplicated creates a topic with rf replicas and topic configs.
func createReplicated(t *testing.T, addr, name string, partitions int32, rf int16, configs map[string]string) {
	t.Helper()
	testcluster.CreateReplicatedTopic(t, addr, name, partitions, rf, configs)
}

// produceNumbered writes values prefix-0 … prefix-(n-1) with acks=all and
// an idempotent producer, failing the test on any error.
func produceNumbered(t *testing.T, addrs []string, topic, prefix string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(topic), kgo.RecordDeliveryTimeout(60*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := 0; i < n; i++ {
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Value: []byte(fmt.Sprintf("%s-%07d", prefix, i))}, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		t.Fatalf("produce to %s: %v", topic, first)
	}
}

// consumeAll reads topic from the start until it has want records (or
// 60 s pass) and returns the values by partition, in offset order.
func consumeAll(t *testing.T, addrs []string, topic string, want int) map[int32][]string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := map[int32][]string{}
	got := 0
	for got < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			out[r.Partition] = append(out[r.Partition], string(r.Value))
			got++
		})
	}
	return out
}

// checkExactlyOnce fails unless the records hold prefix-0 … prefix-(n-1)
// exactly once each.
func checkExactlyOnce(t *testing.T, byPartition map[int32][]string, prefixes map[string]int) {
	t.Helper()
	seen := map[string]int{}
	total := 0
	for _, vs := range byPartition {
		for _, v := range vs {
			seen[v]++
			total++
		}
	}
	want := 0
	for prefix, n := range prefixes {
		want += n
		for i := 0; i < n; i++ {
			v := fmt.Sprintf("%s-%07d", prefix, i)
			if seen[v] != 1 {
				t.Fatalf("%s read %d times", v, seen[v])
			}
		}
	}
	if total != want {
		t.Fatalf("read %d records, want %d", total, want)
	}
}

// controllerAddrs returns the address of the controller, as the broker
// at addrs[0] answers it, and of another broker, with topic's partitions;
// addrs holds brokers 1…n, in order, all live.
func controllerAddrs(t *testing.T, addrs []string, topic string) (ctl, other string, parts []partInfo) {
	t.Helper()
	controller, parts, err := clusterInfo(addrs[0], topic)
	if err != nil {
		t.Fatal(err)
	}
	if controller < 1 || int(controller) > len(addrs) {
		t.Fatalf("controller %d is not one of brokers 1…%d", controller, len(addrs))
	}
	return addrs[controller-1], addrs[int(controller)%len(addrs)], parts
}
