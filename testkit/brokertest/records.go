package brokertest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ReadAll consumes every partition of topic from the start to its current
// end and returns the end offsets.
func ReadAll(t testing.TB, addr, topic string, f func(*kgo.Record)) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends := EndOffsets(t, cl, topic)
	pos := map[int32]int64{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		done := true
		for p, e := range ends {
			if pos[p] < e {
				done = false
			}
		}
		if done {
			return ends
		}
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s: positions %v, ends %v", topic, pos, ends)
		}
		fs.EachRecord(func(r *kgo.Record) {
			f(r)
			pos[r.Partition] = r.Offset + 1
		})
	}
}

// ProduceValues writes the values v-00000 … v-<n-1> to topic with acks=all
// (franz-go's default) and fails the test if any is not acknowledged.
func ProduceValues(t testing.TB, addr, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("v-%05d", i))}
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// CheckValues reads topic from the start to its end and fails the test
// unless it holds exactly the values ProduceValues wrote, each once.
func CheckValues(t testing.TB, addr, topic string, n int) {
	t.Helper()
	seen := map[string]int{}
	ReadAll(t, addr, topic, func(r *kgo.Record) { seen[string(r.Value)]++ })
	if len(seen) != n {
		t.Fatalf("%s holds %d distinct values, want %d", topic, len(seen), n)
	}
	for i := 0; i < n; i++ {
		if v := fmt.Sprintf("v-%05d", i); seen[v] != 1 {
			t.Fatalf("%s holds %q %d times, want once", topic, v, seen[v])
		}
	}
}

// ConsumeGroup joins group, reads n records of topic from where the
// group's committed offsets are (the start without any), commits them,
// and returns their values.
func ConsumeGroup(t testing.TB, addr, group, topic string, n int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var got []string
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("group %s after %d records: %v", group, len(got), err)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit of group %s: %v", group, err)
	}
	return got
}

// ProduceTo writes n[p] records to each partition p of topic.
func ProduceTo(t testing.TB, addr, topic string, n map[int32]int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var rs []*kgo.Record
	for p, count := range n {
		for i := range count {
			rs = append(rs, &kgo.Record{Partition: p, Value: fmt.Appendf(nil, "%d-%d", p, i)})
		}
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// ProduceNumbered writes values prefix-0 … prefix-(n-1) with acks=all and
// an idempotent producer, failing the test on any error.
func ProduceNumbered(t testing.TB, addrs []string, topic, prefix string, n int) {
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

// ConsumeAll reads topic from the start until it has want records (or
// 60 s pass) and returns the values by partition, in offset order.
func ConsumeAll(t testing.TB, addrs []string, topic string, want int) map[int32][]string {
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

// CheckExactlyOnce fails unless the records hold prefix-0 … prefix-(n-1)
// exactly once each.
func CheckExactlyOnce(t testing.TB, byPartition map[int32][]string, prefixes map[string]int) {
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
