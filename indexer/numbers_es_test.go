package indexer_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/indexer"
)

// testNumbers (issue 17): numbers reach Elasticsearch as they were
// written. A 64-bit id beyond float64's 2^53 comes back exact in
// _source, and a field whose first value is a whole float (2.0) is
// mapped float, so a later 2.5 keeps its fraction (a long field would
// index it as 2, and ratio > 2.2 would not find it). An integer beyond
// int64 (12345678901234567890) is not tried: Elasticsearch maps it long
// and refuses the document, as it does when sent one directly.
func (e *env) testNumbers(t *testing.T) {
	const topic, group, index = "numbers", "numbers", "logs-numbers"
	createTopic(t, e.broker, topic, 1)
	cl := newClient(t, e.broker)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first := &kgo.Record{Topic: topic, Value: []byte(`{"message":"first","id":9007199254740993,"ratio":2.0}`),
		Headers: []kgo.RecordHeader{{Key: indexer.IDHeader, Value: []byte("first")}}}
	if err := cl.ProduceSync(ctx, first).FirstErr(); err != nil {
		t.Fatal(err)
	}
	stop := e.startIndexer(t, group, topic, index, false)
	defer stop()
	e.waitCount(t, index, 1, waitAll)
	second := &kgo.Record{Topic: topic, Value: []byte(`{"message":"second","ratio":2.5}`)}
	if err := cl.ProduceSync(ctx, second).FirstErr(); err != nil {
		t.Fatal(err)
	}
	e.waitCount(t, index, 2, waitAll)
	if got := e.count(t, index, `{"query":{"range":{"ratio":{"gt":2.2}}}}`); got != 1 {
		t.Errorf("ratio > 2.2 matches %d documents, want the one with 2.5", got)
	}

	var mapping map[string]struct {
		Mappings struct {
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
		} `json:"mappings"`
	}
	if err := e.es.Do(ctx, http.MethodGet, "/"+index+"/_mapping", nil, &mapping); err != nil {
		t.Fatal(err)
	}
	props := mapping[index].Mappings.Properties
	if got := props["ratio"].Type; got != "float" {
		t.Errorf("ratio, first seen as 2.0, is mapped %q, want float", got)
	}
	if got := props["id"].Type; got != "long" {
		t.Errorf("id is mapped %q, want long", got)
	}

	// _source is what the bulk body held: read its bytes, not a decoding.
	var raw bytes.Buffer
	res, err := e.esc.Get(index, "first", e.esc.Get.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := raw.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id":9007199254740993`, `"ratio":2.0`} {
		if !bytes.Contains(raw.Bytes(), []byte(want)) {
			t.Errorf("_source lacks %s: %s", want, raw.Bytes())
		}
	}
}
