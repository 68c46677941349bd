package clustertest_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestKillBrokerDuringProduce: kill -9 the broker process under an acks=all
// produce load; after a restart every acknowledged record is there at the
// offset it was acknowledged with, offsets run without gaps or reuse, and
// new records continue after them.
func TestKillBrokerDuringProduce(t *testing.T) {
	bin := testpeer.SluiceBinary(t)
	zkAddr := testcluster.Coordinator(t)
	dir := t.TempDir()
	port := testpeer.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfg := broker.Defaults()
	cfg.BrokerID = 1
	cfg.SetListener("127.0.0.1", port)
	cfg.LogDirs = []string{filepath.Join(dir, "logs")}
	if err := cfg.SetZooKeeperConnect(zkAddr); err != nil {
		t.Fatal(err)
	}
	cfg.ZooKeeperTimeout, cfg.SegmentBytes, cfg.NumPartitions = 3*time.Second, 262144, 2
	path, err := testpeer.WriteBrokerConfig(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := func() *testpeer.Process {
		return testpeer.Start(t, "broker", exec.Command(bin, "broker", "--config", path), 60*time.Second, testpeer.DialReady(addr))
	}
	proc := start()
	testcluster.CreateTopic(t, addr, "crash", 2)

	type ack struct {
		partition int32
		offset    int64
	}
	var mu sync.Mutex
	acked := map[string]ack{}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("crash"),
		kgo.RecordRetries(3), kgo.RecordDeliveryTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the load: until cancelled, bounded in flight by kgo
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			v := fmt.Sprintf("v%07d", i)
			cl.Produce(ctx, &kgo.Record{Value: []byte(v)}, func(r *kgo.Record, err error) {
				if err == nil {
					mu.Lock()
					acked[v] = ack{r.Partition, r.Offset}
					mu.Unlock()
				}
			})
		}
	}()
	// Kill once a good number of records is acknowledged.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 20000 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	proc.Kill()
	cancel()
	wg.Wait()
	cl.Close()
	mu.Lock()
	total := len(acked)
	mu.Unlock()
	if total == 0 {
		t.Fatal("nothing was acknowledged before the kill")
	}

	start()
	got := map[string]ack{}
	byOffset := map[ack]string{}
	end := brokertest.ReadAll(t, addr, "crash", func(r *kgo.Record) {
		a := ack{r.Partition, r.Offset}
		if prev, dup := byOffset[a]; dup {
			t.Fatalf("offset %v holds %s and %s", a, prev, r.Value)
		}
		byOffset[a] = string(r.Value)
		got[string(r.Value)] = a
	})
	// kgo may run a promise after Close returned: read acked under mu.
	mu.Lock()
	defer mu.Unlock()
	for v, a := range acked {
		if g, ok := got[v]; !ok || g != a {
			t.Fatalf("acknowledged %s at %v, after restart: %v (present %v)", v, a, g, ok)
		}
	}
	for p, n := range end {
		for o := int64(0); o < n; o++ {
			if _, ok := byOffset[ack{p, o}]; !ok {
				t.Fatalf("partition %d: offset %d missing below the end %d", p, o, n)
			}
		}
	}
	// Appends continue right after the recovered end.
	cl2, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("crash"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	res := cl2.ProduceSync(context.Background(), &kgo.Record{Value: []byte("after"), Partition: 0})
	if err := res.FirstErr(); err != nil {
		t.Fatal(err)
	}
	if r := res[0].Record; r.Offset != end[r.Partition] {
		t.Fatalf("first offset after restart %d, want %d", r.Offset, end[r.Partition])
	}
	t.Logf("%d acknowledged before kill -9, %d records recovered", total, len(got))
}
