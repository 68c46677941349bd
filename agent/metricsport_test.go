package agent_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestMetricsPortTaken: an agent whose metrics port is held by another
// process (as by the agent it replaces right after a kill -9) ships all
// the same, and serves its metrics once the port is free.
func TestMetricsPortTaken(t *testing.T) {
	bin := testpeer.SluiceBinary(t)
	addr := startBrokerProcesses(t, bin, "port")
	holder, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	metricsAddr := holder.Addr().String()

	logs, reg := t.TempDir(), t.TempDir()
	c := consumeLight(t, addr, "port")
	a := startAgentProcessMetrics(t, bin, agentYAML(logs, reg, addr, "port", ""), reg, metricsAddr)
	line := func(i int) string { return fmt.Sprintf("line-%06d\n", i) }
	f, err := os.Create(filepath.Join(logs, "a.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const n = 100
	for i := range n {
		if _, err := f.WriteString(line(i)); err != nil {
			t.Fatal(err)
		}
	}
	await.Progress(t, deliveryStall, deliveryCap, 20*time.Millisecond, func() (int64, error) {
		if exited, err := a.p.Exited(); exited {
			t.Fatalf("the agent exited (%v) with its metrics port taken", err)
		}
		if got := c.distinct(); got < n {
			return int64(got), fmt.Errorf("%d of %d lines arrived", got, n)
		}
		return n, nil
	})

	// Free the port: the agent's retries bind it, within its backoff's
	// 10s cap plus the time a busy machine takes to answer.
	holder.Close()
	await.Eventually(t, time.Minute, 50*time.Millisecond, func() error {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if !strings.Contains(string(body), "sluice_agent_") {
			return fmt.Errorf("no sluice_agent_ metrics in %.200s", body)
		}
		return nil
	})
	if exited, err := a.p.Exited(); exited {
		t.Fatalf("the agent exited: %v", err)
	}
}
