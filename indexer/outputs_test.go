package indexer_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/indexer"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/logcapture"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// The outputs of issue 17 beyond indices on Elasticsearch 7.17: data
// streams, the index a pipeline chooses (date_index_name), and OpenSearch
// 2.x. The same scenarios run against the Elasticsearch 7.17 peer
// (TestOutputsElasticsearch) and the OpenSearch 2.19.6 peer
// (TestOutputsOpenSearch).

// outN is the number of nginx lines of the kill/restart scenario: enough
// that two SIGKILLs land mid-stream.
const outN = 40000

// outNode is a search node of either kind, as the scenarios use it.
type outNode struct {
	url string
	do  func(ctx context.Context, method, path string, body []byte, v any) error
}

// outEnv is a node and a broker shared by a test's scenarios.
type outEnv struct {
	node   outNode
	broker string
	root   string
}

func newOutEnv(t *testing.T, node outNode) *outEnv {
	t.Helper()
	root, err := testpeer.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	zk := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zk, "")
	testcluster.CreateTopic(t, b.Addr(), "sluice-dlq", 1)
	return &outEnv{node: node, broker: b.Addr(), root: root}
}

// TestOutputsElasticsearch runs the scenarios the Elasticsearch 7.17 peer
// can: it has no x-pack, and without it 7.17 refuses a template's
// data_stream ("[index_template] unknown field [data_stream]"), so the
// data stream scenarios run against OpenSearch (and are methods of outEnv
// for the Elasticsearch 8/9 peers to run as well).
func TestOutputsElasticsearch(t *testing.T) {
	es := testpeer.StartElasticsearch(t)
	e := newOutEnv(t, outNode{url: es.URL, do: es.Do})
	t.Run("DateIndexName", e.testDateIndexName)
	t.Run("NoDataStreamsWithoutXPack", e.testNoDataStreams)
}

// testNoDataStreams pins why the 7.17 peer runs no data stream scenario:
// when it takes a data stream template (a peer with x-pack, or a newer
// version), this fails, and the scenarios should run against it.
func (e *outEnv) testNoDataStreams(t *testing.T) {
	err := e.node.do(context.Background(), http.MethodPut, "/_index_template/test-logs", []byte(dataStreamTemplate), nil)
	if err == nil || !strings.Contains(err.Error(), "unknown field [data_stream]") {
		t.Fatalf("the Elasticsearch peer answered %v to a data stream template: run the data stream scenarios against it", err)
	}
}

// TestOutputsOpenSearch runs the indexer's end to end scenario and the
// scenarios of TestOutputsElasticsearch against OpenSearch 2.19.6, whose
// answers have no X-Elastic-Product header.
func TestOutputsOpenSearch(t *testing.T) {
	node := testpeer.StartOpenSearch(t)
	e := newOutEnv(t, outNode{url: node.URL, do: node.Do})
	t.Run("EndToEnd", e.testEndToEnd)
	t.Run("DataStreamKillRestart", e.testDataStreamKillRestart)
	t.Run("DataStreamReplay", e.testDataStreamReplay)
	t.Run("DateIndexName", e.testDateIndexName)
	t.Run("DataStreamWithoutTemplate", e.testDataStreamWithoutTemplate)
}

// testDataStreamWithoutTemplate: a data_stream route that no data stream
// template covers (metrics-*-* here) is warned about at start, and the
// log names the product.
func (e *outEnv) testDataStreamWithoutTemplate(t *testing.T) {
	const topic = "ds-untemplated"
	testcluster.CreateTopic(t, e.broker, topic, 1)
	log, logs := logcapture.New()
	_, stop := runInProcess(t, e.writeConfig(t, topic, topic, "data_stream: {type: metrics, dataset: untemplated}", false), log)
	defer stop()
	await.Eventually(t, time.Minute, 50*time.Millisecond, func() error {
		s := logs.String()
		if !strings.Contains(s, "product=opensearch") || !strings.Contains(s, "no data stream template covers this data stream") ||
			!strings.Contains(s, "data_stream=metrics-untemplated-default") {
			return fmt.Errorf("logs so far:\n%s", s)
		}
		return nil
	})
}

// testEndToEnd: nginx lines through the example pipeline into daily
// indices: the index template is accepted, every line is there once,
// searchable by its parsed status code, and every offset is committed.
func (e *outEnv) testEndToEnd(t *testing.T) {
	const topic, group, lines = "os-nginx", "os-e2e", 20000
	testcluster.CreateTopic(t, e.broker, topic, 3)
	want := produceNginx(t, e.broker, topic, 0, lines)
	p, _ := e.startProcess(t, e.writeConfig(t, group, topic, "index: 'logs-os-%{+yyyy.MM.dd}'", true))
	e.waitCount(t, "logs-os-*", lines)
	p.Stop()
	e.waitCommitted(t, group, topic, lines)
	var tmpl struct {
		Templates []struct {
			Name string `json:"name"`
		} `json:"index_templates"`
	}
	if err := e.node.do(context.Background(), http.MethodGet, "/_index_template/sluice-logs-os", nil, &tmpl); err != nil || len(tmpl.Templates) != 1 {
		t.Errorf("index template sluice-logs-os: %+v, %v", tmpl, err)
	}
	var m map[string]struct {
		Mappings struct {
			Properties map[string]any `json:"properties"`
		} `json:"mappings"`
	}
	if err := e.node.do(context.Background(), http.MethodGet, "/logs-os-2015.05.18/_mapping", nil, &m); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(m["logs-os-2015.05.18"].Mappings.Properties["http"]); !strings.Contains(got, "status_code:map[type:long]") {
		t.Errorf("http mapping %s: the template's long status_code was not applied", got)
	}
	if got := e.count(t, "logs-os-*", `{"query":{"term":{"http.response.status_code":503}}}`); got != want[503] {
		t.Errorf("status 503: %d documents, wrote %d", got, want[503])
	}
}

// dataStreamTemplate is a composable template like Elasticsearch's
// built-in logs template (pattern logs-*-*, priority 100, data_stream:
// {}): the 7.17 peer runs without x-pack, which brings that one.
const dataStreamTemplate = `{"index_patterns":["logs-*-*"],"priority":100,"data_stream":{},
"template":{"settings":{"number_of_replicas":0},"mappings":{"properties":{"@timestamp":{"type":"date"},
"data_stream":{"properties":{"type":{"type":"keyword"},"dataset":{"type":"keyword"},"namespace":{"type":"keyword"}}}}}}}`

func (e *outEnv) installDataStreamTemplate(t *testing.T) {
	t.Helper()
	if err := e.node.do(context.Background(), http.MethodPut, "/_index_template/test-logs", []byte(dataStreamTemplate), nil); err != nil {
		t.Fatalf("data stream template: %v", err)
	}
}

// testDataStreamKillRestart: a data_stream route's indexer (the sluice
// binary) is killed with SIGKILL twice mid-stream (the second time after
// it committed some offsets) and a third finishes:
// the data stream holds exactly every line, each with its data_stream
// fields; the replays' creates were answered 409 and taken as done.
func (e *outEnv) testDataStreamKillRestart(t *testing.T) {
	const topic, group, stream = "ds-kill", "ds-kill", "logs-kill-test"
	e.installDataStreamTemplate(t)
	testcluster.CreateTopic(t, e.broker, topic, 3)
	produceNginx(t, e.broker, topic, 0, outN)
	path := e.writeConfig(t, group, topic, "data_stream: {dataset: kill, namespace: test}", true)
	last := 0
	for round := range 2 {
		p, _ := e.startProcess(t, path)
		await.Eventually(t, 2*time.Minute, 20*time.Millisecond, func() error {
			if c := e.count(t, stream, ""); c <= last {
				return fmt.Errorf("%d documents, waiting for more than %d", c, last)
			}
			// The second kill comes after a commit: the third indexer
			// resumes from it and replays what was created after it.
			if c := committed(t, e.broker, group); round == 1 && c == 0 {
				return fmt.Errorf("nothing committed yet")
			}
			return nil
		})
		p.Kill()
		last = e.count(t, stream, "")
		t.Logf("kill -9 #%d with %d of %d documents created, %d offsets committed", round+1, last, outN, committed(t, e.broker, group))
		if last >= outN {
			t.Fatalf("everything was indexed before kill #%d: the test proves nothing", round+1)
		}
	}
	p, metrics := e.startProcess(t, path)
	e.waitCount(t, stream, outN)
	t.Logf("the last indexer: %v created, %v duplicates", metric(t, metrics, `sluice_indexer_events_total{result="indexed"}`),
		metric(t, metrics, `sluice_indexer_events_total{result="duplicate"}`))
	p.Stop()
	e.waitCommitted(t, group, topic, outN)
	if got := e.count(t, stream, ""); got != outN {
		t.Fatalf("%d documents, want %d", got, outN)
	}
	e.checkDataStream(t, stream, "kill", "test")
	if got := e.count(t, stream, `{"query":{"term":{"data_stream.dataset":"kill"}}}`); got != outN {
		t.Errorf("%d documents with data_stream.dataset kill, want %d", got, outN)
	}
}

// testDataStreamReplay: every record of a data stream read again (a new
// group: as after a crash that committed nothing) is answered 409 by the
// node and counted as a duplicate; nothing is added and nothing is a dead
// letter.
func (e *outEnv) testDataStreamReplay(t *testing.T) {
	const topic, stream, lines = "ds-replay", "logs-replay-default", 300
	e.installDataStreamTemplate(t)
	testcluster.CreateTopic(t, e.broker, topic, 1)
	produceNginx(t, e.broker, topic, 0, lines)
	for _, group := range []string{"replay-1", "replay-2"} {
		ix, stop := runInProcess(t, e.writeConfig(t, group, topic, "data_stream: {dataset: replay}", true), testcluster.Logger())
		e.waitCommitted(t, group, topic, lines)
		stop()
		got := eventResults(t, ix)
		want := map[string]float64{"indexed": lines}
		if group == "replay-2" {
			want = map[string]float64{"duplicate": lines}
		}
		for _, r := range []string{"indexed", "duplicate", "dead_letter", "dropped"} {
			if got[r] != want[r] {
				t.Errorf("%s: %v events %s, want %v", group, got[r], r, want[r])
			}
		}
		if c := e.count(t, stream, ""); c != lines {
			t.Errorf("%s: %d documents, want %d", group, c, lines)
		}
	}
	e.checkDataStream(t, stream, "replay", "default")
}

// testDateIndexName: date_index_name sets a date-math _index; the node
// resolves it and each event lands in the index of its day, not in the
// route's index.
func (e *outEnv) testDateIndexName(t *testing.T) {
	const topic, group = "dated", "dated"
	testcluster.CreateTopic(t, e.broker, topic, 1)
	cl := newClient(t, e.broker)
	var recs []*kgo.Record
	for i := range 30 {
		day := 2 + i%3 // 10 events on each of 2024-01-02, 03 and 04
		recs = append(recs, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, `{"@timestamp":"2024-01-%02dT10:00:00.000Z","message":"event %d"}`, day, i)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pipeline := filepath.Join(dir, "dated.yml")
	if err := os.WriteFile(pipeline, []byte("processors:\n  - date_index_name: {field: '@timestamp', index_name_prefix: dated-, date_rounding: d}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stop := runInProcess(t, writeIndexerConfig(t, e.broker, e.node.url, group, topic, "index: route-default", "pipeline: "+pipeline), testcluster.Logger())
	e.waitCommitted(t, group, topic, len(recs))
	stop()
	for _, day := range []string{"2024-01-02", "2024-01-03", "2024-01-04"} {
		if c := e.count(t, "dated-"+day, ""); c != 10 {
			t.Errorf("dated-%s: %d documents, want 10", day, c)
		}
	}
	if c := e.count(t, "route-default", ""); c > 0 {
		t.Errorf("route-default: %d documents, want none", c)
	}
}

// checkDataStream fails unless name is a data stream whose documents carry
// its type, dataset and namespace and an @timestamp.
func (e *outEnv) checkDataStream(t *testing.T, name, dataset, namespace string) {
	t.Helper()
	var res struct {
		DataStreams []struct {
			Name string `json:"name"`
		} `json:"data_streams"`
	}
	if err := e.node.do(context.Background(), http.MethodGet, "/_resolve/index/"+name, nil, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.DataStreams) != 1 || res.DataStreams[0].Name != name {
		t.Fatalf("%s resolves to %+v: not a data stream", name, res)
	}
	var hits struct {
		Hits struct {
			Hits []struct {
				Source struct {
					Timestamp  string            `json:"@timestamp"`
					DataStream map[string]string `json:"data_stream"`
				} `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := e.node.do(context.Background(), http.MethodGet, "/"+name+"/_search?size=1", nil, &hits); err != nil || len(hits.Hits.Hits) != 1 {
		t.Fatalf("search %s: %+v, %v", name, hits, err)
	}
	src := hits.Hits.Hits[0].Source
	if src.Timestamp == "" || src.DataStream["type"] != "logs" || src.DataStream["dataset"] != dataset || src.DataStream["namespace"] != namespace {
		t.Errorf("document %+v: want @timestamp and data_stream logs/%s/%s", src, dataset, namespace)
	}
}

// count refreshes index (a pattern, an index or a data stream) and counts
// the documents matching query ("" for all); -1 when the node does not
// answer (or the index is not there yet).
func (e *outEnv) count(t *testing.T, index, query string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.node.do(ctx, http.MethodPost, "/"+index+"/_refresh", nil, nil); err != nil {
		return -1
	}
	var body []byte
	if query != "" {
		body = []byte(query)
	}
	var res struct {
		Count int `json:"count"`
	}
	if err := e.node.do(ctx, http.MethodPost, "/"+index+"/_count", body, &res); err != nil {
		return -1
	}
	return res.Count
}

// eventResults reads sluice_indexer_events_total of ix by result.
func eventResults(t *testing.T, ix *indexer.Indexer) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(ix.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "sluice_indexer_events_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[labelValue(m, "result")] += m.GetCounter().GetValue()
		}
	}
	return out
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// writeConfig writes an indexer.yml with one route from topic whose
// target is the YAML of its index or data_stream, through the nginx
// example pipeline if nginx.
func (e *outEnv) writeConfig(t *testing.T, group, topic, target string, nginx bool) string {
	t.Helper()
	return writeIndexerConfig(t, e.broker, e.node.url, group, topic, target, nginxPipeline(e.root, nginx))
}

func (e *outEnv) startProcess(t *testing.T, path string) (*testpeer.Process, string) {
	t.Helper()
	return startIndexerProcess(t, path)
}

func (e *outEnv) waitCount(t *testing.T, index string, want int) {
	t.Helper()
	waitForCount(t, func() int { return e.count(t, index, "") }, index, want, waitAll)
}

func (e *outEnv) waitCommitted(t *testing.T, group, topic string, want int) {
	t.Helper()
	waitForCommitted(t, e.broker, group, want, 60*time.Second)
}

// runInProcess runs an indexer in-process from the config at path until
// stop.
func runInProcess(t *testing.T, path string, log *slog.Logger) (ix *indexer.Indexer, stop func()) {
	t.Helper()
	cfg, err := indexer.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if ix, err = indexer.New(cfg, log); err != nil {
		t.Fatal(err)
	}
	return ix, testcluster.Run(t, "indexer", time.Minute, ix.Run)
}
