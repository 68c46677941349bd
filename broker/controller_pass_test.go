package broker

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/testkit/promtest"
)

// TestControllerPassReadsTopicsOnce: one controller pass (with the
// imbalance check, the pass that used to read every topic three times)
// reads each topic from the coordinator once, plus the few nodes it
// always reads (the brokers, the admin nodes), and reads again only the
// topic it wrote. Counted by the coordinator's request counters, with
// the broker made but not run, so its pass is the only client.
func TestControllerPassReadsTopicsOnce(t *testing.T) {
	srv := startTestCoordinator(t)
	stats := promtest.Of(srv.Collectors()...)
	reads := func() float64 {
		n := 0.0
		for _, op := range []string{"getData", "getChildren", "getChildren2", "exists"} {
			n += promtest.Value(t, stats, "sluice_coordinator_requests_total", "op", op)
		}
		return n
	}
	cfg := Defaults()
	cfg.BrokerID = 1
	cfg.SetListener("127.0.0.1", 0)
	cfg.LogDirs = []string{filepath.Join(t.TempDir(), "logs")}
	if err := cfg.SetZooKeeperConnect(srv.Addr()); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := New(&cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.closeListeners(); b.closePartitions(); b.meta.close() })

	// 50 partitions led by broker 1 alone, as __consumer_offsets on one
	// broker; nothing for the controller to do.
	create := func(name string, n int, replicas []int32) {
		tp := &topic{name: name, id: newTopicID()}
		for range n {
			tp.replicas = append(tp.replicas, replicas)
			tp.states = append(tp.states, partitionState{Leader: 1, Version: 1, ISR: replicas})
		}
		if err := b.meta.createTopic(tp); err != nil {
			t.Fatal(err)
		}
	}
	create("many", 50, []int32{1})
	_, epoch, epochVersion, err := b.meta.claimController(1)
	if err != nil || epoch < 1 {
		t.Fatalf("claim controller: epoch %d, %v", epoch, err)
	}
	pass := func() float64 {
		t.Helper()
		before := reads()
		if err := b.electLeaders(epoch, epochVersion, true); err != nil {
			t.Fatal(err)
		}
		return reads() - before
	}
	snapshot := func() float64 {
		before := reads()
		if _, err := b.meta.topics(); err != nil {
			t.Fatal(err)
		}
		return reads() - before
	}
	// Every pass reads the brokers (2 here), the deletion markers, the
	// preferred replica election and the reassignment nodes: 5.
	const always = 5
	all := snapshot()
	if got := pass(); got != all+always {
		t.Fatalf("a pass with nothing to write read %v nodes, want %v (every topic once: %v, and %v more)", got, all+always, all, always)
	}

	// A partition with a dead broker in its ISR: the pass writes its
	// state, and reads that topic (assignment, state, config) again.
	create("small", 1, []int32{1, 2})
	all = snapshot()
	if got := pass(); got != all+always+3 {
		t.Fatalf("a pass writing one topic read %v nodes, want %v (every topic once: %v, %v more, and the topic written: 3)", got, all+always+3, all, always)
	}
	if st, _, err := b.meta.partitionState("small", 0); err != nil || !slices.Equal(st.ISR, []int32{1}) {
		t.Fatalf("small-0 after the pass: %+v, %v; want broker 2 out of the ISR", st, err)
	}
}

// startTestCoordinator runs a standalone coordinator on a loopback port
// until the test ends.
func startTestCoordinator(t *testing.T) *coordinator.Server {
	t.Helper()
	cfg := coordinator.Defaults()
	cfg.TickTime, cfg.DataDir, cfg.ClientAddr = 500*time.Millisecond, t.TempDir(), "127.0.0.1:0"
	cfg.MinSessionTimeout, cfg.MaxSessionTimeout = time.Second, 10*time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := coordinator.NewServer(&cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }() // owned by the test: cancelled and waited for at cleanup
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("coordinator: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("coordinator did not stop within 30s")
		}
	})
	return srv
}
