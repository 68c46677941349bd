package testpeer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/sluicelogs/sluice/testkit/proc"
)

// ElasticsearchVersion is the Elasticsearch release that
// deploy/elasticsearch runs by default (an embedded node built from Maven
// Central): the 7.17 line. ElasticsearchReleases lists every line.
const ElasticsearchVersion = "7.17.29"

// elasticsearchStartTimeout bounds a node's start: a few seconds warm, but
// much longer on a loaded two-core machine with a cold JVM.
const elasticsearchStartTimeout = 120 * time.Second

// ElasticsearchSpec says how to run an Elasticsearch node.
type ElasticsearchSpec struct {
	Line     string        // release line: 7.17, 8.17 or 9.0; empty: 7.17
	Script   string        // deploy/elasticsearch/run.sh; empty: this repository's
	JavaOpts string        // ES_JAVA_OPTS; empty: run.sh's default
	Dir      string        // its data (Dir/es-data) and log (Dir/elasticsearch.log)
	Limit    time.Duration // how long it may take to answer GET /
}

// Elasticsearch is a running single-node Elasticsearch cluster on loopback,
// with plain HTTP and no security.
type Elasticsearch struct {
	URL     string // http://127.0.0.1:PORT
	Version string // version.number as the node reports it
	DataDir string
	Proc    *proc.Process // the JVM (run.sh execs java); Restart replaces it

	spec ElasticsearchSpec
	port int
}

// RunElasticsearch starts an Elasticsearch node (deploy/elasticsearch/run.sh,
// provisioned by `make peers`: it is never built here) on a free port and
// waits until it answers GET /. Tests call StartElasticsearch, which wraps
// it; benchmarks call it directly.
func RunElasticsearch(ctx context.Context, spec ElasticsearchSpec) (*Elasticsearch, error) {
	if spec.Script == "" {
		root, err := RepoRoot()
		if err != nil {
			return nil, err
		}
		spec.Script = filepath.Join(root, "deploy", "elasticsearch", "run.sh")
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	e := &Elasticsearch{
		URL:     "http://127.0.0.1:" + strconv.Itoa(port),
		DataDir: filepath.Join(spec.Dir, "es-data"),
		spec:    spec,
		port:    port,
	}
	if err := os.MkdirAll(e.DataDir, 0o755); err != nil {
		return nil, err
	}
	return e, e.Restart(ctx)
}

// Restart runs the node (again, once stopped) on its port and data
// directory and waits until it answers GET /.
func (e *Elasticsearch) Restart(ctx context.Context) error {
	line := e.spec.Line
	if line == "" {
		line = ElasticsearchReleases()[0].Line
	}
	cmd := exec.Command("bash", e.spec.Script, line, "--port", strconv.Itoa(e.port), "--data", e.DataDir)
	cmd.Env = append(os.Environ(), "SLUICE_ES_NO_BUILD=1")
	if e.spec.JavaOpts != "" {
		cmd.Env = append(cmd.Env, "ES_JAVA_OPTS="+e.spec.JavaOpts)
	}
	p, err := proc.Start("elasticsearch", cmd, filepath.Join(e.spec.Dir, "elasticsearch.log"))
	if err != nil {
		return err
	}
	p.Grace = 30 * time.Second
	e.Proc = p
	wctx, cancel := context.WithTimeout(ctx, e.spec.Limit)
	defer cancel()
	err = proc.WaitReady(wctx, 250*time.Millisecond, func(ctx context.Context) error {
		var info struct {
			Version struct{ Number string } `json:"version"`
		}
		if err := e.Do(ctx, http.MethodGet, "/", nil, &info); err != nil {
			return err
		}
		if info.Version.Number == "" {
			return errors.New("GET /: no version.number in the answer")
		}
		e.Version = info.Version.Number
		return nil
	}, p)
	if err != nil {
		p.Stop()
		return fmt.Errorf("elasticsearch at %s: %w\n%s", e.URL, err, p.Tail(20))
	}
	return nil
}

// Stop stops the node (SIGTERM, then SIGKILL after 30 s).
func (e *Elasticsearch) Stop() { e.Proc.Stop() }

// StartElasticsearch runs an Elasticsearch 7.17 node for a test
// (RunElasticsearch) and stops it when the test ends. The peer must have
// been built by deploy/elasticsearch/build.sh (`make peers`): the test
// fails if it is missing.
func StartElasticsearch(tb testing.TB) *Elasticsearch {
	tb.Helper()
	return StartElasticsearchRelease(tb, ElasticsearchReleases()[0])
}

// StartElasticsearchRelease runs a node of release line r for a test, as
// StartElasticsearch does, and fails the test unless it reports r.Version.
func StartElasticsearchRelease(tb testing.TB, r ElasticsearchRelease) *Elasticsearch {
	tb.Helper()
	requireJavaPeer(tb, r.Peer, "sluice-es-peer.jar", r.build())
	es := startFor(tb, elasticsearchStartTimeout, func(ctx context.Context) (*Elasticsearch, error) {
		return RunElasticsearch(ctx, ElasticsearchSpec{Line: r.Line, Dir: tb.TempDir(), Limit: elasticsearchStartTimeout})
	}, func(e *Elasticsearch) string { return e.Proc.Tail(40) })
	if es.Version != r.Version {
		tb.Fatalf("testpeer: %s answers version %s, want %s (rebuild it with %s)", r.Peer, es.Version, r.Version, r.build())
	}
	Used(tb, r.Peer, es.Version+" at "+es.URL)
	return es
}

// Do sends a request with a JSON body (nil: none) and decodes a 2xx
// answer's JSON into v (nil: ignored).
func (e *Elasticsearch) Do(ctx context.Context, method, path string, body []byte, v any) error {
	return doJSON(ctx, e.URL, method, path, body, v)
}

// doJSON sends a request with a JSON body (nil: none) to base+path and
// decodes a 2xx answer's JSON into v (nil: ignored).
func doJSON(ctx context.Context, base, method, path string, body []byte, v any) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %.500s", method, path, res.Status, b)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(b, v)
}

// Client returns the go-elasticsearch v8 API (esapi) for the node over
// elastictransport, as the indexer talks to Elasticsearch. It is not
// elasticsearch.NewClient: that package links its 858 typed-API packages
// into every test binary that starts a peer, minutes of a first build.
//
// The v8 API works against the 7.17, 8.17 and 9.0 nodes unchanged:
// elastictransport never sends the "compatible-with" media types (only the
// root package's client does, when asked to), so requests are plain JSON,
// which every node takes as its own version's API. 7.x answers still carry
// "_type": "_doc", which the API ignores.
func (e *Elasticsearch) Client(tb testing.TB) *esapi.API {
	tb.Helper()
	u, err := url.Parse(e.URL)
	if err != nil {
		tb.Fatalf("testpeer: elasticsearch url: %v", err)
	}
	tp, err := elastictransport.New(elastictransport.Config{URLs: []*url.URL{u}})
	if err != nil {
		tb.Fatalf("testpeer: elasticsearch transport: %v", err)
	}
	return esapi.New(tp)
}

// requireJavaPeer fails the test, naming the peer, unless the embedded
// Java peer's jar (.peers/<peer>/lib/<jar>, built by build) and java are
// there.
func requireJavaPeer(tb testing.TB, peer, jar, build string) {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		Missing(tb, peer, err)
	}
	if _, err := os.Stat(filepath.Join(root, ".peers", peer, "lib", jar)); err != nil {
		Missing(tb, peer, fmt.Errorf("%w (build it with %s)", err, build))
	}
	if _, err := exec.LookPath("java"); err != nil {
		Missing(tb, peer, err)
	}
}
