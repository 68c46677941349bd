package agent_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelogs/sluice/agent"
	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// fixedBroker is a broker that can be stopped and started again on the
// same folder and the same address, so that the agent (which knows only
// its seed address) reconnects. testcluster.StartBroker always listens on
// port 0 and rejects a second listeners= line (properties given twice are
// an error), hence this helper.
type fixedBroker struct {
	t    *testing.T
	zk   string
	dir  string
	addr string
	stop func()
}

func startFixedBroker(t *testing.T, zk string) *fixedBroker {
	t.Helper()
	fb := &fixedBroker{t: t, zk: zk, dir: t.TempDir(), addr: fmt.Sprintf("127.0.0.1:%d", testpeer.FreePort(t))}
	fb.start()
	return fb
}

func (fb *fixedBroker) start() {
	t := fb.t
	t.Helper()
	cfg := broker.Defaults()
	cfg.BrokerID, cfg.NumPartitions = 1, 3
	host, port, err := net.SplitHostPort(fb.addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	cfg.SetListener(host, n)
	cfg.LogDirs = []string{filepath.Join(fb.dir, "logs")}
	cfg.ZooKeeperTimeout, cfg.ZooKeeperSessionTimeout = 10*time.Second, 10*time.Second
	if err := cfg.SetZooKeeperConnect(fb.zk); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var b *broker.Broker
	// The port was free a moment ago, or was the previous run's: retry
	// briefly while the old listener's socket goes away.
	await.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		b, err = broker.New(&cfg, testcluster.Logger())
		return err
	})
	fb.stop = testcluster.Run(t, "broker", 30*time.Second, b.Run)
}

// startAgentWithMetrics is startAgent with the agent's metrics registered
// in the returned registry.
func startAgentWithMetrics(t *testing.T, cfg *agent.Config) (*runningAgent, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	a, err := agent.New(cfg, "test", reg, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	return &runningAgent{stop: testcluster.Run(t, "agent", 30*time.Second, a.Run)}, reg
}

// metricValue returns the value of the counter or gauge name in reg.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	return promtest.Value(t, reg, name)
}

// TestBrokerOutage: the broker is stopped for 10 seconds while a file keeps
// growing. The agent stops reading once queue.mem.events events wait (its
// memory stays bounded) and, when the broker is back on the same folder
// and address, delivers every line; duplicates are only of batches that
// were not acknowledged, so at most a queue's worth.
func TestBrokerOutage(t *testing.T) {
	const queue = 2048
	outage := 10 * time.Second
	perTick := 50 // lines every 10ms: ~5,000 lines/s, 25 times the queue during the outage
	if raceEnabled {
		perTick = 25
	}
	zk := testcluster.Coordinator(t)
	b := startFixedBroker(t, zk)
	logs, regDir := t.TempDir(), t.TempDir()
	cfg := parseConfig(t, agentYAML(logs, regDir, b.addr, "outage", ""))
	if cfg.Queue.Mem.Events != queue {
		t.Fatalf("queue.mem.events is %d, want %d", cfg.Queue.Mem.Events, queue)
	}
	c := consume(t, b.addr, "outage")
	_, metrics := startAgentWithMetrics(t, cfg)

	// The writer appends lines until stop is closed.
	var written atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		werr = func() error {
			f, err := os.Create(filepath.Join(logs, "growing.log"))
			if err != nil {
				return err
			}
			defer f.Close()
			w := bufio.NewWriterSize(f, 64<<10)
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; {
				select {
				case <-stop:
					return w.Flush()
				case <-tick.C:
				}
				for range perTick {
					fmt.Fprintln(w, lineText("growing", i))
					i++
				}
				if err := w.Flush(); err != nil {
					return err
				}
				written.Store(int64(i))
			}
		}()
	}()
	stopWriter := func() int {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
		if werr != nil {
			t.Fatal(werr)
		}
		return int(written.Load())
	}
	t.Cleanup(func() { stopWriter() })

	await.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		if got := c.count(); got < 2000 {
			return fmt.Errorf("%d events delivered before the outage", got)
		}
		return nil
	})

	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	heapBefore := heap()
	b.stop()
	writtenAtStop := written.Load()
	t.Logf("broker stopped after %d lines written, %d delivered", writtenAtStop, c.count())

	// During the outage: the producer's buffer never holds more than the
	// queue (plus one record per harvester blocked in Produce), and the
	// harvester stops reading: lines read but not acknowledged stay
	// within the queue too, while the file grows far beyond.
	var maxQueued, maxUnacked float64
	deadline := time.Now().Add(outage)
	for time.Now().Before(deadline) {
		q := metricValue(t, metrics, "sluice_agent_queue_events")
		unacked := metricValue(t, metrics, "sluice_agent_lines_read_total") - metricValue(t, metrics, "sluice_agent_events_acked_total")
		maxQueued, maxUnacked = max(maxQueued, q), max(maxUnacked, unacked)
		time.Sleep(100 * time.Millisecond)
	}
	heapDuring := heap()
	grown := written.Load() - writtenAtStop
	t.Logf("outage: %d lines written, at most %.0f events queued, %.0f lines read and not acknowledged; heap in use %d → %d MiB",
		grown, maxQueued, maxUnacked, heapBefore>>20, heapDuring>>20)
	if grown < 4*queue {
		t.Fatalf("only %d lines written during the outage; the test needs more than the queue (%d)", grown, queue)
	}
	if maxQueued > queue+1 {
		t.Errorf("%.0f events queued during the outage, more than queue.mem.events %d (+1)", maxQueued, queue)
	}
	if maxUnacked > queue+1 {
		t.Errorf("%.0f lines read and not acknowledged during the outage: reading did not stop at queue.mem.events %d", maxUnacked, queue)
	}
	if heapDuring > heapBefore && heapDuring-heapBefore > 200<<20 {
		t.Errorf("heap in use grew by %d MiB during the outage", (heapDuring-heapBefore)>>20)
	}

	b.start()
	// The agent works off the backlog of the outage (tens of thousands of
	// lines, in this -race process): waited for while it progresses.
	await.Progress(t, deliveryStall, deliveryCap, 20*time.Millisecond, func() (int64, error) {
		if got, want := c.count(), int(writtenAtStop)+queue; got < want {
			return int64(got), fmt.Errorf("%d events delivered after the broker came back, want %d", got, want)
		}
		return 0, nil
	})
	n := stopWriter()

	files := map[string]int{"growing": n}
	awaitDelivered(t, c, files)
	dups := tally(t, c, files)
	t.Logf("%d lines delivered after a %s outage; %d duplicates", n, outage, dups)
	if dups > queue {
		t.Fatalf("%d duplicates: more than one queue (%d) of unacknowledged events", dups, queue)
	}
}
