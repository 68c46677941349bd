package interop_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestThreeBrokers: three brokers on one coordinator share the partitions
// of a topic created through any of them (one replica each); clients
// follow the metadata to each partition's leader and one broker hosts
// the consumer group.
func TestThreeBrokers(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	var addrs []string
	for id := 1; id <= 3; id++ {
		addrs = append(addrs, testcluster.StartBroker(t, id, zkAddr, "").Addr())
	}
	testcluster.CreateTopic(t, addrs[1], "spread", 6)
	// Every broker describes the same topic, leaders spread over all three.
	for _, addr := range addrs {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
		if err != nil {
			t.Fatal(err)
		}
		await.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error {
			req := kmsg.NewPtrMetadataRequest()
			mt := kmsg.NewMetadataRequestTopic()
			mt.Topic = kmsg.StringPtr("spread")
			req.Topics = append(req.Topics, mt)
			resp, err := req.RequestWith(context.Background(), cl)
			if err != nil {
				return err
			}
			if len(resp.Brokers) != 3 || resp.Topics[0].ErrorCode != 0 || len(resp.Topics[0].Partitions) != 6 {
				return fmt.Errorf("metadata from %s: %d brokers, topic error %d, %d partitions", addr, len(resp.Brokers), resp.Topics[0].ErrorCode, len(resp.Topics[0].Partitions))
			}
			leaders := map[int32]bool{}
			for _, p := range resp.Topics[0].Partitions {
				leaders[p.Leader] = true
			}
			if len(leaders) != 3 {
				return fmt.Errorf("leaders %v: not spread over the three brokers", leaders)
			}
			return nil
		})
		cl.Close()
	}

	// Produce through the cluster, consume with a group.
	const n = 10000
	prod, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic("spread"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var perr error
	var mu sync.Mutex
	for i := 0; i < n; i++ {
		wg.Add(1)
		prod.Produce(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("%05d", i))}, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				perr = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	prod.Close()
	if perr != nil {
		t.Fatal(perr)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(addrs[2]), kgo.ConsumerGroup("spread-group"), kgo.ConsumeTopics("spread"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var got []string
	for len(got) < n && ctx.Err() == nil {
		fs := cons.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	sort.Strings(got)
	if len(got) != n || got[0] != "00000" || got[n-1] != fmt.Sprintf("%05d", n-1) {
		t.Fatalf("consumed %d records", len(got))
	}
	if err := cons.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit through the group manager: %v", err)
	}
	meta := brokertest.Kcat(t, "", "-b", addrs[0], "-L")
	if !strings.Contains(meta, "3 brokers:") || !strings.Contains(meta, `topic "spread" with 6 partitions:`) {
		t.Fatalf("kcat -L:\n%s", meta)
	}
}
