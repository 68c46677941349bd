// Package esnode runs the development Elasticsearch node of
// deploy/elasticsearch (a process on a free loopback port) for benchmarks,
// and talks to it over its REST API. The tests start it with
// testkit/testpeer.StartElasticsearch.
package esnode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sluicelogs/sluice/testkit/proc"
)

// Node is a running Elasticsearch node.
type Node struct {
	URL, Version string
	Proc         *proc.Process
}

// Start runs script (deploy/elasticsearch/run.sh) with its data and log in
// dir and ES_JAVA_OPTS javaOpts, and waits (up to limit) until it answers.
func Start(ctx context.Context, script, javaOpts, dir string, limit time.Duration) (*Node, error) {
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	n := &Node{URL: "http://127.0.0.1:" + strconv.Itoa(port)}
	data := filepath.Join(dir, "es-data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command("bash", script, "--port", strconv.Itoa(port), "--data", data)
	// Provisioning is `make peers`' job; run.sh says what is missing.
	cmd.Env = append(os.Environ(), "SLUICE_ES_NO_BUILD=1", "ES_JAVA_OPTS="+javaOpts)
	if n.Proc, err = proc.Start("elasticsearch", cmd, filepath.Join(dir, "elasticsearch.log")); err != nil {
		return nil, err
	}
	n.Proc.Grace = 30 * time.Second
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	err = proc.WaitReady(wctx, 500*time.Millisecond, func(ctx context.Context) error {
		var info struct {
			Version struct{ Number string } `json:"version"`
		}
		if err := n.Do(ctx, http.MethodGet, "/", nil, &info); err != nil {
			return err
		}
		n.Version = info.Version.Number
		return nil
	}, n.Proc)
	if err != nil {
		n.Proc.Stop()
		return nil, fmt.Errorf("elasticsearch at %s: %w\n%s", n.URL, err, n.Proc.Tail(20))
	}
	return n, nil
}

// Do sends a request with a JSON body (nil: none) and decodes a 2xx
// answer's JSON into v (nil: ignored).
func (n *Node) Do(ctx context.Context, method, path string, body []byte, v any) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, n.URL+path, bytes.NewReader(body))
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
