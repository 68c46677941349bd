package upbench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/broker/kbench"
	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/internal/proc"
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
	zkPort, err := proc.FreePort()
	if err != nil {
		return 0, err
	}
	zkAddr := "127.0.0.1:" + strconv.Itoa(zkPort)
	zkDir := filepath.Join(dir, "zookeeper")
	if err := os.MkdirAll(zkDir, 0o755); err != nil {
		return 0, err
	}
	zk, err := proc.Start("zookeeper", exec.Command("bash", a.ZooKeeper, "--port", strconv.Itoa(zkPort), "--data", zkDir), filepath.Join(dir, "zookeeper.log"))
	if err != nil {
		return 0, err
	}
	defer zk.Stop()
	wctx, cancel := context.WithTimeout(ctx, startLimit)
	err = proc.WaitReady(wctx, 250*time.Millisecond, func(ctx context.Context) error {
		out, err := coordinator.FourLetter(ctx, zkAddr, "ruok")
		if err == nil && out != "imok" {
			err = fmt.Errorf("ruok: %q", out)
		}
		return err
	}, zk)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("zookeeper: %w\n%s", err, zk.Tail(20))
	}
	k, err := kbench.Start(ctx, kbench.Spec{Kind: kbench.TargetKafka, Dir: dir, Kafka: a.Kafka, KafkaHeap: a.KafkaHeap, StartLimit: startLimit})
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
		zr, err2 := proc.RSS(zk.Pid())
		if err1 == nil && err2 == nil && kr+zr > peak {
			peak = kr + zr
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
