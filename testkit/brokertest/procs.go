package brokertest

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
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// BrokerProc is a broker running as a process of the sluice binary, so a
// test can kill -9 it.
type BrokerProc struct {
	ID        int
	Addr, Dir string            // its listener; its data (server.properties, logs)
	Proc      *testpeer.Process // nil while down
	bin       string
	runs      int
}

// StartBrokerProcs writes server.properties for brokers 1..n against the
// coordinators at zkConnect (Kafka's defaults, then what set changes),
// starts them and waits until the first one lists them all.
func StartBrokerProcs(t testing.TB, zkConnect string, n int, set func(*broker.Config)) []*BrokerProc {
	t.Helper()
	return StartBrokerProcsReady(t, zkConnect, n, set, func(ctx context.Context, addr string, n int) error {
		return kadmin.ReadyBrokers(ctx, addr, n)
	})
}

// StartBrokerProcsReady is StartBrokerProcs for brokers that a plaintext
// client cannot ask (SASL, TLS): ready(ctx, addr, n) says whether the
// broker at addr lists n brokers.
func StartBrokerProcsReady(t testing.TB, zkConnect string, n int, set func(*broker.Config), ready func(ctx context.Context, addr string, n int) error) []*BrokerProc {
	t.Helper()
	bin := testpeer.SluiceBinary(t)
	var out []*BrokerProc
	for id := 1; id <= n; id++ {
		port := testpeer.FreePort(t)
		b := &BrokerProc{ID: id, Dir: t.TempDir(), bin: bin, Addr: "127.0.0.1:" + strconv.Itoa(port)}
		cfg := broker.Defaults()
		cfg.BrokerID = int32(id)
		cfg.SetListener("127.0.0.1", port)
		cfg.LogDirs = []string{filepath.Join(b.Dir, "logs")}
		if err := cfg.SetZooKeeperConnect(zkConnect); err != nil {
			t.Fatal(err)
		}
		set(&cfg)
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		if _, err := testpeer.WriteBrokerConfig(b.Dir, cfg); err != nil {
			t.Fatal(err)
		}
		b.Start(t)
		out = append(out, b)
	}
	// Each broker registered before it listened, but the first one learns
	// of the others through a watch: until it has, it would refuse a topic
	// with n replicas (INVALID_REPLICATION_FACTOR), as Kafka does.
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		return ready(context.Background(), out[0].Addr, n)
	})
	return out
}

// Start starts b's process (again) and waits until it listens.
func (b *BrokerProc) Start(t testing.TB) {
	t.Helper()
	b.runs++
	cmd := exec.Command(b.bin, "broker", "--config", filepath.Join(b.Dir, "server.properties"))
	b.Proc = testpeer.Start(t, fmt.Sprintf("broker%d-run%d", b.ID, b.runs), cmd, 60*time.Second, testpeer.DialReady(b.Addr))
}

// Kill kills b's process (SIGKILL).
func (b *BrokerProc) Kill() {
	b.Proc.Kill()
	b.Proc = nil
}

// NumberedLoad produces numbered records with an idempotent acks=all
// producer and remembers which were acknowledged.
type NumberedLoad struct {
	cl      *kgo.Client
	wg      sync.WaitGroup
	stopped chan struct{} // closed by Stop: no more records
	mu      sync.Mutex
	// The records acknowledged and those that failed, with their error;
	// read them once Finish returned.
	Acked map[string]bool
	Fails map[string]error
}

// StartLoad produces records prefix0000000, prefix0000001, … until n
// (n < 0: until stop).
func StartLoad(t testing.TB, addrs []string, topic, prefix string, n int) *NumberedLoad {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(topic),
		kgo.RetryTimeout(2*time.Minute), kgo.RecordDeliveryTimeout(3*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	l := &NumberedLoad{cl: cl, stopped: make(chan struct{}), Acked: map[string]bool{}, Fails: map[string]error{}}
	l.wg.Add(1)
	go func() { // owned by the test through l.wg
		defer l.wg.Done()
		for i := 0; n < 0 || i < n; i++ {
			if i%1000 == 999 {
				select { // about 10,000 records/s: the kills land mid-run
				case <-l.stopped:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
			v := fmt.Sprintf("%s%07d", prefix, i)
			l.wg.Add(1)
			cl.Produce(context.Background(), &kgo.Record{Value: []byte(v)}, func(_ *kgo.Record, err error) {
				defer l.wg.Done()
				l.mu.Lock()
				defer l.mu.Unlock()
				if err != nil {
					l.Fails[v] = err
				} else {
					l.Acked[v] = true
				}
			})
		}
	}()
	return l
}

// AckedCount is how many records were acknowledged so far.
func (l *NumberedLoad) AckedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.Acked)
}

// stop ends the load: no record is produced after the current thousand.
func (l *NumberedLoad) Stop() { close(l.stopped) }

// finish waits for every record's outcome (bounded) and closes the producer.
func (l *NumberedLoad) Finish(t testing.TB) {
	t.Helper()
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(4 * time.Minute):
		t.Fatalf("producer still waiting after 4 minutes: %d acknowledged", l.AckedCount())
	}
	l.cl.Close()
}

// FirstErr is one of the errors in m, nil when it has none.
func FirstErr(m map[string]error) error {
	for _, err := range m {
		return err
	}
	return nil
}
