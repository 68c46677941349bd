package indexer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/bench/compare"
	sluiceindexer "github.com/sluicelogs/sluice/indexer"
	"github.com/sluicelogs/sluice/pipelines"
	"github.com/sluicelogs/sluice/testkit/proc"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// Names of the topics, groups and indices of a run.
const (
	topic        = "ibench-nginx"
	warmupTopic  = "ibench-warmup"
	dlqTopic     = "sluice-dlq"
	partitions   = 3
	ceilingIndex = "ibench-a-"               // + yyyy.MM.dd
	indexerIndex = "ibench-b-%{+yyyy.MM.dd}" // the indexer's route
	warmupIndex  = "ibench-w-%{+yyyy.MM.dd}" // the warm-up route
	warmupTmpl   = "sluice-ibench-w"         // the template the warm-up indexer installs
	ceilingTmpl  = "ibench-a"                // its copy for the ceiling's indices
	startLimit   = 3 * time.Minute           // for each process to be ready
	phaseLimit   = 30 * time.Minute          // for each phase
	clockTicks   = 100                       // USER_HZ: /proc/<pid>/stat's unit
	indexerGrace = 30 * time.Second          // ShutdownTimeout is 30s by default
)

// Config is one run.
type Config struct {
	Events        int    // nginx lines indexed by each phase
	Warmup        int    // lines indexed before the phases (at least 1)
	Sluice        string // the sluice binary
	Elasticsearch string // deploy/elasticsearch/run.sh
	ESJavaOpts    string // ES_JAVA_OPTS, e.g. "-Xms1g -Xmx1g"
	Pipeline      string // the nginx pipeline file
	Dir           string // data directories and logs; a temporary one if empty
	Progress      io.Writer
}

// Phase is what one phase measured.
type Phase struct {
	Events  int           // events sent (ceiling) or consumed (indexer)
	Count   int           // documents in its indices afterwards
	Elapsed time.Duration // the timed part
	CPU     time.Duration // user+system CPU over the timed part; <0 if unknown
}

// PerSec is events per second, or 0 if nothing was timed.
func (p Phase) PerSec() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Events) / p.Elapsed.Seconds()
}

// Result is a run's two phases.
type Result struct {
	ESVersion      string
	Workers        int // bulk workers in both phases (the indexer's default)
	FlushBytes     int // bulk flush bytes in both phases (the indexer's default)
	Ceiling        Phase
	Indexer        Phase
	CeilingSkipped bool          // sluice-bench was built without the ceiling (ErrNoCeiling)
	IndexerStartup time.Duration // indexer process start to its group holding the partitions
}

// Run starts Elasticsearch and the broker, produces the events, and runs
// the ceiling then the indexer. It fails if either phase did not end with
// exactly cfg.Events documents.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	out := compare.Progress(cfg.Progress)
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "ibench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	pipelinePath, err := filepath.Abs(cfg.Pipeline)
	if err != nil {
		return nil, err
	}
	defaults := sluiceindexer.Defaults()
	r := &Result{Workers: defaults.Elasticsearch.Workers, FlushBytes: defaults.Elasticsearch.FlushBytes}

	fmt.Fprintf(out, "starting elasticsearch (%s)\n", cfg.ESJavaOpts)
	es, err := startElasticsearch(ctx, cfg, dir)
	if err != nil {
		return nil, err
	}
	defer es.Proc.Stop()
	r.ESVersion = es.Version
	fmt.Fprintln(out, "starting sluice coordinator + broker")
	broker, err := testpeer.StartBrokers(ctx, testpeer.BrokersSpec{Kind: testpeer.KindSluice, Dir: dir, Sluice: cfg.Sluice, StartLimit: startLimit})
	if err != nil {
		return nil, err
	}
	defer broker.Stop()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker.Addr), kgo.MaxBufferedRecords(10000))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if err := createTopics(ctx, adm); err != nil {
		return nil, err
	}

	fmt.Fprintf(out, "producing %d + %d warm-up nginx lines (untimed)\n", cfg.Events, cfg.Warmup)
	recs, err := produce(ctx, cl, topic, cfg.Events)
	if err != nil {
		return nil, err
	}
	if _, err := produce(ctx, cl, warmupTopic, cfg.Warmup); err != nil {
		return nil, err
	}

	ix := &indexerRun{cfg: cfg, dir: dir, broker: broker.Addr, es: es, adm: adm, pipeline: pipelinePath}
	fmt.Fprintf(out, "warm-up: a sluice indexer process indexes %d lines (untimed)\n", cfg.Warmup)
	if _, _, err := ix.run(ctx, "warmup", warmupTopic, warmupIndex, cfg.Warmup); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	if err := es.copyTemplate(ctx, warmupTmpl, ceilingTmpl, ceilingIndex+"*"); err != nil {
		return nil, err
	}

	fmt.Fprintf(out, "phase A (ceiling): nginx pipeline over %d lines in memory (untimed), then esutil.BulkIndexer\n", cfg.Events)
	docs, err := prepare(recs, pipelinePath)
	if err != nil {
		return nil, err
	}
	r.Ceiling, err = ceiling(ctx, es, docs, r.Workers, r.FlushBytes)
	switch {
	case errors.Is(err, ErrNoCeiling):
		r.CeilingSkipped = true
		fmt.Fprintf(out, "  skipped: %v\n", err)
	case err != nil:
		return nil, fmt.Errorf("ceiling: %w", err)
	default:
		fmt.Fprintf(out, "  %.0f events/s\n", r.Ceiling.PerSec())
	}

	fmt.Fprintln(out, "phase B (indexer): a sluice indexer process consumes the topic")
	if r.Indexer, r.IndexerStartup, err = ix.run(ctx, "indexer", topic, indexerIndex, cfg.Events); err != nil {
		return nil, fmt.Errorf("indexer: %w", err)
	}
	fmt.Fprintf(out, "  %.0f events/s\n", r.Indexer.PerSec())
	var errs []error
	for _, p := range []struct {
		name string
		ph   Phase
	}{{"ceiling", r.Ceiling}, {"indexer", r.Indexer}} {
		if p.ph.Count != cfg.Events && (p.name != "ceiling" || !r.CeilingSkipped) {
			errs = append(errs, fmt.Errorf("%s: %d documents, want %d", p.name, p.ph.Count, cfg.Events))
		}
	}
	return r, errors.Join(errs...)
}

// WriteTable prints the two phases and their ratio.
func WriteTable(w io.Writer, r *Result) error {
	tw := compare.NewTable(w)
	fmt.Fprintln(tw, "\tevents\tseconds\tevents/s\tCPU s\tdocuments\t")
	for _, p := range []struct {
		name string
		ph   Phase
	}{{"ceiling (raw BulkIndexer)", r.Ceiling}, {"sluice indexer", r.Indexer}} {
		if p.ph == (Phase{}) {
			fmt.Fprintf(tw, "%s\tnot run\t\t\t\t\t\n", p.name)
			continue
		}
		cpu := "-"
		if p.ph.CPU >= 0 {
			cpu = fmt.Sprintf("%.1f", p.ph.CPU.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%s\t%s\t%d\t\n", p.name, p.ph.Events, p.ph.Elapsed.Seconds(), compare.Rate(p.ph.PerSec(), 0), cpu, p.ph.Count)
	}
	fmt.Fprintf(tw, "indexer/ceiling\t\t\t%s\t\t\t\n", compare.Ratio(r.Indexer.PerSec(), r.Ceiling.PerSec()))
	return tw.Flush()
}

// elastic is the Elasticsearch node of a run.
type elastic struct {
	*testpeer.Elasticsearch
}

func startElasticsearch(ctx context.Context, cfg Config, dir string) (*elastic, error) {
	n, err := testpeer.RunElasticsearch(ctx, testpeer.ElasticsearchSpec{Script: cfg.Elasticsearch, JavaOpts: cfg.ESJavaOpts, Dir: dir, Limit: startLimit})
	if err != nil {
		return nil, err
	}
	return &elastic{Elasticsearch: n}, nil
}

func (e *elastic) do(ctx context.Context, method, path string, body []byte, v any) error {
	return e.Do(ctx, method, path, body, v)
}

func (e *elastic) get(ctx context.Context, path string, v any) error {
	return e.Do(ctx, http.MethodGet, path, nil, v)
}

// count refreshes the indices matching pattern and counts their documents.
func (e *elastic) count(ctx context.Context, pattern string) (int, error) {
	if err := e.do(ctx, http.MethodPost, "/"+pattern+"/_refresh", nil, nil); err != nil {
		return 0, err
	}
	var c struct{ Count int }
	err := e.get(ctx, "/"+pattern+"/_count", &c)
	return c.Count, err
}

// copyTemplate puts the index template from under the name to with
// index_patterns [pattern]: the ceiling's indices get the mapping and
// settings the indexer gives its own.
func (e *elastic) copyTemplate(ctx context.Context, from, to, pattern string) error {
	var got struct {
		IndexTemplates []struct {
			IndexTemplate map[string]any `json:"index_template"`
		} `json:"index_templates"`
	}
	if err := e.get(ctx, "/_index_template/"+from, &got); err != nil {
		return err
	}
	if len(got.IndexTemplates) != 1 {
		return fmt.Errorf("index template %s: %d found", from, len(got.IndexTemplates))
	}
	t := got.IndexTemplates[0].IndexTemplate
	t["index_patterns"] = []string{pattern}
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return e.do(ctx, http.MethodPut, "/_index_template/"+to, body, nil)
}

func createTopics(ctx context.Context, adm *kadm.Client) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for _, t := range []struct {
		name string
		n    int32
	}{{topic, partitions}, {warmupTopic, partitions}, {dlqTopic, 1}} {
		res, err := adm.CreateTopic(ctx, t.n, 1, nil, t.name)
		if err == nil {
			err = res.Err
		}
		if err != nil {
			return fmt.Errorf("create topic %s: %w", t.name, err)
		}
	}
	return nil
}

// statuses are the HTTP statuses of the lines, in turn.
var statuses = []int{200, 200, 200, 304, 404, 503}

// produce writes n nginx access-log lines (combined format, as JSON events
// with "message", as the agent ships them) to t and returns the records
// with their partitions and offsets.
func produce(ctx context.Context, cl *kgo.Client, t string, n int) ([]*kgo.Record, error) {
	base := time.Date(2015, 5, 17, 20, 0, 0, 0, time.UTC)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	recs := make([]*kgo.Record, n)
	for i := range recs {
		ts := base.Add(time.Duration(i) * 3 * time.Second)
		line := fmt.Sprintf(`10.0.%d.%d - - [%s] "GET /item/%d HTTP/1.1" %d %d "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"`,
			i/256%256, i%256, ts.Format("02/Jan/2006:15:04:05 -0700"), i, statuses[i%len(statuses)], 100+i%900)
		v, err := json.Marshal(map[string]any{"message": line, "@timestamp": now, "host": map[string]any{"name": "web-1"}})
		if err != nil {
			return nil, err
		}
		recs[i] = &kgo.Record{Topic: t, Key: []byte(strconv.Itoa(i)), Value: v}
	}
	ctx, cancel := context.WithTimeout(ctx, phaseLimit)
	defer cancel()
	// ProduceSync sets each record's partition and offset.
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return nil, fmt.Errorf("produce to %s: %w", t, err)
	}
	return recs, nil
}

// doc is one document of the ceiling.
type doc struct {
	index, id string
	body      []byte
}

// prepare does for recs what the indexer does before its bulk requests:
// decode, run the pipeline, name the daily index, encode.
func prepare(recs []*kgo.Record, pipelinePath string) ([]doc, error) {
	p, err := pipelines.Load(pipelinePath, pipelines.Options{})
	if err != nil {
		return nil, err
	}
	docs := make([]doc, 0, len(recs))
	for _, rec := range recs {
		ev, err := pipelines.DecodeEvent(rec.Value)
		if err != nil {
			return nil, err
		}
		ev, dropped, err := p.Run(ev)
		if err != nil || dropped {
			return nil, fmt.Errorf("pipeline on offset %d: dropped %v, %v", rec.Offset, dropped, err)
		}
		ts := rec.Timestamp
		if s, ok := ev["@timestamp"].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				ts = t
			}
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc{
			index: ceilingIndex + ts.UTC().Format("2006.01.02"),
			id:    sluiceindexer.DocumentID(rec.Topic, rec.Partition, rec.Offset),
			body:  body,
		})
	}
	return docs, nil
}

// ErrNoCeiling: this sluice-bench has no ceiling. The ceiling is
// go-elasticsearch's esutil.BulkIndexer, and esutil imports the client's
// root package with its 858 typed-API packages: minutes of compiling, twice
// over (vet and -race), for every `make test` on a fresh machine, which
// never times anything. So only a build with -tags esceiling has it
// (ceiling.go; `make bench` builds so); others skip phase A.
var ErrNoCeiling = errors.New("sluice-bench built without the ceiling: build it with -tags esceiling (make bench does)")

// ceiling indexes docs with one bare esutil.BulkIndexer (bulkAll) and
// times it until every item was acknowledged and the indices refreshed.
func ceiling(ctx context.Context, es *elastic, docs []doc, workers, flushBytes int) (Phase, error) {
	ctx, cancel := context.WithTimeout(ctx, phaseLimit)
	defer cancel()
	cpu0 := selfCPU()
	start := time.Now()
	if err := bulkAll(ctx, es.URL, docs, workers, flushBytes); err != nil {
		return Phase{}, err
	}
	if err := es.do(ctx, http.MethodPost, "/"+ceilingIndex+"*/_refresh", nil, nil); err != nil {
		return Phase{}, err
	}
	ph := Phase{Events: len(docs), Elapsed: time.Since(start), CPU: selfCPU() - cpu0}
	var err error
	ph.Count, err = es.count(ctx, ceilingIndex+"*")
	return ph, err
}

// selfCPU is the user+system CPU time of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the user+system CPU time of process pid so far, from
// /proc/<pid>/stat.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may hold spaces; the fields after
	// it start with the state (field 3): utime and stime are 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(u+s) * time.Second / clockTicks, nil
}

// indexerRun starts sluice indexer processes against the run's broker and
// node.
type indexerRun struct {
	cfg      Config
	dir      string
	broker   string
	es       *elastic
	adm      *kadm.Client
	pipeline string
}

// run starts `sluice indexer -c` consuming t (n records) with group name
// into index, waits until the group holds t's partitions (the startup,
// returned), then times it until offsets are committed for all n records,
// refreshes and counts the documents, and stops the process.
func (x *indexerRun) run(ctx context.Context, name, t, index string, n int) (Phase, time.Duration, error) {
	path := filepath.Join(x.dir, name+".yml")
	text := fmt.Sprintf(`kafka: {hosts: [%q], group: %s, session_timeout: 10s}
elasticsearch: {hosts: [%q], replicas: 0}
dead_letter_topic: %s
routes:
  - topics: [%s]
    pipeline: %q
    index: %q
`, x.broker, "ibench-"+name, x.es.URL, dlqTopic, t, x.pipeline, index)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return Phase{}, 0, err
	}
	cmd := exec.Command(x.cfg.Sluice, "indexer", "-c", path, "-metrics", "")
	start := time.Now()
	p, err := proc.Start("sluice indexer", cmd, filepath.Join(x.dir, name+".log"))
	if err != nil {
		return Phase{}, 0, err
	}
	p.Grace = indexerGrace
	defer p.Stop()
	ctx, cancel := context.WithTimeout(ctx, phaseLimit)
	defer cancel()
	group := "ibench-" + name
	fail := func(what string, err error) (Phase, time.Duration, error) {
		return Phase{}, 0, fmt.Errorf("%s: %w\n%s", what, err, p.Tail(20))
	}
	if err := proc.WaitReady(ctx, 20*time.Millisecond, func(ctx context.Context) error { return x.assigned(ctx, group, t) }, p); err != nil {
		return fail("group never held the partitions", err)
	}
	startup := time.Since(start)
	cpu0, err := processCPU(p.Pid())
	if err != nil {
		return fail("cpu", err)
	}
	t0 := time.Now()
	if err := proc.WaitReady(ctx, 20*time.Millisecond, func(ctx context.Context) error { return x.committed(ctx, group, n) }, p); err != nil {
		return fail("offsets never committed", err)
	}
	cpu1, err := processCPU(p.Pid())
	if err != nil {
		return fail("cpu", err)
	}
	pattern := strings.Split(index, "%")[0] + "*"
	if err := x.es.do(ctx, http.MethodPost, "/"+pattern+"/_refresh", nil, nil); err != nil {
		return fail("refresh", err)
	}
	ph := Phase{Events: n, Elapsed: time.Since(t0), CPU: cpu1 - cpu0}
	if ph.Count, err = x.es.count(ctx, pattern); err != nil {
		return fail("count", err)
	}
	return ph, startup, nil
}

// assigned returns nil once group is stable and holds every partition of t.
func (x *indexerRun) assigned(ctx context.Context, group, t string) error {
	groups, err := x.adm.DescribeGroups(ctx, group)
	if err != nil {
		return err
	}
	g, ok := groups[group]
	if !ok || g.Err != nil {
		return fmt.Errorf("describe %s: %v", group, g.Err)
	}
	if g.State != "Stable" {
		return fmt.Errorf("group %s is %s", group, g.State)
	}
	held := 0
	for _, m := range g.Members {
		if c, ok := m.Assigned.AsConsumer(); ok {
			for _, at := range c.Topics {
				if at.Topic == t {
					held += len(at.Partitions)
				}
			}
		}
	}
	if held != partitions {
		return fmt.Errorf("group %s holds %d partitions of %s", group, held, t)
	}
	return nil
}

// committed returns nil once group's committed offsets add up to n.
func (x *indexerRun) committed(ctx context.Context, group string, n int) error {
	offs, err := x.adm.FetchOffsets(ctx, group)
	if err != nil {
		return err
	}
	var sum int64
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil {
			sum += o.At
		}
	})
	if sum < int64(n) {
		return fmt.Errorf("%d of %d committed", sum, n)
	}
	return nil
}

// SummaryRows is the headline row of a run for `sluice-bench summary`: the
// indexer's events/s next to the raw esutil.BulkIndexer ceiling; the goal
// is 90% of the ceiling or more.
func SummaryRows(r *Result) []compare.Row {
	return []compare.Row{{Component: "indexer", Measure: "events/s, nginx pipeline → Elasticsearch",
		Sluice: r.Indexer.PerSec(), Anchor: "raw esutil.BulkIndexer", AnchorValue: r.Ceiling.PerSec(), Goal: ">=0.9x"}}
}
