package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// e2eLines is how many lines each of the three files receives.
const e2eLines = 100_000

// e2eLine is line i of kind: unique, and parsed by the kind's example
// pipeline into a field that names i (url.original, process.pid,
// labels.order_id).
func e2eLine(kind string, i int) string {
	ts := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	switch kind {
	case "nginx":
		return fmt.Sprintf(`10.1.%d.%d - - [%s] "GET /e2e/%d HTTP/1.1" 200 %d "-" "curl/8.5.0"`,
			i/256%256, i%256, ts.Format("02/Jan/2006:15:04:05 -0700"), i, 100+i%900)
	case "syslog":
		return fmt.Sprintf("%s web-1 e2e[%d]: line %d of the end-to-end test", ts.Format("Jan _2 15:04:05"), i+1, i)
	default:
		return fmt.Sprintf(`{"time":%q,"level":"INFO","logger":"shop.e2e","msg":"order placed","order_id":%d}`, ts.Format(time.RFC3339Nano), i)
	}
}

// e2eWriter appends lines to one file of the cluster's log folder, rotating
// it by rename (nginx-access.log → nginx-access.log.K) or by copytruncate
// (the copy goes to rotated/, which the agent does not tail, after the
// agent has read what it copies).
type e2eWriter struct {
	dir, kind, name string
	rotate          string // "rename", "copytruncate" or ""
	every           int
	caughtUp        func(n int) bool // the agent has shipped the first n lines
}

func (w *e2eWriter) run(ctx context.Context, progress func(int)) error {
	path := filepath.Join(w.dir, w.name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	bw := bufio.NewWriterSize(f, 64<<10)
	for i := 0; i < e2eLines; i++ {
		if w.rotate != "" && i > 0 && i%w.every == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
			switch w.rotate {
			case "rename":
				f.Close()
				if err := os.Rename(path, fmt.Sprintf("%s.%d", path, i/w.every)); err != nil {
					return err
				}
				if f, err = os.Create(path); err != nil {
					return err
				}
				bw.Reset(f)
			case "copytruncate":
				// Lines written between logrotate's copy and its truncate
				// are lost to any tailer, so wait for the agent first.
				for !w.caughtUp(i) {
					if ctx.Err() != nil {
						return fmt.Errorf("%s: waiting for the agent to read %d lines: %w", w.name, i, ctx.Err())
					}
					time.Sleep(50 * time.Millisecond)
				}
				if err := copyTo(path, filepath.Join(w.dir, "rotated", fmt.Sprintf("%s.%d", w.name, i/w.every))); err != nil {
					return err
				}
				if err := f.Truncate(0); err != nil {
					return err
				}
			}
		}
		fmt.Fprintln(bw, e2eLine(w.kind, i))
		if i%1000 == 999 {
			if err := bw.Flush(); err != nil {
				return err
			}
			progress(1000)
		}
	}
	return bw.Flush()
}

func copyTo(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// esCount is the number of documents in index matching query ("" for all).
func esCount(url, index, query string) (int, error) {
	body := strings.NewReader(query)
	if query == "" {
		body = strings.NewReader("{}")
	}
	resp, err := http.Post(url+"/"+index+"/_count?ignore_unavailable=true&allow_no_indices=true", "application/json", body)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Count int `json:"count"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("_count %s: %s: %s", index, resp.Status, b)
	}
	return out.Count, json.Unmarshal(b, &out)
}

// TestEndToEndCluster is issue 8's end-to-end test: the local cluster of
// deploy/cluster.sh (3 coordinator members, 3 brokers with 3 replicas of
// every partition, an indexer, an agent) and the real Elasticsearch node.
// Three files receive 300,000 lines while one is rotated by rename and one
// by copytruncate; meanwhile the agent, one broker (a partition leader)
// and the indexer are each killed with SIGKILL once and restarted.
// Afterwards Elasticsearch holds exactly one document per line, each found
// by the field its pipeline parsed.
func TestEndToEndCluster(t *testing.T) {
	es := testpeer.StartElasticsearch(t)
	c := startLocalCluster(t, "ES_URL="+es.URL)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, name := range []string{"agent", "indexer", "broker1"} {
			b, _ := os.ReadFile(filepath.Join(c.dir, name+".log"))
			if len(b) > 3000 {
				b = b[len(b)-3000:]
			}
			t.Logf("%s.log (end):\n%s", name, bytes.TrimSpace(b))
		}
	})
	logs := filepath.Join(c.dir, "logs")
	if err := os.MkdirAll(filepath.Join(logs, "rotated"), 0o755); err != nil {
		t.Fatal(err)
	}
	indexFor := map[string]string{"nginx": "logs-nginx-*", "syslog": "logs-syslog-*", "app": "logs-app-*"}
	parsed := map[string]string{"nginx": "url.original", "syslog": "process.pid", "app": "labels.order_id"}
	shipped := func(kind string) int {
		n, _ := esCount(es.URL, indexFor[kind], "")
		return n
	}
	writers := []*e2eWriter{
		{dir: logs, kind: "nginx", name: "nginx-access.log", rotate: "rename", every: 20_000},
		{dir: logs, kind: "syslog", name: "syslog.log", rotate: "copytruncate", every: 20_000,
			caughtUp: func(n int) bool { return shipped("syslog") >= n }},
		{dir: logs, kind: "app", name: "app.log"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var mu sync.Mutex
	written := 0
	var wg sync.WaitGroup
	errs := make(chan error, len(writers))
	for _, w := range writers {
		wg.Add(1)
		go func() { // owned by the test: wg
			defer wg.Done()
			errs <- w.run(ctx, func(n int) { mu.Lock(); written += n; mu.Unlock() })
		}()
	}
	waitWritten := func(n int) {
		await.Eventually(t, 5*time.Minute, 50*time.Millisecond, func() error {
			mu.Lock()
			defer mu.Unlock()
			if written < n {
				return fmt.Errorf("%d lines written", written)
			}
			return nil
		})
	}
	kill := func(name string) {
		b, err := os.ReadFile(filepath.Join(c.dir, name+".pid"))
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		mu.Lock()
		t.Logf("kill -9 %s (pid %d) with %d lines written", name, pid, written)
		mu.Unlock()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		await.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error {
			if syscall.Kill(pid, 0) == nil {
				return fmt.Errorf("%s still alive", name)
			}
			return nil
		})
		c.script("up") // starts what is not running
	}
	waitWritten(3 * e2eLines / 4)
	kill("agent")
	waitWritten(3 * e2eLines / 2)
	kill(fmt.Sprintf("broker%d", leaderOf(t, c, "logs-nginx")))
	waitWritten(9 * e2eLines / 4)
	kill("indexer")
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	for kind, index := range indexFor {
		await.Eventually(t, 4*time.Minute, 500*time.Millisecond, func() error {
			if n := shipped(kind); n < e2eLines {
				return fmt.Errorf("%s: %d of %d documents", index, n, e2eLines)
			}
			return nil
		})
	}
	time.Sleep(3 * time.Second) // anything sent twice would show up as extra documents by now
	if _, err := http.Post(es.URL+"/logs-*/_refresh", "application/json", nil); err != nil {
		t.Fatal(err)
	}
	for kind, index := range indexFor {
		all, err1 := esCount(es.URL, index, "")
		withField, err2 := esCount(es.URL, index, fmt.Sprintf(`{"query":{"exists":{"field":%q}}}`, parsed[kind]))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		t.Logf("%s: %d documents, %d with %s", index, all, withField, parsed[kind])
		if all != e2eLines || withField != e2eLines {
			t.Errorf("%s: %d documents, %d with %s; want exactly %d", index, all, withField, parsed[kind], e2eLines)
		}
	}
	// Lines the agent sent twice (it was killed before acknowledgements
	// reached it) are in the topics twice, and one document each.
	for kind := range indexFor {
		t.Logf("topic logs-%s holds %d records for %d lines", kind, topicRecords(t, c, "logs-"+kind), e2eLines)
	}
	// Each line is its own document, found by what its pipeline parsed.
	for i := 0; i < e2eLines; i += 9973 {
		for kind, index := range indexFor {
			v := any(i)
			switch kind {
			case "nginx":
				v = fmt.Sprintf("/e2e/%d", i)
			case "syslog":
				v = i + 1
			}
			q, _ := json.Marshal(map[string]any{"query": map[string]any{"term": map[string]any{parsed[kind]: v}}})
			if n, err := esCount(es.URL, index, string(q)); err != nil || n != 1 {
				t.Errorf("%s: %s=%v finds %d documents (%v), want 1", index, parsed[kind], v, n, err)
			}
		}
	}
}

// topicRecords is the number of records in topic (the sum of its
// partitions' end offsets).
func topicRecords(t *testing.T, c *localCluster, topic string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers("127.0.0.1:" + strconv.Itoa(c.kafkaBase)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// leaderOf returns the broker leading partition 0 of topic.
func leaderOf(t *testing.T, c *localCluster, topic string) int32 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers("127.0.0.1:" + strconv.Itoa(c.kafkaBase)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	leader := int32(-1)
	await.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
		req := kmsg.NewPtrMetadataRequest()
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, mt)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) == 0 {
			return fmt.Errorf("no partitions of %s yet", topic)
		}
		leader = resp.Topics[0].Partitions[0].Leader
		if leader < 1 {
			return fmt.Errorf("no leader of %s-0", topic)
		}
		return nil
	})
	return leader
}
