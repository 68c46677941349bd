package indexer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestDataStreamCreateDuplicates: a data_stream route sends create
// actions to <type>-<dataset>-<namespace>, stamps data_stream.* and
// @timestamp on every document, and takes a create's 409 version
// conflict (the _id is there already: a replay) as done, counted as a
// duplicate: not a dead letter, and the offsets after it are committed.
func TestDataStreamCreateDuplicates(t *testing.T) {
	const topic = "ds"
	e := newHardEnv(t, 0, func(id string) int {
		if id == DocumentID(topic, 0, 1) || id == DocumentID(topic, 0, 3) {
			return 409
		}
		return 201
	})
	testcluster.CreateTopic(t, e.broker, topic, 1)
	e.produce(t, topic, []byte(`{"message":"a"}`), []byte(`{"message":"b"}`), []byte(`{"message":"c","data_stream":{"other":1}}`),
		[]byte(`{"message":"d"}`), []byte(`{"message":"e","@timestamp":"2024-01-02T03:04:05Z"}`))
	cfg := e.config(t, topic, "")
	cfg.Routes[0].Index = ""
	cfg.Routes[0].DataStream = &DataStream{Dataset: "app"}
	ix, err := New(cfg, testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	testcluster.Run(t, "indexer", time.Minute, ix.Run)
	e.waitCommitted(t, "hard-"+topic, topic, 5)
	if got := value(t, ix.events.WithLabelValues("duplicate")); got != 2 {
		t.Errorf("duplicates %v, want 2", got)
	}
	if got := value(t, ix.events.WithLabelValues("indexed")); got != 3 {
		t.Errorf("indexed %v, want 3", got)
	}
	if got := value(t, ix.events.WithLabelValues("dead_letter")); got != 0 {
		t.Errorf("dead letters %v, want 0", got)
	}
	e.es.mu.Lock()
	defer e.es.mu.Unlock()
	n := 0
	for _, req := range e.es.requests {
		for i := 0; i+1 < len(req); i += 2 {
			n++
			if !strings.HasPrefix(req[i], `{"create":{"_index":"logs-app-default","_id":"ds-0-`) {
				t.Errorf("action %s: want a create into logs-app-default", req[i])
			}
			var doc struct {
				Timestamp  string         `json:"@timestamp"`
				DataStream map[string]any `json:"data_stream"`
			}
			if err := json.Unmarshal([]byte(req[i+1]), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Timestamp == "" || doc.DataStream["type"] != "logs" || doc.DataStream["dataset"] != "app" || doc.DataStream["namespace"] != "default" {
				t.Errorf("document %s: want @timestamp and data_stream {logs, app, default}", req[i+1])
			}
			if strings.Contains(req[i+1], `"message":"c"`) && doc.DataStream["other"] != float64(1) {
				t.Errorf("document %s: data_stream.other lost", req[i+1])
			}
		}
	}
	if n != 5 {
		t.Errorf("%d documents sent, want 5", n)
	}
}

// TestPipelineMetadata: the _index and _id a pipeline sets name the
// document's index and id, and leave its body; a non-string _id is the
// event's failure (dead letter).
func TestPipelineMetadata(t *testing.T) {
	const topic = "meta"
	e := newHardEnv(t, 0, func(string) int { return 201 })
	testcluster.CreateTopic(t, e.broker, topic, 1)
	e.produce(t, topic, []byte(`{"k":"a"}`), []byte(`{"k":"b","bad":true}`), []byte(`{"k":"c","plain":true}`))
	ix, err := New(e.config(t, topic, `processors:
  - set: {field: _index, value: 'idx-{{k}}', if: 'plain == nil'}
  - set: {field: _id, value: 'id-{{k}}', if: 'bad == nil && plain == nil'}
  - set: {field: _id, value: 5, if: 'bad != nil'}
`), testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	testcluster.Run(t, "indexer", time.Minute, ix.Run)
	e.waitCommitted(t, "hard-"+topic, topic, 3)
	dl := e.deadLetters(t, topic, 1)[1]
	if !strings.Contains(dl.Reason, "the pipeline set _id to 5") {
		t.Errorf("dead letter %+v: want the bad _id", dl)
	}
	e.es.mu.Lock()
	defer e.es.mu.Unlock()
	var got []string
	for _, req := range e.es.requests {
		got = append(got, req...)
	}
	// Action and document pairs, in any order: the events may go in one
	// bulk request or in two, in either order.
	want := []string{
		`{"index":{"_index":"idx-a","_id":"id-a"}} {"k":"a"}`,
		`{"index":{"_index":"logs","_id":"meta-0-2"}} {"k":"c","plain":true}`,
	}
	if len(got) != 2*len(want) {
		t.Fatalf("bulk lines %q, want the pairs %q", got, want)
	}
	var pairs []string
	for i := 0; i < len(got); i += 2 {
		var m map[string]any // the document: the indexer added @timestamp
		if err := json.Unmarshal([]byte(got[i+1]), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "@timestamp")
		b, _ := json.Marshal(m)
		pairs = append(pairs, got[i]+" "+string(b))
	}
	slices.Sort(pairs)
	if !slices.Equal(pairs, want) {
		t.Errorf("bulk pairs %q, want %q", pairs, want)
	}
}
