// Package e2e is `sluice-bench e2e` (Main): the whole pipeline as `sluice up`
// runs it, measured end to end — the time from a line appended to a file to
// the document being returned by Elasticsearch's _search — and the
// resident memory of `sluice up` next to the Kafka and ZooKeeper JVMs of
// the stack it replaces, carrying the same load on the same machine.
package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/sluicelogs/sluice/bench/compare"
	"github.com/sluicelogs/sluice/testkit/proc"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// Config is one run.
type Config struct {
	Rate          int           // lines per second appended
	Duration      time.Duration // how long lines are appended
	Samples       int           // lines whose latency is measured, spread evenly
	Sluice        string        // the sluice binary
	Elasticsearch string        // deploy/elasticsearch/run.sh
	ESJavaOpts    string
	Pipelines     string // examples/pipelines (app.yml → the app-json pipeline is looked up as app)
	Dir           string // data and logs; a temporary directory when ""
	Progress      io.Writer
}

// Result is what a run measured.
type Result struct {
	ESVersion string
	Latencies []time.Duration // of the samples seen, sorted
	Samples   int             // samples written
	UpRSS     int64           // peak resident memory of `sluice up`
	Lines     int
}

// Quantile returns the q-quantile of the sorted latencies.
func (r *Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[min(len(r.Latencies)-1, int(q*float64(len(r.Latencies))))]
}

const startLimit = 3 * time.Minute

// Run runs Elasticsearch and `sluice up` tailing one file through the
// app-json pipeline, appends Rate lines a second for Duration, and times
// the sampled lines until Elasticsearch returns them.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "sluice-bench-e2e-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	fmt.Fprintf(cfg.Progress, "starting Elasticsearch (%s)\n", cfg.ESJavaOpts)
	es, err := testpeer.RunElasticsearch(ctx, testpeer.ElasticsearchSpec{Script: cfg.Elasticsearch, JavaOpts: cfg.ESJavaOpts, Dir: dir, Limit: startLimit})
	if err != nil {
		return nil, err
	}
	defer es.Proc.Stop()
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	pipelines := filepath.Join(dir, "pipelines")
	if err := os.MkdirAll(pipelines, 0o755); err != nil {
		return nil, err
	}
	if err := copyFile(filepath.Join(cfg.Pipelines, "app-json.yml"), filepath.Join(pipelines, "app.yml")); err != nil {
		return nil, err
	}
	up, err := startUp(ctx, cfg, dir, logs, pipelines, es.URL)
	if err != nil {
		return nil, err
	}
	defer up.Stop()

	f, err := os.OpenFile(filepath.Join(logs, "app.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Warm up: a first line through the whole path (topic created, index
	// template installed, index created).
	fmt.Fprintln(cfg.Progress, "waiting for a first line to be searchable")
	if _, err := fmt.Fprintln(f, line(-1, false)); err != nil {
		return nil, err
	}
	total := int(float64(cfg.Rate) * cfg.Duration.Seconds())
	every := max(1, total/cfg.Samples)
	w := &watcher{es: es, every: every, seen: map[int]time.Time{}}
	wctx, cancel := context.WithTimeout(ctx, startLimit)
	err = w.waitFor(wctx, -1)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("the first line never became searchable: %w\n%s", err, up.Tail(20))
	}

	res := &Result{ESVersion: es.Version, Lines: total}
	written := map[int]time.Time{}
	var wg sync.WaitGroup
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	wg.Add(2)
	go func() { defer wg.Done(); w.poll(pollCtx, 100*time.Millisecond) }()
	go func() { defer wg.Done(); res.UpRSS = peakRSS(pollCtx, up.Pid()) }()
	fmt.Fprintf(cfg.Progress, "appending %d lines/s for %s (%d lines, every %d-th timed)\n", cfg.Rate, cfg.Duration, total, every)
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	for i := 0; i < total; {
		<-tick.C
		due := min(total, int(time.Since(start).Seconds()*float64(cfg.Rate)))
		var buf []byte
		now := time.Now()
		for ; i < due; i++ {
			sample := i%every == 0
			if sample {
				written[i] = now
			}
			buf = append(buf, line(i, sample)...)
			buf = append(buf, '\n')
		}
		if _, err := f.Write(buf); err != nil {
			tick.Stop()
			return nil, err
		}
	}
	tick.Stop()
	res.Samples = len(written)
	// Wait for the last samples (bounded).
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && w.count() < len(written) {
		time.Sleep(100 * time.Millisecond)
	}
	stopPoll()
	wg.Wait()
	for i, at := range written {
		if seen, ok := w.at(i); ok {
			res.Latencies = append(res.Latencies, seen.Sub(at))
		}
	}
	sort.Slice(res.Latencies, func(a, b int) bool { return res.Latencies[a] < res.Latencies[b] })
	return res, nil
}

// line is the JSON application log line number seq; sampled lines say so,
// for the watcher's query.
func line(seq int, sample bool) string {
	return fmt.Sprintf(`{"time":%q,"level":"INFO","logger":"bench","msg":"order placed","seq":%d,"sample":%t}`,
		time.Now().UTC().Format(time.RFC3339Nano), seq, sample)
}

// startUp runs `sluice up` tailing logs/app*.log.
func startUp(ctx context.Context, cfg Config, dir, logs, pipelines, esURL string) (*proc.Process, error) {
	zkPort, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	kPort, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	broker := "127.0.0.1:" + strconv.Itoa(kPort)
	cmd := exec.Command(cfg.Sluice, "up", "-e", "--data", filepath.Join(dir, "up"), "--tail", "app="+filepath.Join(logs, "app*.log"),
		"--pipelines", pipelines, "--es", esURL, "--index", "bench-%{+yyyy.MM.dd}",
		"--coordinator-addr", "127.0.0.1:"+strconv.Itoa(zkPort), "--broker-addr", broker)
	p, err := proc.Start("sluice-up", cmd, filepath.Join(dir, "sluice-up.log"))
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, startLimit)
	defer cancel()
	err = proc.WaitReady(wctx, 200*time.Millisecond, func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", broker)
		if err == nil {
			c.Close()
		}
		return err
	}, p)
	if err != nil {
		p.Stop()
		return nil, fmt.Errorf("sluice up: %w\n%s", err, p.Tail(20))
	}
	return p, nil
}

// peakRSS samples pid's resident memory every 250 ms until ctx ends.
func peakRSS(ctx context.Context, pid int) int64 {
	var peak int64
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if rss, err := proc.RSS(pid); err == nil && rss > peak {
			peak = rss
		}
		select {
		case <-ctx.Done():
			return peak
		case <-t.C:
		}
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// SummaryRows are the headline rows of a run for `sluice-bench summary`:
// p50 and p99 from a line appended to it being returned by _search (goal:
// p99 under 2 s), and the peak RSS of `sluice up` in MB (10^6 bytes) next to
// the Kafka + ZooKeeper JVMs under the same load (anchorRSS, bytes; not
// measured if not positive; goal: sluice up under 150 MB).
func SummaryRows(r *Result, anchorRSS int64) []compare.Row {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return []compare.Row{
		{Component: "e2e", Measure: "line → searchable p50 ms", Sluice: ms(r.Quantile(0.50))},
		{Component: "e2e", Measure: "line → searchable p99 ms", Sluice: ms(r.Quantile(0.99)), Goal: "<2000"},
		{Component: "e2e", Measure: "peak RSS MB, sluice up", Sluice: float64(r.UpRSS) / 1e6,
			Anchor: "Kafka+ZooKeeper JVMs", AnchorValue: float64(anchorRSS) / 1e6, Goal: "<150"},
	}
}
