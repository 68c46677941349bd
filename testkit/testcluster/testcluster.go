// Package testcluster starts sluice's own components in-process for tests:
// a standalone coordinator and brokers on free loopback ports, each with
// its own data directory, stopped when the test ends. Programs run as
// processes (sluice's own or the Apache ones) are testkit/testpeer's.
package testcluster

import (
	"context"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/coordinator"
)

// Logger is the logger of the components a test starts: info and above to
// stderr with -v, nothing otherwise.
func Logger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Coordinator starts a standalone coordinator and returns its client address.
func Coordinator(tb testing.TB) string {
	tb.Helper()
	return StartCoordinator(tb, tb.TempDir(), 500*time.Millisecond).Addr()
}

// CoordinatorServer is a coordinator started for a test.
type CoordinatorServer struct {
	*coordinator.Server
	Stop func() // stops it and waits; also done when the test ends
}

// StartCoordinator starts a standalone coordinator on a free loopback port
// with tickTime tick, every four-letter word and its data in dir, after
// the options changed its configuration. Starting it again with the same
// dir after Stop restarts it from its data.
func StartCoordinator(tb testing.TB, dir string, tick time.Duration, options ...func(*coordinator.Config)) *CoordinatorServer {
	tb.Helper()
	cfg := coordinator.Defaults()
	cfg.TickTime, cfg.DataDir, cfg.ClientAddr = tick, dir, "127.0.0.1:0"
	cfg.MinSessionTimeout, cfg.MaxSessionTimeout = 2*tick, 20*tick
	cfg.FourLetterWords = coordinator.AllFourLetterWords()
	for _, o := range options {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	srv, err := coordinator.NewServer(&cfg, Logger())
	if err != nil {
		tb.Fatal(err)
	}
	return RunCoordinator(tb, srv)
}

// RunCoordinator runs srv (e.g. an ensemble member) until the test ends or
// Stop is called.
func RunCoordinator(tb testing.TB, srv *coordinator.Server) *CoordinatorServer {
	return &CoordinatorServer{Server: srv, Stop: Run(tb, "coordinator", 30*time.Second, srv.Run)}
}

// Broker is a broker started for a test.
type Broker struct {
	*broker.Broker
	Dir  string
	Stop func()
}

// StartBroker starts broker id against the coordinator (or ZooKeeper) at
// zkConnect, on a free loopback port, with its logs in dir (a new temp
// dir when ""), after the options changed its configuration.
func StartBroker(tb testing.TB, id int, zkConnect, dir string, options ...func(*broker.Config)) *Broker {
	tb.Helper()
	return StartBrokerLogging(tb, id, zkConnect, dir, Logger(), options...)
}

// StartBrokerLogging is StartBroker logging to log (a test that looks
// for the broker's log lines).
func StartBrokerLogging(tb testing.TB, id int, zkConnect, dir string, log *slog.Logger, options ...func(*broker.Config)) *Broker {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	cfg := broker.Defaults()
	cfg.BrokerID = int32(id)
	cfg.SetListener("127.0.0.1", 0)
	cfg.LogDirs = []string{filepath.Join(dir, "logs")}
	if err := cfg.SetZooKeeperConnect(zkConnect); err != nil {
		tb.Fatal(err)
	}
	cfg.ZooKeeperTimeout, cfg.ZooKeeperSessionTimeout = 10*time.Second, 10*time.Second
	// As Kafka's own test harness and config/server.properties: a single
	// broker's groups get a coordinator (Kafka creates __consumer_offsets
	// only once offsets.topic.replication.factor brokers are live).
	cfg.OffsetsReplication = 1
	for _, o := range options {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	b, err := broker.New(&cfg, log)
	if err != nil {
		tb.Fatal(err)
	}
	return &Broker{Broker: b, Dir: dir, Stop: Run(tb, "broker", 30*time.Second, b.Run)}
}

// Run runs f (a component's Run) in a goroutine until the test ends or
// the returned stop is called. stop cancels f's context and waits for f
// to return, at most within; it fails the test (Errorf, so it may run in
// a cleanup) if f returns an error or does not return in time. Only its
// first call does anything: a test may stop early and the cleanup stop
// again. name says what stopped in the failures.
func Run(tb testing.TB, name string, within time.Duration, f func(context.Context) error) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					tb.Errorf("%s stopped with: %v", name, err)
				}
			case <-time.After(within):
				tb.Errorf("%s did not stop within %v", name, within)
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}

// CreateTopic creates a topic with one replica through the Kafka protocol
// at addr and fails the test if the broker refuses it.
func CreateTopic(tb testing.TB, addr, name string, partitions int32) {
	tb.Helper()
	CreateReplicatedTopic(tb, addr, name, partitions, 1, nil)
}

// CreateReplicatedTopic creates a topic with rf replicas and the given
// topic configs, failing the test if the broker refuses it.
func CreateReplicatedTopic(tb testing.TB, addr, name string, partitions int32, rf int16, configs map[string]string) {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, partitions, rf
	for k, v := range configs {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = k, kmsg.StringPtr(v)
		rt.Configs = append(rt.Configs, c)
	}
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10000
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		tb.Fatal(err)
	}
	if code := resp.Topics[0].ErrorCode; code != 0 {
		tb.Fatalf("create topic %s: error %d", name, code)
	}
}
