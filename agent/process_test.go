package agent_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// The tests at the full sizes run the agent, and the coordinator
// and broker it ships to, as processes of the sluice binary, which is
// built without -race: the race detector then slows only the test's own
// consumer, not the hot path under test.

// startBrokerProcesses starts a sluice coordinator and broker as processes
// on loopback ports, creates topics with 3 partitions and returns the
// broker's address. Everything is stopped when the test ends.
func startBrokerProcesses(t *testing.T, bin string, topics ...string) string {
	t.Helper()
	return startBrokerCluster(t, bin, topics...).Addr
}

// startBrokerCluster is startBrokerProcesses returning the processes (a
// test pauses the broker with SIGSTOP through them).
func startBrokerCluster(t *testing.T, bin string, topics ...string) *testpeer.Brokers {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := testpeer.StartBrokers(ctx, testpeer.BrokersSpec{Kind: testpeer.KindSluice, Dir: t.TempDir(), Sluice: bin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, topic := range topics {
		if err := kadmin.CreateTopic(ctx, cl, topic, 3); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// agentProcess is `sluice agent` run as a process on a config file.
type agentProcess struct {
	t       *testing.T
	bin     string
	cfgPath string
	reg     string
	metrics string // -metrics-addr
	p       *testpeer.Process
}

// startAgentProcess writes cfg (whose registry.path is reg) and starts
// `sluice agent` on it, with its metrics on a free port; it is stopped
// (SIGTERM, then SIGKILL) when the test ends.
func startAgentProcess(t *testing.T, bin, cfg, reg string) *agentProcess {
	t.Helper()
	return startAgentProcessMetrics(t, bin, cfg, reg, "127.0.0.1:0")
}

// startAgentProcessMetrics is startAgentProcess with its metrics on
// metricsAddr.
func startAgentProcessMetrics(t *testing.T, bin, cfg, reg, metricsAddr string) *agentProcess {
	t.Helper()
	a := &agentProcess{t: t, bin: bin, cfgPath: filepath.Join(t.TempDir(), "agent.yml"), reg: reg, metrics: metricsAddr}
	if err := os.WriteFile(a.cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	a.start()
	return a
}

// start runs the agent and waits until it has its id (written at start).
func (a *agentProcess) start() {
	a.t.Helper()
	cmd := exec.Command(a.bin, "agent", "-c", a.cfgPath, "-e", "-metrics-addr", a.metrics)
	a.p = testpeer.Start(a.t, "agent", cmd, 20*time.Second, func(context.Context) error {
		_, err := os.Stat(filepath.Join(a.reg, "meta.json"))
		return err
	})
}

// kill9 kills the agent with SIGKILL and starts it again.
func (a *agentProcess) kill9() {
	a.t.Helper()
	a.p.Kill()
	a.start()
}
