package indexer_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// Helpers of the end-to-end tests against any search node
// (indexer_test.go's Elasticsearch scenarios, outputs_test.go's).

// writeIndexerConfig writes an indexer.yml for one route from topic into
// the node at url and returns its path; route holds the route's lines
// after topics (index: or data_stream:, pipeline:; "" skipped). Its
// pipeline_timeout is a minute, not the default second: the race
// detector makes the nginx pipeline about 20 times slower, and on a
// machine loaded far past its cores an ordinary event can go over a
// second of wall time and to the dead-letter topic (the likely cause of
// TestTwoIndexersShareGroup stopping at 99,999 of 100,000 under two busy
// loops, other jobs and a load of 33). The budget itself is
// TestOverBudgetGoesToDeadLetter's.
func writeIndexerConfig(t *testing.T, broker, url, group, topic string, route ...string) string {
	t.Helper()
	text := fmt.Sprintf(`kafka: {hosts: [%q], group: %s, session_timeout: 6s}
elasticsearch: {hosts: [%q], replicas: 0}
dead_letter_topic: sluice-dlq
max_poll_records: 2000
max_backoff: 1s
pipeline_timeout: 1m
routes:
  - topics: [%s]
`, broker, group, url, topic)
	for _, line := range route {
		if line != "" {
			text += "    " + line + "\n"
		}
	}
	path := filepath.Join(t.TempDir(), "indexer.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// nginxPipeline is the route line of the nginx example pipeline, or ""
// when not nginx.
func nginxPipeline(root string, nginx bool) string {
	if !nginx {
		return ""
	}
	return "pipeline: " + filepath.Join(root, "examples", "pipelines", "nginx.yml")
}

// startIndexerProcess runs `sluice indexer -c path` (the binary built
// without -race) with metrics on a free port, and returns it and its
// metrics URL.
func startIndexerProcess(t *testing.T, path string) (*testpeer.Process, string) {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(testpeer.FreePort(t))
	cmd := exec.Command(testpeer.SluiceBinary(t), "indexer", "-c", path, "-metrics", addr)
	p := testpeer.Start(t, "sluice-indexer", cmd, 30*time.Second, testpeer.DialReady(addr))
	return p, "http://" + addr + "/metrics"
}

// waitForCount waits until count() of index is want, failing if it is
// ever more, or if it did not grow for stall.
func waitForCount(t *testing.T, count func() int, index string, want int, stall time.Duration) {
	t.Helper()
	// Bounded by progress: the count must grow at least every stall (and
	// get there within ten of them), however busy the machine is.
	await.Progress(t, stall, 10*stall, 250*time.Millisecond, func() (int64, error) {
		c := count()
		if c > want {
			t.Fatalf("%s: %d documents, more than the %d written", index, c, want)
		}
		if c != want {
			return int64(c), fmt.Errorf("%s: %d documents, want %d", index, c, want)
		}
		return int64(c), nil
	})
}

// waitForCommitted waits until group committed want offsets in all.
func waitForCommitted(t *testing.T, broker, group string, want int, within time.Duration) {
	t.Helper()
	await.Eventually(t, within, 100*time.Millisecond, func() error {
		if c := committed(t, broker, group); c != int64(want) {
			return fmt.Errorf("group %s committed %d offsets in all, want %d", group, c, want)
		}
		return nil
	})
}
