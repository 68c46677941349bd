package testpeer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/elastic/go-elasticsearch/v8/esutil"
)

// TestElasticsearchPeer checks the Elasticsearch peer end to end with the
// official Go client: bulk indexing, refresh, _count and a match query.
func TestElasticsearchPeer(t *testing.T) {
	es := StartElasticsearch(t)
	if es.Version != ElasticsearchVersion {
		t.Fatalf("node reports version %q, want %q", es.Version, ElasticsearchVersion)
	}
	c := es.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const index = "smoke"
	const docs = 1000

	// One shard, no replica: the single node can make the index green.
	esMustOK(t, "create index", func() (*esapi.Response, error) {
		return c.Indices.Create(index, c.Indices.Create.WithContext(ctx), c.Indices.Create.WithBody(strings.NewReader(
			`{"settings":{"number_of_shards":1,"number_of_replicas":0},`+
				`"mappings":{"properties":{"message":{"type":"text"},"n":{"type":"integer"}}}}`)))
	})
	esMustOK(t, "cluster health", func() (*esapi.Response, error) {
		return c.Cluster.Health(c.Cluster.Health.WithContext(ctx), c.Cluster.Health.WithIndex(index),
			c.Cluster.Health.WithWaitForStatus("green"), c.Cluster.Health.WithTimeout(60*time.Second))
	})

	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:     c,
		Index:      index,
		NumWorkers: 2,
		FlushBytes: 32 << 10, // several bulk requests for 1,000 documents
		OnError:    func(_ context.Context, err error) { t.Errorf("bulk indexer: %v", err) },
	})
	if err != nil {
		t.Fatalf("bulk indexer: %v", err)
	}
	var mu sync.Mutex
	var failures []string
	for i := range docs {
		body, err := json.Marshal(map[string]any{"n": i, "message": esMessage(i)})
		if err != nil {
			t.Fatal(err)
		}
		err = bi.Add(ctx, esutil.BulkIndexerItem{
			Action:     "index",
			DocumentID: strconv.Itoa(i),
			Body:       bytes.NewReader(body),
			OnFailure: func(_ context.Context, item esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
				mu.Lock()
				defer mu.Unlock()
				failures = append(failures, fmt.Sprintf("doc %s: %v %s: %s", item.DocumentID, err, res.Error.Type, res.Error.Reason))
			},
		})
		if err != nil {
			t.Fatalf("bulk add %d: %v", i, err)
		}
	}
	if err := bi.Close(ctx); err != nil {
		t.Fatalf("bulk close: %v", err)
	}
	stats := bi.Stats()
	if len(failures) > 0 {
		t.Fatalf("%d bulk failures, first: %s", len(failures), failures[0])
	}
	if stats.NumAdded != docs || stats.NumFailed != 0 || stats.NumFlushed != docs || stats.NumIndexed != docs {
		t.Fatalf("bulk stats %+v, want %d added, flushed and indexed, 0 failed", stats, docs)
	}
	t.Logf("bulk: %d documents in %d requests", stats.NumFlushed, stats.NumRequests)

	esMustOK(t, "refresh", func() (*esapi.Response, error) {
		return c.Indices.Refresh(c.Indices.Refresh.WithContext(ctx), c.Indices.Refresh.WithIndex(index))
	})

	var count struct {
		Count int `json:"count"`
	}
	esDecode(t, "count", &count, func() (*esapi.Response, error) {
		return c.Count(c.Count.WithContext(ctx), c.Count.WithIndex(index))
	})
	if count.Count != docs {
		t.Fatalf("_count = %d, want %d", count.Count, docs)
	}

	const want = 421
	hits := esSearch(ctx, t, c, index, `{"query":{"match":{"message":"`+esMarker(want)+`"}}}`)
	if hits.Total.Value != 1 || len(hits.Hits) != 1 {
		t.Fatalf("match %s: %d hits (total %d), want exactly 1", esMarker(want), len(hits.Hits), hits.Total.Value)
	}
	got := hits.Hits[0]
	if got.ID != strconv.Itoa(want) || got.Source.N != want || got.Source.Message != esMessage(want) {
		t.Fatalf("match %s found _id %q %+v, want _id %q with message %q", esMarker(want), got.ID, got.Source, strconv.Itoa(want), esMessage(want))
	}

	// run.sh execs java, so the process we started is the JVM.
	if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", es.Process.cmd.Process.Pid)); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
				t.Logf("elasticsearch node %s", strings.Join(strings.Fields(line), " "))
			}
		}
	}
}

// marker is a word that only document i contains.
func esMarker(i int) string { return fmt.Sprintf("marker%04d", i) }

func esMessage(i int) string {
	return fmt.Sprintf("line %d of the smoke test carries %s", i, esMarker(i))
}

type esSearchHits struct {
	Total struct {
		Value int `json:"value"`
	} `json:"total"`
	Hits []struct {
		ID     string `json:"_id"`
		Source struct {
			N       int    `json:"n"`
			Message string `json:"message"`
		} `json:"_source"`
	} `json:"hits"`
}

func esSearch(ctx context.Context, t *testing.T, c *elasticsearch.Client, index, query string) esSearchHits {
	t.Helper()
	var res struct {
		Hits esSearchHits `json:"hits"`
	}
	esDecode(t, "search", &res, func() (*esapi.Response, error) {
		return c.Search(c.Search.WithContext(ctx), c.Search.WithIndex(index), c.Search.WithBody(strings.NewReader(query)))
	})
	return res.Hits
}

// mustOK performs a request and fails the test unless it succeeded.
func esMustOK(t *testing.T, what string, do func() (*esapi.Response, error)) {
	t.Helper()
	esDecode(t, what, nil, do)
}

// decode performs a request, fails the test unless it succeeded, and
// decodes the JSON answer into v (if not nil).
func esDecode(t *testing.T, what string, v any, do func() (*esapi.Response, error)) {
	t.Helper()
	res, err := do()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s: read answer: %v", what, err)
	}
	if res.IsError() {
		t.Fatalf("%s: %s: %s", what, res.Status(), body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: decode %s: %v", what, body, err)
		}
	}
}
