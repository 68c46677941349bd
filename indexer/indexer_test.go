package indexer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/indexer"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// n is the number of nginx lines each of the EndToEnd, Restart,
// KillRestart and Outage scenarios writes: the 100,000 of issue 7. Those
// run the indexer as a process of the sluice binary (built without -race,
// so the race detector's slowdown does not stretch them).
const n = 100000

// statuses are the status codes the test writes, in turn.
var statuses = []int{200, 304, 404, 503, 200}

// otherLines is the number of nginx lines EndToEnd writes to the 8.17 and
// 9.0 nodes: enough to span two daily indices and fill many bulk requests,
// a tenth of n so that the two add ~15 s each to the package, not ~65 s
// (what they check is the API, not the volume; 7.17 takes the 100,000).
const otherLines = 10000

// env is one Elasticsearch node and one broker shared by the scenarios.
type env struct {
	es     *testpeer.Elasticsearch
	esc    *esapi.API
	broker string
	root   string
	lines  int // the number of nginx lines EndToEnd writes
}

// TestIndexerAgainstElasticsearch runs the scenarios of issue 7 against a
// real Elasticsearch node and a sluice broker, for each release line the
// peer runs (7.17, 8.17, 9.0: issue 17), each a subtest with its own node,
// coordinator and broker. Every scenario runs against 7.17; 8.17 and 9.0 run
// the end-to-end one and those that read back ids and mappings, which is
// where the versions' APIs could differ (the indexer sends plain JSON, no
// compatible-with media type, which every line takes as its own API). The
// outage scenario restarts Elasticsearch, so it runs last.
func TestIndexerAgainstElasticsearch(t *testing.T) {
	root, err := testpeer.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range testpeer.ElasticsearchReleases() {
		t.Run(r.Line, func(t *testing.T) {
			es := testpeer.StartElasticsearchRelease(t, r)
			zk := testcluster.Coordinator(t)
			b := testcluster.StartBroker(t, 1, zk, "")
			e := &env{es: es, esc: es.Client(t), broker: b.Addr(), root: root, lines: n}
			if r.Version != testpeer.ElasticsearchVersion {
				e.lines = otherLines
			}
			createTopic(t, e.broker, "sluice-dlq", 1)

			t.Run("EndToEnd", e.testEndToEnd)
			t.Run("IDHeader", e.testIDHeader)
			t.Run("Numbers", e.testNumbers)
			if r.Version != testpeer.ElasticsearchVersion {
				return
			}
			t.Run("Restart", e.testRestart)
			t.Run("KillRestart", e.testKillRestart)
			t.Run("DeadLetter", e.testDeadLetter)
			t.Run("Outage", e.testOutage)
		})
	}
}

// testEndToEnd: e.lines nginx lines through the example pipeline → exactly
// as many documents, searchable by the parsed status code, in indices the
// indexer's template mapped; then every offset is committed.
func (e *env) testEndToEnd(t *testing.T) {
	const topic, group = "e2e-nginx", "e2e"
	createTopic(t, e.broker, topic, 3)
	want := produceNginx(t, e.broker, topic, 0, e.lines)
	p, _ := e.startProcess(t, e.writeConfig(t, group, topic, "logs-e2e-%{+yyyy.MM.dd}", true))
	e.waitCount(t, "logs-e2e-*", e.lines, waitAll)
	if got := e.count(t, "logs-e2e-*", `{"query":{"term":{"http.response.status_code":503}}}`); got != want[503] {
		t.Errorf("status 503: %d documents, wrote %d", got, want[503])
	}
	if got := e.count(t, "logs-e2e-2015.05.17", ""); got == 0 || got == e.lines {
		t.Errorf("logs-e2e-2015.05.17 holds %d documents: the lines span two days", got)
	}
	e.checkTemplateMapped(t, "logs-e2e-2015.05.17")
	p.Stop() // SIGTERM: commits and leaves the group
	e.waitCommitted(t, group, topic, e.lines)
}

// checkTemplateMapped fails the test unless index was mapped by the
// indexer's index template (the node took it): its http.request.method is a
// keyword, where dynamic mapping would make a string text with a keyword
// sub-field.
func (e *env) checkTemplateMapped(t *testing.T, index string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mapping map[string]struct {
		Mappings map[string]struct {
			Mapping map[string]struct {
				Type string `json:"type"`
			} `json:"mapping"`
		} `json:"mappings"`
	}
	const field = "http.request.method"
	if err := e.es.Do(ctx, http.MethodGet, "/"+index+"/_mapping/field/"+field, nil, &mapping); err != nil {
		t.Fatal(err)
	}
	if got := mapping[index].Mappings[field].Mapping["method"].Type; got != "keyword" {
		t.Errorf("%s: %s is mapped %q, want keyword (from the indexer's template): %+v", index, field, got, mapping)
	}
}

// testIDHeader: records carrying the same _id header (a line the agent
// sent twice) become one document; records without one get ids from
// their topic, partition and offset.
func (e *env) testIDHeader(t *testing.T) {
	const topic, group = "ids-nginx", "ids"
	createTopic(t, e.broker, topic, 1)
	cl := newClient(t, e.broker)
	var recs []*kgo.Record
	for i := 0; i < 30; i++ {
		line := fmt.Sprintf(`10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET /dup/%d HTTP/1.1" 200 12 "-" "curl/8.5.0"`, i%20)
		r := &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf(`{"message":%q}`, line))}
		if i < 20 || i >= 25 { // 20 lines, the last 10 of them sent twice; 5 without an id
			r.Headers = []kgo.RecordHeader{{Key: indexer.IDHeader, Value: []byte(fmt.Sprintf("line-%d", i%20))}}
		}
		recs = append(recs, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	stop := e.startIndexer(t, group, topic, "logs-ids", true)
	e.waitCommitted(t, group, topic, 30)
	stop()
	if _, err := e.esc.Indices.Refresh(e.esc.Indices.Refresh.WithIndex("logs-ids")); err != nil {
		t.Fatal(err)
	}
	if got := e.count(t, "logs-ids", ""); got != 25 {
		t.Fatalf("%d documents, want 20 lines with ids and 5 without", got)
	}
}

// testRestart: the indexer is stopped mid-stream and a new one finishes:
// exactly N documents.
func (e *env) testRestart(t *testing.T) {
	const topic, group = "restart-nginx", "restart"
	createTopic(t, e.broker, topic, 3)
	produceNginx(t, e.broker, topic, 0, n)
	path := e.writeConfig(t, group, topic, "logs-restart-%{+yyyy.MM.dd}", true)
	p, _ := e.startProcess(t, path)
	await.Eventually(t, 60*time.Second, 20*time.Millisecond, func() error {
		if c := e.count(t, "logs-restart-*", ""); c == 0 {
			return fmt.Errorf("nothing indexed yet")
		}
		return nil
	})
	p.Stop() // SIGTERM: finishes what it took, commits and leaves the group
	mid := e.count(t, "logs-restart-*", "")
	t.Logf("stopped with %d of %d documents indexed, %d offsets committed", mid, n, committed(t, e.broker, group))
	if mid >= n {
		t.Fatalf("everything was indexed before the stop: the test proves nothing")
	}
	p, _ = e.startProcess(t, path)
	e.waitCount(t, "logs-restart-*", n, waitAll)
	p.Stop()
	e.waitCommitted(t, group, topic, n)
	if got := e.count(t, "logs-restart-*", ""); got != n {
		t.Fatalf("%d documents, want %d", got, n)
	}
}

// testKillRestart: the sluice binary's indexer is killed with SIGKILL
// twice mid-stream; a third one finishes: exactly N documents.
func (e *env) testKillRestart(t *testing.T) {
	const topic, group = "kill-nginx", "kill"
	createTopic(t, e.broker, topic, 3)
	produceNginx(t, e.broker, topic, 0, n)
	path := e.writeConfig(t, group, topic, "logs-kill-%{+yyyy.MM.dd}", true)
	last := 0
	for round := range 2 {
		p, _ := e.startProcess(t, path)
		await.Eventually(t, 60*time.Second, 20*time.Millisecond, func() error {
			if c := e.count(t, "logs-kill-*", ""); c <= last {
				return fmt.Errorf("%d documents, waiting for more than %d", c, last)
			}
			return nil
		})
		p.Kill()
		last = e.count(t, "logs-kill-*", "")
		t.Logf("kill -9 #%d with %d of %d documents indexed, %d offsets committed", round+1, last, n, committed(t, e.broker, group))
		if last >= n {
			t.Fatalf("everything was indexed before kill #%d: the test proves nothing", round+1)
		}
	}
	p, _ := e.startProcess(t, path)
	e.waitCount(t, "logs-kill-*", n, waitAll)
	p.Stop() // SIGTERM: commits and leaves the group
	e.waitCommitted(t, group, topic, n)
	if got := e.count(t, "logs-kill-*", ""); got != n {
		t.Fatalf("%d documents, want %d", got, n)
	}
}

// testDeadLetter: events whose @timestamp is not a date land in the
// dead-letter topic with Elasticsearch's reason; the rest are indexed.
func (e *env) testDeadLetter(t *testing.T) {
	const topic, group = "dlq-app", "dlq"
	createTopic(t, e.broker, topic, 1)
	cl := newClient(t, e.broker)
	const docs = 100
	bad := map[int64]bool{7: true, 50: true}
	var recs []*kgo.Record
	for i := range int64(docs) {
		ts := `"2024-03-01T10:00:00Z"`
		if bad[i] {
			ts = `"not a date"`
		}
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf(`{"@timestamp": %s, "message": "event %d"}`, ts, i))})
	}
	recs = append(recs, &kgo.Record{Topic: topic, Value: []byte("plain text, not JSON")})
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	stop := e.startIndexer(t, group, topic, "logs-dlq-%{+yyyy.MM.dd}", false)
	e.waitCount(t, "logs-dlq-*", docs+1-len(bad), 60*time.Second)
	stop()
	e.waitCommitted(t, group, topic, docs+1)

	// Read the dead-letter topic from the start.
	cons, err := kgo.NewClient(kgo.SeedBrokers(e.broker), kgo.ConsumeTopics("sluice-dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	got := map[int64]indexer.DeadLetter{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for len(got) < len(bad) && ctx.Err() == nil {
		cons.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var dl indexer.DeadLetter
			if err := json.Unmarshal(r.Value, &dl); err != nil {
				t.Errorf("dead letter %q: %v", r.Value, err)
				return
			}
			if dl.Topic == topic {
				got[dl.Offset] = dl
			}
		})
	}
	for off := range bad {
		dl, ok := got[off]
		if !ok {
			t.Errorf("offset %d: not in the dead-letter topic", off)
			continue
		}
		if !strings.Contains(dl.Reason, "mapper_parsing_exception") || !strings.Contains(dl.Value, "not a date") {
			t.Errorf("offset %d: dead letter %+v: want the reason and the original value", off, dl)
		}
	}
	if len(got) != len(bad) {
		t.Errorf("%d dead letters, want %d", len(got), len(bad))
	}
	if c := e.count(t, "logs-dlq-*", `{"query":{"match":{"message":"JSON"}}}`); c != 1 {
		t.Errorf("the plain-text record: %d documents, want 1", c)
	}
}

// testOutage: Elasticsearch stops for 10s mid-stream; the indexer keeps
// trying (its retries counter grows), nothing is committed while it is
// down, and exactly N documents are there after.
func (e *env) testOutage(t *testing.T) {
	const topic, group = "outage-nginx", "outage"
	createTopic(t, e.broker, topic, 3)
	half := n / 2
	produceNginx(t, e.broker, topic, 0, half)
	p, metrics := e.startProcess(t, e.writeConfig(t, group, topic, "logs-outage-%{+yyyy.MM.dd}", true))
	defer p.Stop()
	e.waitCount(t, "logs-outage-*", half, waitAll)
	e.waitCommitted(t, group, topic, half)

	e.es.Stop()
	retries := metric(t, metrics, "sluice_indexer_retries_total")
	produceNginx(t, e.broker, topic, half, n)
	before := committed(t, e.broker, group)
	time.Sleep(10 * time.Second) // the outage itself
	after := committed(t, e.broker, group)
	if before != after {
		t.Errorf("offsets committed while Elasticsearch was down: %d before, %d after", before, after)
	}
	if after != int64(half) {
		t.Errorf("%d offsets committed during the outage, want %d", after, half)
	}
	if r := metric(t, metrics, "sluice_indexer_retries_total"); r <= retries {
		t.Errorf("retries %v during the outage (%v before): the indexer did not try the new lines", r, retries)
	}
	e.restartElasticsearch(t)
	e.waitCount(t, "logs-outage-*", n, waitAll)
	e.waitCommitted(t, group, topic, n)
	if got := e.count(t, "logs-outage-*", ""); got != n {
		t.Fatalf("%d documents, want %d", got, n)
	}
}

// waitAll is how long the count of a scenario's n documents may stay put
// before the wait fails (waitCount is bounded by progress, not by the
// time 100,000 documents take on a busy machine).
const waitAll = 2 * time.Minute

// startProcess runs `sluice indexer -c path` (the binary built without
// -race) with metrics on a free port, and returns it and its metrics URL.
func (e *env) startProcess(t *testing.T, path string) (*testpeer.Process, string) {
	t.Helper()
	return startIndexerProcess(t, path)
}

// metric reads a counter without labels from a Prometheus /metrics URL.
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metrics: %q: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("metrics: no %s in\n%s", name, b)
	return 0
}

// writeConfig writes an indexer.yml for one route (writeIndexerConfig)
// and returns its path.
func (e *env) writeConfig(t *testing.T, group, topic, index string, nginx bool) string {
	t.Helper()
	return writeIndexerConfig(t, e.broker, e.es.URL, group, topic, fmt.Sprintf("index: %q", index), nginxPipeline(e.root, nginx))
}

// startIndexer runs an indexer in-process from the config writeConfig
// writes; the returned stop cancels it and waits.
func (e *env) startIndexer(t *testing.T, group, topic, index string, nginx bool) func() {
	t.Helper()
	_, stop := e.runIndexer(t, group, topic, index, nginx)
	return stop
}

// restartElasticsearch starts the stopped node again on its port and data
// directory and waits until its indices are at least yellow.
func (e *env) restartElasticsearch(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.es.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, time.Minute, 250*time.Millisecond, func() error {
		return e.es.Do(ctx, http.MethodGet, "/_cluster/health?wait_for_status=yellow&timeout=1s", nil, nil)
	})
}

// count refreshes the indices and counts the documents matching query
// ("" for all); -1 when Elasticsearch does not answer.
func (e *env) count(t *testing.T, index, query string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := e.esc.Indices.Refresh(e.esc.Indices.Refresh.WithContext(ctx), e.esc.Indices.Refresh.WithIndex(index))
	if err != nil {
		return -1
	}
	res.Body.Close()
	opts := []func(*esapi.CountRequest){e.esc.Count.WithContext(ctx), e.esc.Count.WithIndex(index)}
	if query != "" {
		opts = append(opts, e.esc.Count.WithBody(strings.NewReader(query)))
	}
	res, err = e.esc.Count(opts...)
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	if res.IsError() {
		return -1
	}
	var body struct {
		Count int `json:"count"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("_count: %v", err)
	}
	return body.Count
}

// waitCount waits until index holds want documents, failing if it ever
// holds more, or if the count did not grow for stall.
func (e *env) waitCount(t *testing.T, index string, want int, stall time.Duration) {
	t.Helper()
	waitForCount(t, func() int { return e.count(t, index, "") }, index, want, stall)
}

// waitCommitted waits until group committed want offsets in all over topic.
func (e *env) waitCommitted(t *testing.T, group, topic string, want int) {
	t.Helper()
	waitForCommitted(t, e.broker, group, want, 30*time.Second)
}

// committed sums the offsets group committed over all its partitions.
func committed(t *testing.T, broker, group string) int64 {
	t.Helper()
	cl := newClient(t, broker)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offs, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets of %s: %v", group, err)
	}
	var sum int64
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil {
			t.Fatalf("fetch offsets of %s: %v", group, o.Err)
		}
		sum += o.At
	})
	return sum
}

// produceNginx writes lines [from, to) as JSON events of combined-format
// access lines, and returns how many it wrote of each status code.
func produceNginx(t *testing.T, broker, topic string, from, to int) map[int]int {
	t.Helper()
	cl := newClient(t, broker)
	base := time.Date(2015, 5, 17, 20, 0, 0, 0, time.UTC) // the lines span midnight
	counts := map[int]int{}
	recs := make([]*kgo.Record, 0, to-from)
	for i := from; i < to; i++ {
		status := statuses[i%len(statuses)]
		counts[status]++
		ts := base.Add(time.Duration(i) * 3 * time.Second)
		line := fmt.Sprintf(`10.0.%d.%d - - [%s] "GET /item/%d HTTP/1.1" %d %d "-" "curl/8.5.0"`,
			i/256%256, i%256, ts.Format("02/Jan/2006:15:04:05 -0700"), i, status, 100+i%900)
		v, err := json.Marshal(map[string]any{"message": line, "@timestamp": time.Now().UTC().Format(time.RFC3339Nano)})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(strconv.Itoa(i)), Value: v})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	return counts
}

func newClient(t *testing.T, broker string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// createTopic creates a topic with one replica (see testcluster).
func createTopic(t *testing.T, addr, name string, partitions int32) {
	t.Helper()
	testcluster.CreateTopic(t, addr, name, partitions)
}
