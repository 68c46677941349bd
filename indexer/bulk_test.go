package indexer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBulk is an HTTP server that answers _bulk requests: each item gets
// the status status(id) returns, and every request's lines are recorded.
type fakeBulk struct {
	t      *testing.T
	status func(id string) int
	fail   int // a status for the whole request instead, if not 0

	mu       sync.Mutex
	requests [][]string // the lines of each request
	query    []string
}

func (f *fakeBulk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_bulk" || r.Method != http.MethodPost {
		f.t.Errorf("request %s %s", r.Method, r.URL.Path)
	}
	var lines []string
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 16<<20) // documents of a few MB
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	f.mu.Lock()
	f.requests = append(f.requests, lines)
	f.query = append(f.query, r.URL.RawQuery)
	fail := f.fail
	f.mu.Unlock()
	if fail != 0 {
		http.Error(w, `{"error":"no"}`, fail)
		return
	}
	var items []map[string]any
	for i := 0; i+1 < len(lines); i += 2 {
		var action map[string]struct { // index or create
			ID string `json:"_id"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &action); err != nil || len(action) != 1 {
			f.t.Errorf("action line %q: %v", lines[i], err)
		}
		for op, a := range action {
			st := f.status(a.ID)
			item := map[string]any{"status": st}
			if st >= 300 {
				typ := "mapper_parsing_exception"
				if st == 409 {
					typ = "version_conflict_engine_exception"
				}
				item["error"] = map[string]any{"type": typ, "reason": "bad " + a.ID,
					"caused_by": map[string]any{"type": "x", "reason": "y"}}
			}
			items = append(items, map[string]any{op: item})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": true, "items": items})
}

func (f *fakeBulk) lines() (n int, reqs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.requests {
		n += len(r)
	}
	return n, len(f.requests)
}

func newTestBulker(t *testing.T, f *fakeBulk, workers, flushBytes int) *bulker {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	tr, err := newClient(ElasticsearchConfig{Hosts: []string{srv.URL + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	b := newBulker(context.Background(), tr, workers, flushBytes, time.Hour, nil)
	t.Cleanup(b.Close)
	return b
}

// answers collects the answers of items by id.
type answers struct {
	mu  sync.Mutex
	wg  sync.WaitGroup
	got map[string]bulkResult
	err map[string]error
}

func (a *answers) item(index, id, body string) bulkItem {
	a.wg.Add(1)
	return bulkItem{index: index, id: id, body: bytes.NewReader([]byte(body)), answer: func(res bulkResult, err error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if _, dup := a.got[id]; dup {
			panic("answered twice: " + id)
		}
		a.got[id], a.err[id] = res, err
		a.wg.Done()
	}}
}

func newAnswers() *answers {
	return &answers{got: map[string]bulkResult{}, err: map[string]error{}}
}

// TestBulkerAnswersEachItem: every item gets its own status back, in a
// request body of action and document lines, sent when the buffer passes
// flushBytes or on Flush.
func TestBulkerAnswersEachItem(t *testing.T) {
	f := &fakeBulk{t: t, status: func(id string) int {
		if strings.HasSuffix(id, "7") {
			return 400
		}
		if strings.HasSuffix(id, "3") {
			return 429
		}
		return 201
	}}
	b := newTestBulker(t, f, 2, 300)
	a := newAnswers()
	ctx := context.Background()
	for i := range 50 {
		if err := b.Add(ctx, a.item("logs-x", fmt.Sprintf("id-%d", i), fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a.wg.Wait() // Flush returned: all 50 answered
	for i := range 50 {
		id := fmt.Sprintf("id-%d", i)
		want := 201
		switch i % 10 {
		case 7:
			want = 400
		case 3:
			want = 429
		}
		if a.err[id] != nil || a.got[id].Status != want {
			t.Errorf("%s: %+v, %v; want status %d", id, a.got[id], a.err[id], want)
		}
		if want == 400 && (a.got[id].Error.Type != "mapper_parsing_exception" || a.got[id].Error.Reason != "bad "+id || a.got[id].Error.Cause.Type != "x") {
			t.Errorf("%s: error %+v", id, a.got[id].Error)
		}
	}
	lines, reqs := f.lines()
	if lines != 100 {
		t.Errorf("%d lines sent, want 100 (an action and a document each)", lines)
	}
	if reqs < 3 {
		t.Errorf("%d requests: the 300-byte flush size was not applied", reqs)
	}
	if !strings.Contains(f.query[0], "filter_path=") {
		t.Errorf("query %q: no filter_path", f.query[0])
	}
}

// TestBulkerRequestFailure: a request refused as a whole (or unreachable)
// answers each of its items with the error and no status.
func TestBulkerRequestFailure(t *testing.T) {
	f := &fakeBulk{t: t, fail: http.StatusRequestEntityTooLarge, status: func(string) int { return 201 }}
	b := newTestBulker(t, f, 1, 1<<20)
	a := newAnswers()
	ctx := context.Background()
	for i := range 3 {
		if err := b.Add(ctx, a.item("i", fmt.Sprint(i), "{}")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a.wg.Wait()
	for id, err := range a.err {
		if err == nil || !strings.Contains(err.Error(), "413") || a.got[id].Status != 0 {
			t.Errorf("%s: %+v, %v; want the 413 as the error", id, a.got[id], err)
		}
	}
	if len(a.err) != 3 {
		t.Errorf("%d answers", len(a.err))
	}

	// Unreachable: the transport's error.
	tr, err := newClient(ElasticsearchConfig{Hosts: []string{"http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	b2 := newBulker(ctx, tr, 1, 1<<20, time.Hour, nil)
	a2 := newAnswers()
	if err := b2.Add(ctx, a2.item("i", "x", "{}")); err != nil {
		t.Fatal(err)
	}
	b2.Close() // sends what it holds
	a2.wg.Wait()
	if a2.err["x"] == nil {
		t.Errorf("unreachable: answered %+v without an error", a2.got["x"])
	}
	if err := b2.Add(ctx, a2.item("i", "y", "{}")); err == nil {
		t.Error("Add after Close succeeded")
	}
}

// TestBulkerEscapesActionLine: index names and ids are JSON strings in the
// action line, whatever they hold; an empty id is left to Elasticsearch.
func TestBulkerEscapesActionLine(t *testing.T) {
	f := &fakeBulk{t: t, status: func(string) int { return 201 }}
	b := newTestBulker(t, f, 1, 1<<20)
	a := newAnswers()
	ctx := context.Background()
	for _, id := range []string{`a"b\c`, "line\nbreak", ""} {
		if err := b.Add(ctx, a.item("idx", id, `{"m":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a.wg.Wait()
	want := []string{
		`{"index":{"_index":"idx","_id":"a\"b\\c"}}`, `{"m":1}`,
		`{"index":{"_index":"idx","_id":"line\nbreak"}}`, `{"m":1}`,
		`{"index":{"_index":"idx"}}`, `{"m":1}`,
	}
	if got := f.requests[0]; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("body:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBulkerInterval: what a worker holds goes out after flushInterval
// without a Flush.
func TestBulkerInterval(t *testing.T) {
	f := &fakeBulk{t: t, status: func(string) int { return 200 }}
	srv := httptest.NewServer(f)
	defer srv.Close()
	tr, err := newClient(ElasticsearchConfig{Hosts: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	b := newBulker(context.Background(), tr, 1, 1<<20, 10*time.Millisecond, nil)
	defer b.Close()
	a := newAnswers()
	if err := b.Add(context.Background(), a.item("i", "x", "{}")); err != nil {
		t.Fatal(err)
	}
	a.wg.Wait() // would hang (and the test time out) without the interval
	if a.got["x"].Status != 200 {
		t.Errorf("answer %+v", a.got["x"])
	}
}
