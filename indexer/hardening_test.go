package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/pipelines"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// The tests of issue 14: one record must not stop the pipeline. They run
// an indexer in-process against an in-process broker and a fake
// Elasticsearch (fakeBulk).

// hardEnv is a broker, its dead-letter topic and a fake Elasticsearch.
type hardEnv struct {
	broker string
	es     *fakeBulk
	esURL  string
}

// newHardEnv starts a coordinator and a broker whose message.max.bytes
// is maxBytes (0: the default), creates the dead-letter topic and starts
// a fake Elasticsearch that answers status(id) for each document.
func newHardEnv(t *testing.T, maxBytes int32, status func(id string) int) *hardEnv {
	t.Helper()
	zk := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zk, "", func(c *broker.Config) {
		if maxBytes > 0 {
			c.MessageMaxBytes = maxBytes
		}
	})
	testcluster.CreateTopic(t, b.Addr(), "sluice-dlq", 1)
	f := &fakeBulk{t: t, status: status}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &hardEnv{broker: b.Addr(), es: f, esURL: srv.URL}
}

// config is a one-route config from topic into the fake Elasticsearch;
// pipeline is a definition ("" for none).
func (e *hardEnv) config(t *testing.T, topic, pipeline string) Config {
	t.Helper()
	cfg := Defaults()
	cfg.Kafka.Hosts = []string{e.broker}
	cfg.Kafka.Group = "hard-" + topic
	cfg.Elasticsearch.Hosts = []string{e.esURL}
	cfg.Elasticsearch.Template = "-"
	cfg.MaxBackoff = 200 * time.Millisecond
	cfg.Routes = []Route{{Topics: []string{topic}, Index: "logs"}}
	if pipeline != "" {
		path := filepath.Join(t.TempDir(), "p.yml")
		if err := os.WriteFile(path, []byte(pipeline), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg.Routes[0].Pipeline = path
	}
	return cfg
}

// produce writes values to topic, in order, on partition 0.
func (e *hardEnv) produce(t *testing.T, topic string, values ...[]byte) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.broker), kgo.ProducerBatchMaxBytes(4<<20), kgo.MaxBufferedBytes(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, v := range values { // one at a time: each its own batch
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: v}).FirstErr(); err != nil {
			t.Fatalf("produce %d bytes: %v", len(v), err)
		}
	}
}

// waitCommitted waits until group committed offset want on topic's
// partition 0.
func (e *hardEnv) waitCommitted(t *testing.T, group, topic string, want int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return err
		}
		if o, ok := offs.Lookup(topic, 0); !ok || o.At != want {
			return fmt.Errorf("group %s committed %+v, want %d", group, o, want)
		}
		return nil
	})
}

// deadLetters reads n letters about topic from the dead-letter topic,
// by offset.
func (e *hardEnv) deadLetters(t *testing.T, topic string, n int) map[int64]DeadLetter {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.broker), kgo.ConsumeTopics("sluice-dlq"), kgo.FetchMaxBytes(8<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[int64]DeadLetter{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for len(got) < n && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var dl DeadLetter
			if err := json.Unmarshal(r.Value, &dl); err != nil {
				t.Errorf("dead letter of %d bytes: %v", len(r.Value), err)
				return
			}
			if dl.Topic == topic {
				got[dl.Offset] = dl
			}
		})
	}
	if len(got) != n {
		t.Fatalf("%d dead letters about %s, want %d", len(got), topic, n)
	}
	return got
}

// TestDeadLetterTooLargeIsTruncated: a value full of quotes that
// Elasticsearch rejects grows by half once escaped into its dead letter,
// past the broker's message.max.bytes (64 KiB here). The broker's
// MESSAGE_TOO_LARGE is final, so the letter is cut until it fits (its
// place and reason kept, truncated and the original size said), counted,
// and the records after it are committed.
func TestDeadLetterTooLargeIsTruncated(t *testing.T) {
	const topic = "quotes"
	e := newHardEnv(t, 64<<10, func(id string) int {
		if id == DocumentID(topic, 0, 1) {
			return 400
		}
		return 201
	})
	testcluster.CreateTopic(t, e.broker, topic, 1)
	// Not JSON: the event is {"message": it}. Quotes and random
	// printable characters, so that compression does not bring it back
	// under the limit.
	rnd := rand.New(rand.NewPCG(14, 14))
	big := make([]byte, 62_000)
	for i := range big {
		big[i] = '"'
		if rnd.IntN(10) < 6 {
			big[i] = byte('(' + rnd.IntN(52)) // from ( to [, no quote or backslash
		}
	}
	e.produce(t, topic, []byte(`{"message":"before"}`), big, []byte(`{"message":"after"}`))

	ix, err := New(e.config(t, topic, ""), testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	testcluster.Run(t, "indexer", time.Minute, ix.Run)
	e.waitCommitted(t, "hard-"+topic, topic, 3)

	dl := e.deadLetters(t, topic, 1)[1]
	if !dl.Truncated || dl.OriginalSize != len(big) || !strings.Contains(dl.Reason, "mapper_parsing_exception") {
		t.Errorf("dead letter: truncated %v, original_size %d, reason %q; want truncated, %d, Elasticsearch's reason",
			dl.Truncated, dl.OriginalSize, dl.Reason, len(big))
	}
	if len(dl.Value) == 0 || !strings.HasPrefix(string(big), dl.Value) || len(dl.Value) >= len(big) {
		t.Errorf("dead letter value: %d bytes, want a head of the original", len(dl.Value))
	}
	if got := value(t, ix.dlqTruncated); got != 1 {
		t.Errorf("sluice_indexer_dead_letter_truncated_total = %v, want 1", got)
	}
	if got := value(t, ix.events.WithLabelValues("indexed")); got != 2 {
		t.Errorf("indexed %v, want 2", got)
	}
	if got := value(t, ix.dlqDropped); got != 0 {
		t.Errorf("dropped dead letters: %v", got)
	}
}

// TestDeadLetterOverMaxBytes: the 999 KB value full of quotes of issue
// 14, whose letter (1.5 MB escaped) is over dead_letter_max_bytes and the
// producer's batch limit, is cut to dead_letter_max_bytes before it is
// sent, with the default message.max.bytes.
func TestDeadLetterOverMaxBytes(t *testing.T) {
	e := newHardEnv(t, 0, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.broker), kgo.DefaultProduceTopic("sluice-dlq"),
		kgo.ProducerBatchMaxBytes(int32(Defaults().DeadLetterMaxBytes+1024)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ix, err := New(e.config(t, "src", ""), testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	rec := &kgo.Record{Topic: "src", Partition: 2, Offset: 77, Key: []byte("k"), Value: []byte(strings.Repeat(`"`, 999_000))}
	n, err := ix.deadLetter(context.Background(), cl, []*kgo.Record{rec}, []map[string]any{{"reason": "rejected"}})
	if err != nil || n != 1 {
		t.Fatalf("delivered %d, err %v", n, err)
	}
	dl := e.deadLetters(t, "src", 1)[77]
	if !dl.Truncated || dl.OriginalSize != 999_000 || dl.Partition != 2 || dl.Reason != "rejected" || len(dl.Value) < 400_000 {
		t.Errorf("dead letter: truncated %v, original_size %d, partition %d, reason %q, %d bytes of value",
			dl.Truncated, dl.OriginalSize, dl.Partition, dl.Reason, len(dl.Value))
	}
}

// TestDeadLetterRetriesBounded: when the dead-letter topic cannot be
// reached, the letter is given up on after dead_letter_timeout (counted
// and logged) rather than retried until shutdown, so its chunk finishes
// and commits.
func TestDeadLetterRetriesBounded(t *testing.T) {
	cfg := Defaults()
	cfg.Kafka.Hosts = []string{"127.0.0.1:1"} // nothing listens there
	cfg.Routes = []Route{{Topics: []string{"src"}, Index: "logs"}}
	cfg.DeadLetterTimeout = time.Second // the least franz-go takes
	ix, err := New(cfg, testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Kafka.Hosts...), kgo.DefaultProduceTopic("sluice-dlq"),
		kgo.RecordDeliveryTimeout(cfg.DeadLetterTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rec := &kgo.Record{Topic: "src", Offset: 5, Value: []byte("x")}
	n, err := ix.deadLetter(context.Background(), cl, []*kgo.Record{rec}, []map[string]any{{"reason": "r"}})
	if err != nil || n != 0 {
		t.Fatalf("delivered %d, err %v: want 0 and no error (given up)", n, err)
	}
	if got := value(t, ix.dlqDropped.WithLabelValues(dropTimeout)); got != 1 {
		t.Errorf("sluice_indexer_dead_letter_dropped_total{why=timeout} = %v, want 1", got)
	}

	// A stopping indexer is another matter: the chunk is not finished.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ix.deadLetter(ctx, cl, []*kgo.Record{rec}, []map[string]any{{"reason": "r"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("stopping: err %v, want context.Canceled", err)
	}
}

// TestEncodeLetter: a letter is cut to its limit, whatever its value
// holds, and stays valid JSON with its place.
func TestEncodeLetter(t *testing.T) {
	values := []string{
		strings.Repeat(`"`, 5000),
		strings.Repeat("é<>&\u2028\x01", 1000),
		strings.Repeat("\xff", 3000), // not UTF-8
		"short",
	}
	for _, limit := range []int{minLetterBytes, 3000, 10000} {
		for i, v := range values {
			dl := DeadLetter{Reason: strings.Repeat("r", 2000), Detail: map[string]any{"status": 400}, Topic: "t", Partition: 1, Offset: 9, Value: v}
			r, truncated, err := encodeLetter(dl, []byte("key"), limit)
			if err != nil {
				t.Fatalf("limit %d, value %d: %v", limit, i, err)
			}
			if len(r.Key)+len(r.Value) > limit {
				t.Errorf("limit %d, value %d: %d bytes", limit, i, len(r.Key)+len(r.Value))
			}
			var got DeadLetter
			if err := json.Unmarshal(r.Value, &got); err != nil {
				t.Fatalf("limit %d, value %d: %v", limit, i, err)
			}
			if got.Topic != "t" || got.Partition != 1 || got.Offset != 9 || got.Truncated != truncated || got.Reason == "" {
				t.Errorf("limit %d, value %d: %+v", limit, i, got)
			}
			if truncated && got.OriginalSize != len(v) {
				t.Errorf("limit %d, value %d: original_size %d, want %d", limit, i, got.OriginalSize, len(v))
			}
		}
	}
	if _, _, err := encodeLetter(DeadLetter{Topic: "t", Value: "v"}, []byte(strings.Repeat("k", 900)), 1000); err != nil {
		t.Errorf("a long key is cut: %v", err)
	}
	// A record's timestamp can be any int64 of milliseconds.
	rec := &kgo.Record{Topic: "t", Value: []byte("v"), Timestamp: time.UnixMilli(1 << 62)}
	if _, _, err := encodeLetter(newDeadLetter(rec, map[string]any{"reason": "r"}), nil, 1000); err != nil {
		t.Errorf("timestamp in the year %d: %v", rec.Timestamp.Year(), err)
	}
}

// TestPanicGoesToDeadLetter: a panic while one event is processed sends
// that event to the dead-letter topic with the panic's message, counts
// it, and the indexer goes on with the next ones.
func TestPanicGoesToDeadLetter(t *testing.T) {
	const topic = "panics"
	e := newHardEnv(t, 0, func(string) int { return 201 })
	testcluster.CreateTopic(t, e.broker, topic, 1)
	e.produce(t, topic, []byte(`{"message":"a"}`), []byte(`{"message":"boom"}`), []byte(`{"message":"c"}`))
	ix, err := New(e.config(t, topic, "processors: [{set: {field: seen, value: true}}]"), testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	run0 := ix.routes[0].run
	ix.routes[0].run = func(ev pipelines.Event) (pipelines.Event, bool, error) {
		if ev["message"] == "boom" {
			var m map[string]any
			m["x"] = 1 // assignment to entry in nil map
		}
		return run0(ev)
	}
	testcluster.Run(t, "indexer", time.Minute, ix.Run)
	e.waitCommitted(t, "hard-"+topic, topic, 3)
	dl := e.deadLetters(t, topic, 1)[1]
	if !strings.Contains(dl.Reason, "panic: assignment to entry in nil map") || dl.Value != `{"message":"boom"}` {
		t.Errorf("dead letter %+v: want the panic and the original value", dl)
	}
	if got := value(t, ix.panics); got != 1 {
		t.Errorf("sluice_indexer_pipeline_panics_total = %v, want 1", got)
	}
	if got := value(t, ix.events.WithLabelValues("indexed")); got != 2 {
		t.Errorf("indexed %v, want 2", got)
	}
}

// TestOverBudgetGoesToDeadLetter: an event over pipeline_timeout goes to
// the dead-letter topic with the reason, counted; the others are indexed.
// The budget is 1ns: every event is over it after its first processor.
func TestOverBudgetGoesToDeadLetter(t *testing.T) {
	const topic = "budget"
	e := newHardEnv(t, 0, func(string) int { return 201 })
	testcluster.CreateTopic(t, e.broker, topic, 1)
	e.produce(t, topic, []byte(`{"message":"a"}`), []byte(`{"message":"b"}`))
	cfg := e.config(t, topic, "processors: [{dissect: {field: message, pattern: '%{x}'}}]")
	cfg.PipelineTimeout = time.Nanosecond
	ix, err := New(cfg, testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	testcluster.Run(t, "indexer", time.Minute, ix.Run)
	e.waitCommitted(t, "hard-"+topic, topic, 2)
	letters := e.deadLetters(t, topic, 2)
	for off, dl := range letters {
		if !strings.Contains(dl.Reason, "over the pipeline's time budget of 1ns") {
			t.Errorf("offset %d: reason %q", off, dl.Reason)
		}
	}
	if got := value(t, ix.overBudget); got != 2 {
		t.Errorf("sluice_indexer_pipeline_over_budget_total = %v, want 2", got)
	}
}

// value is the sum of the counters c holds.
func value(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 16)
	c.Collect(ch)
	close(ch)
	var sum float64
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			t.Fatal(err)
		}
		sum += d.GetCounter().GetValue()
	}
	return sum
}

// TestHugeLinesThroughNginx: the two lines of issue 14 through the nginx
// example pipeline: a 900 KB user agent is parsed from its first 1 KiB
// (user_agent.name comes from there, the original is whole), and a 990 KB
// line that dissect rejects fails the fallback grok at once on its size
// (the pipeline's on_failure records that); both are indexed. The caps
// do it, not the budget, which is a minute here: the race detector makes
// ua-parser's 1 KiB take 20 times its 20ms.
func TestHugeLinesThroughNginx(t *testing.T) {
	const topic = "huge"
	e := newHardEnv(t, 0, func(string) int { return 201 })
	testcluster.CreateTopic(t, e.broker, topic, 1)
	const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
	ua := firefox + strings.Repeat(" (junk; x)", 90_000)
	lines := []string{
		`10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 12 "-" "` + ua + `"`,
		strings.Repeat("x ", 495_000),
	}
	var values [][]byte
	for _, l := range lines {
		v, err := json.Marshal(map[string]string{"message": l})
		if err != nil {
			t.Fatal(err)
		}
		values = append(values, v)
	}
	e.produce(t, topic, values...)
	cfg := e.config(t, topic, "")
	nginx, err := filepath.Abs("../examples/pipelines/nginx.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Routes[0].Pipeline = nginx
	cfg.PipelineTimeout = time.Minute
	ix, err := New(cfg, testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	testcluster.Run(t, "indexer", time.Minute, ix.Run)
	e.waitCommitted(t, "hard-"+topic, topic, 2)

	docs := map[string]map[string]any{}
	e.es.mu.Lock()
	for _, req := range e.es.requests {
		for i := 0; i+1 < len(req); i += 2 {
			var action struct {
				Index struct {
					ID string `json:"_id"`
				} `json:"index"`
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(req[i]), &action); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(req[i+1]), &doc); err != nil {
				t.Fatal(err)
			}
			docs[action.Index.ID] = doc
		}
	}
	e.es.mu.Unlock()
	uaDoc, _ := docs[DocumentID(topic, 0, 0)]["user_agent"].(map[string]any)
	if uaDoc["name"] != "Firefox" || uaDoc["original"] != ua {
		t.Errorf("900 KB user agent: name %v, original of %d bytes", uaDoc["name"], len(fmt.Sprint(uaDoc["original"])))
	}
	errDoc, _ := docs[DocumentID(topic, 0, 1)]["error"].(map[string]any)
	if msg := fmt.Sprint(errDoc["message"]); !strings.Contains(msg, "over grok's limit of 65536") {
		t.Errorf("990 KB line: error.message %q", msg)
	}
	if got := value(t, ix.events.WithLabelValues("indexed")); got != 2 {
		t.Errorf("indexed %v, want 2", got)
	}
	if got := value(t, ix.overBudget); got != 0 {
		t.Errorf("over budget: %v", got)
	}
}
