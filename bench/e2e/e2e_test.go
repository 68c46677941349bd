package e2e

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestRunSmall runs the end-to-end measurement at a small scale against
// the real Elasticsearch node: every timed line is found, with a latency.
func TestRunSmall(t *testing.T) {
	root, err := testpeer.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Rate: 500, Duration: 2 * time.Second, Samples: 100, Sluice: testpeer.SluiceBinary(t),
		Elasticsearch: filepath.Join(root, "deploy/elasticsearch/run.sh"), ESJavaOpts: "-Xms512m -Xmx512m",
		Pipelines: filepath.Join(root, "examples/pipelines"), Dir: t.TempDir(), Progress: io.Discard}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	testpeer.Used(t, "elasticsearch", r.ESVersion+" run by the end-to-end bench")
	if r.Samples != 100 || len(r.Latencies) != r.Samples || r.Quantile(0.99) <= 0 || r.UpRSS <= 0 {
		t.Fatalf("%d of %d samples seen, p99 %v, RSS %d", len(r.Latencies), r.Samples, r.Quantile(0.99), r.UpRSS)
	}
}
