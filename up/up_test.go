package up_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
	"github.com/sluicelogs/sluice/up"
)

// The lines of TestUpTailToElasticsearch: 10,000 in all.
const (
	nginxLines = 5500 // through examples/pipelines/nginx.yml
	appLines   = 4000 // through examples/pipelines/app-json.yml
	plainLines = 500  // no pipeline: unchanged
	allLines   = nginxLines + appLines + plainLines
)

// TestUpTailToElasticsearch: sluice up tails three inputs, half of their
// lines written before it starts and half while it runs (one nginx file
// appearing then), and indexes exactly one document per line into a real
// Elasticsearch; each nginx and app line is found by a field its pipeline
// parsed, and each plain line by its input. After a stop, the counters
// say everything was read, shipped and indexed with no lag; started again
// on the same data folder, it reads and indexes only the lines written
// since.
func TestUpTailToElasticsearch(t *testing.T) {
	root, err := testpeer.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	es := testpeer.StartElasticsearch(t)
	esc := es.Client(t)
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	appendLines(t, filepath.Join(logs, "nginx-1.log"), 0, nginxLines/2, nginxLine)
	appendLines(t, filepath.Join(logs, "app-json.log"), 0, appLines/2, appLine)
	appendLines(t, filepath.Join(logs, "plain.log"), 0, plainLines/2, plainLine)

	cfg, err := up.Parse("", nil, up.Flags{
		Data:            filepath.Join(dir, "data"),
		Tail:            []string{filepath.Join(logs, "nginx*.log"), filepath.Join(logs, "app-json*.log"), "plain=" + filepath.Join(logs, "plain.log")},
		Pipelines:       filepath.Join(root, "examples", "pipelines"),
		ES:              es.URL,
		Index:           "uptest-%{+yyyy.MM.dd}",
		CoordinatorAddr: "127.0.0.1:" + strconv.Itoa(testpeer.FreePort(t)),
		BrokerAddr:      "127.0.0.1:" + strconv.Itoa(testpeer.FreePort(t)),
	})
	if err != nil {
		t.Fatal(err)
	}
	first := start(t, cfg)
	await.Eventually(t, 3*time.Minute, 250*time.Millisecond, func() error {
		if c := count(t, esc, "uptest-*", ""); c < 1 {
			return fmt.Errorf("%d documents yet", c)
		}
		return nil
	})
	appendLines(t, filepath.Join(logs, "nginx-2.log"), nginxLines/2, nginxLines, nginxLine) // a new file
	appendLines(t, filepath.Join(logs, "app-json.log"), appLines/2, appLines, appLine)
	appendLines(t, filepath.Join(logs, "plain.log"), plainLines/2, plainLines, plainLine)

	waitCount(t, esc, allLines)
	out := first.stop(t)
	t.Logf("sluice up wrote:\n%s", out)
	if c := count(t, esc, "uptest-*", ""); c != allLines {
		t.Errorf("after the stop: %d documents, want %d", c, allLines)
	}
	// Each line by a field its pipeline parsed, exactly once.
	checkTerms(t, esc, "url.original", nginxLines, func(i int) string { return fmt.Sprintf("/item/%d", i) })
	checkTerms(t, esc, "labels.order_id", appLines, func(i int) string { return strconv.Itoa(100000 + i) })
	if c := count(t, esc, "uptest-*", `{"query":{"term":{"http.response.status_code":404}}}`); c != nginxLines/5 {
		t.Errorf("%d documents with status 404, want %d", c, nginxLines/5)
	}
	if c := count(t, esc, "uptest-*", `{"query":{"bool":{"filter":[{"term":{"input.id":"plain"}},{"match_phrase":{"message":"plain line"}}]}}}`); c != plainLines {
		t.Errorf("%d plain documents, want %d", c, plainLines)
	}
	if c := count(t, esc, "uptest-*", `{"query":{"exists":{"field":"error"}}}`); c != 0 {
		t.Errorf("%d documents with a pipeline error", c)
	}
	want := fmt.Sprintf("sluice up stopped: read %[1]s  shipped %[1]s  indexed %[1]s  lag 0", "10,000")
	if !strings.Contains(out, want) {
		t.Errorf("the summary does not say %q", want)
	}

	// Started again on the same data folder, it reads only the new lines
	// (the agent's registry) and indexes only them (the committed offsets).
	appendLines(t, filepath.Join(logs, "plain.log"), plainLines, plainLines+restartLines, plainLine)
	second := start(t, cfg)
	waitCount(t, esc, allLines+restartLines)
	out = second.stop(t)
	want = fmt.Sprintf("sluice up stopped: read %[1]s  shipped %[1]s  indexed %[1]s  lag 0", strconv.Itoa(restartLines))
	if !strings.Contains(out, want) {
		t.Errorf("after the restart, the summary does not say %q:\n%s", want, out)
	}
	if c := count(t, esc, "uptest-*", ""); c != allLines+restartLines {
		t.Errorf("after the restart: %d documents, want %d", c, allLines+restartLines)
	}
}

// restartLines are written for the second start.
const restartLines = 300

// running is a sluice up started by a test.
type running struct {
	cancel context.CancelFunc
	done   chan error
	out    *bytes.Buffer // read only once Run returned
}

// start runs sluice up in the background; the test's end stops it if
// stop was not called.
func start(t *testing.T, cfg *up.Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1), out: &bytes.Buffer{}}
	go func() {
		r.done <- up.Run(ctx, cfg, up.Options{Version: "test", Log: testcluster.Logger(), Out: r.out, Every: time.Second})
	}()
	t.Cleanup(func() {
		if r.cancel != nil {
			r.cancel()
			<-r.done
		}
	})
	return r
}

// stop stops it as Ctrl-C does, fails the test if Run returned an error,
// and returns what it wrote.
func (r *running) stop(t *testing.T) string {
	t.Helper()
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("sluice up: %v\n%s", err, r.out.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("sluice up did not stop within 2 minutes")
	}
	return r.out.String()
}

// waitCount waits until uptest-* holds want documents, failing if it
// ever holds more.
func waitCount(t *testing.T, esc *esapi.API, want int) {
	t.Helper()
	await.Eventually(t, 3*time.Minute, 250*time.Millisecond, func() error {
		c := count(t, esc, "uptest-*", "")
		if c > want {
			t.Fatalf("%d documents, more than the %d lines", c, want)
		}
		if c != want {
			return fmt.Errorf("%d documents, want %d", c, want)
		}
		return nil
	})
}

// nginxLine is a combined-format line with the unique URL /item/i and a
// status of 200, 304, 404, 503 or 200 in turn; the lines span two days.
func nginxLine(i int) string {
	at := time.Date(2024, 5, 1, 20, 0, 0, 0, time.UTC).Add(time.Duration(i) * 10 * time.Second)
	status := []int{200, 304, 404, 503, 200}[i%5]
	return fmt.Sprintf(`10.0.%d.%d - - [%s] "GET /item/%d HTTP/1.1" %d %d "-" "curl/8.5.0"`,
		i/256%256, i%256, at.Format("02/Jan/2006:15:04:05 -0700"), i, status, 100+i%900)
}

// appLine is a JSON application line with the unique order_id 100000+i.
func appLine(i int) string {
	at := time.Date(2024, 5, 1, 20, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	level := []string{"INFO", "WARN", "ERROR"}[i%3]
	return fmt.Sprintf(`{"time":%q,"level":%q,"msg":"order placed","logger":"shop.orders","order_id":%d}`, at.Format(time.RFC3339Nano), level, 100000+i)
}

func plainLine(i int) string { return fmt.Sprintf("plain line %d", i) }

// appendLines appends lines [from, to) to path in one write.
func appendLines(t *testing.T, path string, from, to int, line func(int) string) {
	t.Helper()
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(line(i))
		b.WriteByte('\n')
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// count refreshes the indices and counts the documents matching query
// ("" for all); -1 when Elasticsearch does not answer.
func count(t *testing.T, esc *esapi.API, index, query string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := esc.Indices.Refresh(esc.Indices.Refresh.WithContext(ctx), esc.Indices.Refresh.WithIndex(index))
	if err != nil {
		return -1
	}
	res.Body.Close()
	opts := []func(*esapi.CountRequest){esc.Count.WithContext(ctx), esc.Count.WithIndex(index)}
	if query != "" {
		opts = append(opts, esc.Count.WithBody(strings.NewReader(query)))
	}
	res, err = esc.Count(opts...)
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

// checkTerms checks that field has exactly the n values key(0..n-1), each
// in one document.
func checkTerms(t *testing.T, esc *esapi.API, field string, n int, key func(int) string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := fmt.Sprintf(`{"size":0,"aggs":{"v":{"terms":{"field":%q,"size":%d}}}}`, field, n+10)
	res, err := esc.Search(esc.Search.WithContext(ctx), esc.Search.WithIndex("uptest-*"), esc.Search.WithBody(strings.NewReader(q)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.IsError() {
		t.Fatalf("terms of %s: %s", field, res.String())
	}
	var body struct {
		Aggregations struct {
			V struct {
				Buckets []struct {
					Key      any `json:"key"`
					DocCount int `json:"doc_count"`
				} `json:"buckets"`
			} `json:"v"`
		} `json:"aggregations"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, b := range body.Aggregations.V.Buckets {
		got[fmt.Sprint(b.Key)] = b.DocCount
	}
	for i := range n {
		if c := got[key(i)]; c != 1 {
			t.Fatalf("%s %s: %d documents, want 1", field, key(i), c)
		}
	}
	if len(got) != n {
		t.Errorf("%s has %d values, want %d", field, len(got), n)
	}
}
