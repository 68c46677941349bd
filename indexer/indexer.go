package indexer

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/clientsec"
	"github.com/sluicelogs/sluice/internal/kgolog"
	"github.com/sluicelogs/sluice/pipelines"
)

// Indexer consumes the routes' topics and indexes their events.
type Indexer struct {
	cfg    Config
	log    *slog.Logger
	es     esapi.Transport
	routes []*route

	events  *prometheus.CounterVec // by result
	retries prometheus.Counter
	commits prometheus.Counter

	panics       prometheus.Counter     // events whose processing panicked
	overBudget   prometheus.Counter     // events over the pipeline's time budget
	dlqTruncated prometheus.Counter     // dead letters cut to fit
	dlqDropped   *prometheus.CounterVec // dead letters given up on, by why
}

// route is one consumer group: topics → pipeline → index.
type route struct {
	Route
	pipeline *pipelines.Pipeline                                  // nil: events unchanged
	run      func(pipelines.Event) (pipelines.Event, bool, error) // pipeline.Run; tests put a panic in it
	index    *indexName
	stream   *DataStream // data_stream: index is its name, documents are created
}

// New builds an indexer from a validated config, loading its pipelines.
func New(cfg Config, log *slog.Logger) (*Indexer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	es, err := newClient(cfg.Elasticsearch)
	if err != nil {
		return nil, err
	}
	ix := &Indexer{
		cfg: cfg,
		log: log.With("component", "indexer"),
		es:  es,
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_indexer_events_total",
			Help: "Events done with, by result: indexed, duplicate (a data stream had its _id already), dead_letter or dropped (by the pipeline).",
		}, []string{"result"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_indexer_retries_total",
			Help: "Bulk items sent again after a 429, a 5xx or an unreachable Elasticsearch.",
		}),
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_indexer_commits_total",
			Help: "Offset commits after a batch was acknowledged.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_indexer_pipeline_panics_total",
			Help: "Events whose processing panicked; each went to the dead-letter topic with the panic.",
		}),
		overBudget: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_indexer_pipeline_over_budget_total",
			Help: "Events that went over pipeline_timeout in their pipeline; each went to the dead-letter topic.",
		}),
		dlqTruncated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_indexer_dead_letter_truncated_total",
			Help: "Dead letters cut to fit dead_letter_max_bytes or the broker's message.max.bytes.",
		}),
		dlqDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_indexer_dead_letter_dropped_total",
			Help: "Dead letters given up on (the record stays at its offset only), by why: too_large, timeout, refused.",
		}, []string{"why"}),
	}
	popts := cfg.pipelineOptions()
	for _, rc := range cfg.Routes {
		r := &route{Route: rc, stream: rc.DataStream}
		index := rc.Index
		if r.stream != nil {
			index = r.stream.name()
		}
		if r.index, err = parseIndexName(index); err != nil {
			return nil, fmt.Errorf("indexer: route %v: %w", rc.Topics, err)
		}
		if rc.Pipeline != "" {
			if r.pipeline, err = pipelines.Load(rc.Pipeline, popts); err != nil {
				return nil, err
			}
			r.run = r.pipeline.Run
		}
		ix.routes = append(ix.routes, r)
	}
	return ix, nil
}

// newClient is the transport to the configured hosts that go-elasticsearch's
// requests (esapi) are sent over; its root package is left out (see bulker
// for why).
func newClient(c ElasticsearchConfig) (esapi.Transport, error) {
	urls := make([]*url.URL, len(c.Hosts))
	for i, h := range c.Hosts {
		u, err := url.Parse(strings.TrimRight(h, "/"))
		if err != nil {
			// url's errors quote the URL: say it again without its password.
			return nil, fmt.Errorf("indexer: elasticsearch host %q: not a URL", clientsec.RedactURL(h))
		}
		urls[i] = u
	}
	cfg := elastictransport.Config{URLs: urls, Username: c.Username, Password: c.Password}
	if c.APIKey != "" {
		cfg.APIKey = base64.StdEncoding.EncodeToString([]byte(c.APIKey))
	}
	if tc := c.SSL.Config(); tc != nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = tc
		cfg.Transport = t
	}
	tr, err := elastictransport.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("indexer: elasticsearch client: %w", err)
	}
	return tr, nil
}

// Collectors returns the indexer's metrics.
func (ix *Indexer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{ix.events, ix.retries, ix.commits, ix.panics, ix.overBudget, ix.dlqTruncated, ix.dlqDropped}
}

// names are the index names of the routes that write to indices (not
// data streams): those that get index templates.
func (ix *Indexer) names() []*indexName {
	var out []*indexName
	for _, r := range ix.routes {
		if r.stream == nil {
			out = append(out, r.index)
		}
	}
	return out
}

// Run installs the index template (waiting for Elasticsearch), then
// consumes every route until ctx is done. On the way out each route
// finishes its batch (within ShutdownTimeout), commits it and leaves its
// group.
func (ix *Indexer) Run(ctx context.Context) error {
	for b := ix.backoff(); ; {
		err := ix.installTemplates(ctx)
		if err == nil {
			break
		}
		ix.log.Warn("cannot install the index template yet", "err", err)
		if !b.wait(ctx) {
			return nil
		}
	}
	ix.checkTargets(ctx)
	dlq, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(ix.cfg.Kafka.Hosts...),
		kgo.DefaultProduceTopic(ix.cfg.DeadLetterTopic),
		kgo.AllowAutoTopicCreation(),
		// A letter of DeadLetterMaxBytes, with the batch's framing.
		kgo.ProducerBatchMaxBytes(int32(ix.cfg.DeadLetterMaxBytes + 1024)),
		kgo.RecordDeliveryTimeout(ix.cfg.DeadLetterTimeout),
		kgo.WithLogger(kgolog.New(ix.log, kgo.LogLevelWarn)),
	}, ix.cfg.Kafka.Options()...)...)
	if err != nil {
		return fmt.Errorf("indexer: dead-letter producer: %w", err)
	}
	defer dlq.Close()

	// work outlives ctx by ShutdownTimeout, so that a stopping indexer
	// can finish and commit its batch.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopTimer := context.AfterFunc(ctx, func() { time.AfterFunc(ix.cfg.ShutdownTimeout, cancelWork) })
	defer stopTimer()

	var wg sync.WaitGroup
	errs := make([]error, len(ix.routes))
	for i, r := range ix.routes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ix.consume(ctx, work, r, dlq)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// event decodes a record, runs the pipeline and names the index: the
// _index the pipeline set, else the route's. id is the _id the pipeline
// set, "" if none.
func (r *route) event(rec *kgo.Record) (ev pipelines.Event, index, id string, dropped bool, err error) {
	if ev, err = pipelines.DecodeEvent(rec.Value); err != nil || ev == nil {
		ev = pipelines.Event{"message": string(rec.Value)}
	}
	if r.run != nil {
		out, dropped, err := r.run(ev)
		if err != nil {
			return nil, "", "", false, fmt.Errorf("pipeline: %w", err)
		}
		if dropped {
			return nil, "", "", true, nil
		}
		ev = out
	}
	if index, id, err = takeMetadata(ev); err != nil {
		return nil, "", "", false, err
	}
	if _, ok := ev["@timestamp"]; !ok {
		ev["@timestamp"] = rec.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	if r.stream != nil {
		r.stream.stamp(ev)
	}
	if index == "" {
		if index, err = r.index.render(ev, rec.Timestamp); err != nil {
			return nil, "", "", false, err
		}
	}
	return ev, index, id, false, nil
}

// IDHeader is the record header that names a record's document _id. The
// agent sets it from the line's place in its file, so a line it sends
// twice (it was killed before the broker's acknowledgement reached it)
// becomes one document.
const IDHeader = "_id"

// RecordDocumentID is the _id of a record's document: its IDHeader when it
// has one, else DocumentID.
func RecordDocumentID(rec *kgo.Record) string {
	for _, h := range rec.Headers {
		if h.Key == IDHeader && len(h.Value) > 0 {
			return string(h.Value)
		}
	}
	return DocumentID(rec.Topic, rec.Partition, rec.Offset)
}

// DocumentID is the _id of the document of a record without an IDHeader:
// the same record always gives the same id, so indexing it again
// overwrites it.
func DocumentID(topic string, partition int32, offset int64) string {
	return topic + "-" + strconv.FormatInt(int64(partition), 10) + "-" + strconv.FormatInt(offset, 10)
}

// backoff doubles a wait from 100ms up to MaxBackoff.
type backoff struct {
	next, max time.Duration
}

func (ix *Indexer) backoff() *backoff {
	return &backoff{next: 100 * time.Millisecond, max: ix.cfg.MaxBackoff}
}

// wait sleeps for the next interval; false if ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	t := time.NewTimer(b.next)
	defer t.Stop()
	b.next = min(2*b.next, b.max)
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
