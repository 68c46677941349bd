package testpeer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/proc"
)

// OpenSearchVersion is the OpenSearch release that deploy/opensearch runs
// (an embedded node built from Maven Central with the ingest modules): the
// reference ingest node of the pipelines' conformance suite. 2.19 is the
// last line that runs on Java 17.
const OpenSearchVersion = "2.19.6"

// openSearchStartTimeout bounds a node's start: 11-30 s here, much longer on
// a loaded two-core machine with a cold JVM.
const openSearchStartTimeout = 120 * time.Second

// OpenSearchSpec says how to run an OpenSearch node.
type OpenSearchSpec struct {
	Script   string        // deploy/opensearch/run.sh; empty: this repository's
	JavaOpts string        // OPENSEARCH_JAVA_OPTS; empty: run.sh's default
	Dir      string        // its data (Dir/os-data) and log (Dir/opensearch.log)
	Limit    time.Duration // how long it may take to answer GET /
}

// OpenSearch is a running single-node OpenSearch cluster on loopback, with
// plain HTTP, no security, and the ingest processors of ingest-common and
// ingest-user-agent, Painless and Mustache.
type OpenSearch struct {
	URL     string // http://127.0.0.1:PORT
	Version string // version.number as the node reports it
	DataDir string
	Proc    *proc.Process // the JVM (run.sh execs java)
}

// RunOpenSearch starts an OpenSearch node (deploy/opensearch/run.sh,
// provisioned by `make peers`: it is never built here) on a free port and
// waits until it answers GET /.
func RunOpenSearch(ctx context.Context, spec OpenSearchSpec) (*OpenSearch, error) {
	if spec.Script == "" {
		root, err := RepoRoot()
		if err != nil {
			return nil, err
		}
		spec.Script = filepath.Join(root, "deploy", "opensearch", "run.sh")
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	o := &OpenSearch{URL: "http://127.0.0.1:" + strconv.Itoa(port), DataDir: filepath.Join(spec.Dir, "os-data")}
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command("bash", spec.Script, "--port", strconv.Itoa(port), "--data", o.DataDir)
	cmd.Env = append(os.Environ(), "SLUICE_OS_NO_BUILD=1")
	if spec.JavaOpts != "" {
		cmd.Env = append(cmd.Env, "OPENSEARCH_JAVA_OPTS="+spec.JavaOpts)
	}
	p, err := proc.Start("opensearch", cmd, filepath.Join(spec.Dir, "opensearch.log"))
	if err != nil {
		return nil, err
	}
	p.Grace = 30 * time.Second
	o.Proc = p
	wctx, cancel := context.WithTimeout(ctx, spec.Limit)
	defer cancel()
	err = proc.WaitReady(wctx, 250*time.Millisecond, func(ctx context.Context) error {
		var info struct {
			Version struct{ Number string } `json:"version"`
		}
		if err := o.Do(ctx, http.MethodGet, "/", nil, &info); err != nil {
			return err
		}
		if info.Version.Number == "" {
			return errors.New("GET /: no version.number in the answer")
		}
		o.Version = info.Version.Number
		return nil
	}, p)
	if err != nil {
		p.Stop()
		return nil, fmt.Errorf("opensearch at %s: %w\n%s", o.URL, err, p.Tail(20))
	}
	return o, nil
}

// Stop stops the node (SIGTERM, then SIGKILL after 30 s).
func (o *OpenSearch) Stop() { o.Proc.Stop() }

// StartOpenSearch runs an OpenSearch node for a test (RunOpenSearch) and
// stops it when the test ends. The peer must have been built by
// deploy/opensearch/build.sh (`make peers`): the test fails if it is
// missing.
func StartOpenSearch(tb testing.TB) *OpenSearch {
	tb.Helper()
	const peer = "opensearch"
	requireJavaPeer(tb, peer, "sluice-os-peer.jar", "deploy/opensearch/build.sh")
	o := startFor(tb, openSearchStartTimeout, func(ctx context.Context) (*OpenSearch, error) {
		return RunOpenSearch(ctx, OpenSearchSpec{Dir: tb.TempDir(), Limit: openSearchStartTimeout})
	}, func(o *OpenSearch) string { return o.Proc.Tail(40) })
	Used(tb, peer, o.Version+" at "+o.URL)
	return o
}

// Do sends a request with a JSON body (nil: none) and decodes a 2xx
// answer's JSON into v (nil: ignored).
func (o *OpenSearch) Do(ctx context.Context, method, path string, body []byte, v any) error {
	return doJSON(ctx, o.URL, method, path, body, v)
}
