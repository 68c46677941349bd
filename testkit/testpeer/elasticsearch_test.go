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
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// TestElasticsearchPeer checks each release line's Elasticsearch peer end
// to end with the official Go client: bulk indexing, refresh, _count and a
// match query.
func TestElasticsearchPeer(t *testing.T) {
	for _, r := range ElasticsearchReleases() {
		t.Run(r.Line, func(t *testing.T) { testElasticsearchPeer(t, r) })
	}
}

func testElasticsearchPeer(t *testing.T, r ElasticsearchRelease) {
	start := time.Now()
	es := StartElasticsearchRelease(t, r) // fails unless it reports r.Version
	t.Logf("elasticsearch %s answered GET / %v after it was started", es.Version, time.Since(start).Round(100*time.Millisecond))
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

	// Several bulk requests of 250 documents each, every item answered 201.
	const perRequest = 250
	for from := 0; from < docs; from += perRequest {
		var body bytes.Buffer
		for i := from; i < from+perRequest; i++ {
			doc, err := json.Marshal(map[string]any{"n": i, "message": esMessage(i)})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&body, "{\"index\":{\"_id\":\"%d\"}}\n%s\n", i, doc)
		}
		var res struct {
			Errors bool `json:"errors"`
			Items  []map[string]struct {
				ID     string `json:"_id"`
				Status int    `json:"status"`
			} `json:"items"`
		}
		esDecode(t, "bulk", &res, func() (*esapi.Response, error) {
			return c.Bulk(&body, c.Bulk.WithContext(ctx), c.Bulk.WithIndex(index))
		})
		if res.Errors || len(res.Items) != perRequest {
			t.Fatalf("bulk from %d: errors %v, %d items, want %d", from, res.Errors, len(res.Items), perRequest)
		}
		for k, item := range res.Items {
			if it := item["index"]; it.Status != 201 || it.ID != strconv.Itoa(from+k) {
				t.Fatalf("bulk item %d: %+v, want _id %d created", from+k, item, from+k)
			}
		}
	}

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
	if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", es.Proc.Pid())); err == nil {
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

func esSearch(ctx context.Context, t *testing.T, c *esapi.API, index, query string) esSearchHits {
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
