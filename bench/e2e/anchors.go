package e2e

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// Anchors says how to run the stack sluice replaces, as far as it runs
// here: Apache Kafka (KRaft) and Apache ZooKeeper, each a JVM.
type Anchors struct {
	Kafka, KafkaHeap string // deploy/kafka/run.sh and its KAFKA_HEAP_OPTS
	ZooKeeper        string // deploy/zookeeper/run.sh
}

// AnchorsRSS runs Kafka and ZooKeeper, produces the run's lines to Kafka at
// the same rate for the same time, and returns the peak resident memory of
// the two JVMs together.
func AnchorsRSS(ctx context.Context, cfg Config, a Anchors, dir string) (int64, error) {
	zk, err := testpeer.StartEnsemble(ctx, testpeer.EnsembleSpec{Kind: testpeer.KindZooKeeper, Members: 1, Dir: dir, ZooKeeper: a.ZooKeeper, StartLimit: startLimit})
	if err != nil {
		return 0, fmt.Errorf("zookeeper: %w", err)
	}
	defer zk.Stop()
	k, err := testpeer.StartBrokers(ctx, testpeer.BrokersSpec{Kind: testpeer.KindKafka, Dir: dir, Kafka: a.Kafka, KafkaHeap: a.KafkaHeap, StartLimit: startLimit})
	if err != nil {
		return 0, err
	}
	defer k.Stop()
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Addr), kgo.DefaultProduceTopic("logs-app"))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	if err := kadmin.CreateTopic(ctx, cl, "logs-app", 3); err != nil {
		return 0, err
	}

	peak := int64(0)
	sample := func() {
		kr, err1 := k.ServerRSS()
		zr, err2 := zk.RSS()
		if err1 == nil && err2 == nil && kr+zr[0] > peak {
			peak = kr + zr[0]
		}
	}
	total := int(float64(cfg.Rate) * cfg.Duration.Seconds())
	var wg sync.WaitGroup
	var failed error
	var mu sync.Mutex
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	lastSample := time.Time{}
	for i := 0; i < total; {
		<-tick.C
		due := min(total, int(time.Since(start).Seconds()*float64(cfg.Rate)))
		for ; i < due; i++ {
			wg.Add(1)
			cl.Produce(ctx, &kgo.Record{Value: []byte(line(i, false))}, func(_ *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			})
		}
		if time.Since(lastSample) > 250*time.Millisecond {
			sample()
			lastSample = time.Now()
		}
	}
	wg.Wait()
	sample()
	if failed != nil {
		return 0, fmt.Errorf("producing to Kafka: %w", failed)
	}
	return peak, nil
}
