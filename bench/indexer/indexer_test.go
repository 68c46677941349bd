package indexer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestBothPhasesIndexEveryEvent runs both phases with a tiny N against an
// Elasticsearch node and a sluice broker started as processes, and checks
// that each indexed exactly N documents and that the table shows both;
// nothing about how fast.
func TestBothPhasesIndexEveryEvent(t *testing.T) {
	root, err := testpeer.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".peers", "elasticsearch", "lib", "sluice-es-peer.jar")); err != nil {
		testpeer.Missing(t, "elasticsearch", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const n = 500
	r, err := Run(ctx, Config{
		Events: n, Warmup: 50, Sluice: testpeer.SluiceBinary(t),
		Elasticsearch: filepath.Join(root, "deploy", "elasticsearch", "run.sh"), ESJavaOpts: "-Xms512m -Xmx512m",
		Pipeline: filepath.Join(root, "examples", "pipelines", "nginx.yml"), Dir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	phases := map[string]Phase{"ceiling": r.Ceiling, "indexer": r.Indexer}
	if r.CeilingSkipped {
		// Built without -tags esceiling (as `make test` builds): the
		// ceiling is esutil's, checked by every `make bench` run, which
		// fails unless it indexed exactly its events.
		t.Log("phase A skipped: ", ErrNoCeiling)
		delete(phases, "ceiling")
	}
	for name, p := range phases {
		if p.Events != n || p.Count != n || p.Elapsed <= 0 {
			t.Errorf("%s: %d events, %d documents in %v; want %d and %d", name, p.Events, p.Count, p.Elapsed, n, n)
		}
	}
	var out bytes.Buffer
	if err := WriteTable(&out, r); err != nil {
		t.Fatal(err)
	}
	t.Logf("table:\n%s", out.String())
	for _, want := range []string{"ceiling (raw BulkIndexer)", "sluice indexer", "indexer/ceiling"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}
}
