package testpeer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
)

// ElasticsearchVersion is the Elasticsearch release that
// deploy/elasticsearch runs (an embedded node built from Maven Central).
const ElasticsearchVersion = "7.17.29"

// elasticsearchStartTimeout bounds a node's start: a few seconds warm, but
// much longer on a loaded two-core machine with a cold JVM.
const elasticsearchStartTimeout = 120 * time.Second

// Elasticsearch is a running single-node Elasticsearch cluster on loopback,
// with plain HTTP and no security.
type Elasticsearch struct {
	URL     string // http://127.0.0.1:PORT
	Version string // version.number as the node reports it
	DataDir string
	Process *Process
}

// StartElasticsearch starts an Elasticsearch node (deploy/elasticsearch/run.sh)
// on a free port with its own data directory, waits until it answers
// GET / with 200, and stops it when the test ends. The peer must have been
// built by deploy/elasticsearch/build.sh (`make peers`); the test never
// builds it and fails if it is missing.
func StartElasticsearch(tb testing.TB) *Elasticsearch {
	tb.Helper()
	const peer = "elasticsearch"
	root, err := RepoRoot()
	if err != nil {
		Missing(tb, peer, err)
	}
	jar := filepath.Join(root, ".peers", "elasticsearch", "lib", "sluice-es-peer.jar")
	if _, err := os.Stat(jar); err != nil {
		Missing(tb, peer, fmt.Errorf("%w (build it with deploy/elasticsearch/build.sh)", err))
	}
	if _, err := exec.LookPath("java"); err != nil {
		Missing(tb, peer, err)
	}

	port := FreePort(tb)
	es := &Elasticsearch{
		URL:     "http://127.0.0.1:" + strconv.Itoa(port),
		DataDir: tb.TempDir(),
	}
	cmd := exec.Command("bash", filepath.Join(root, "deploy", "elasticsearch", "run.sh"),
		"--port", strconv.Itoa(port), "--data", es.DataDir)
	cmd.Env = append(os.Environ(), "SLUICE_ES_NO_BUILD=1")
	es.Process = Start(tb, peer, cmd, elasticsearchStartTimeout, func(ctx context.Context) error {
		v, err := elasticsearchVersion(ctx, es.URL)
		if err != nil {
			return err
		}
		es.Version = v
		return nil
	})
	Used(tb, peer, es.Version+" at "+es.URL)
	return es
}

// elasticsearchVersion asks the node at url for GET / and returns
// version.number if it answered 200.
func elasticsearchVersion(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s/: %s", url, res.Status)
	}
	var info struct {
		Version struct {
			Number string `json:"number"`
		} `json:"version"`
	}
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil {
		return "", fmt.Errorf("GET %s/: %w", url, err)
	}
	if info.Version.Number == "" {
		return "", errors.New("GET /: no version.number in the answer")
	}
	return info.Version.Number, nil
}

// Client returns the go-elasticsearch v8 API (esapi) for the node over
// elastictransport, as the indexer talks to Elasticsearch. It is not
// elasticsearch.NewClient: that package links its 858 typed-API packages
// into every test binary that starts a peer, minutes of a first build.
//
// The v8 API works against this 7.17 node unchanged: compatibility mode
// (the "compatible-with=8" media types) is off, so requests are plain JSON,
// and 7.x answers still carry "_type": "_doc", which the API ignores.
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
