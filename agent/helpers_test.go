package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/agent"
	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

func testLogger() *slog.Logger {
	if testing.Verbose() && os.Getenv("AGENT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startBroker starts a coordinator and one broker and returns its address.
func startBroker(t *testing.T) *testcluster.Broker {
	t.Helper()
	zk := testcluster.Coordinator(t)
	return testcluster.StartBroker(t, 1, zk, "", func(c *broker.Config) { c.NumPartitions = 3 })
}

// agentYAML is a config for tests: quick scans and backoff.
func agentYAML(logDir, regDir, addr, topic string, inputExtra string) string {
	return fmt.Sprintf(`inputs:
  - id: test
    paths: [%q]
    scan_frequency: 100ms
    backoff: {init: 10ms, max: 50ms}
%s
output.kafka:
  hosts: [%q]
  topic: %q
queue.mem.events: 2048
registry:
  path: %q
  flush: 0s
`, filepath.Join(logDir, "*.log"), inputExtra, addr, topic, regDir)
}

// withPaths replaces the *.log glob of an agentYAML config with globs of
// logDir.
func withPaths(text, logDir string, globs ...string) string {
	var q []string
	for _, g := range globs {
		q = append(q, fmt.Sprintf("%q", filepath.Join(logDir, g)))
	}
	return strings.Replace(text, fmt.Sprintf("paths: [%q]", filepath.Join(logDir, "*.log")), "paths: ["+strings.Join(q, ", ")+"]", 1)
}

func parseConfig(t *testing.T, text string) *agent.Config {
	t.Helper()
	c, err := agent.ParseConfig("agent.yml", []byte(text))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, text)
	}
	return c
}

// runningAgent is an agent run in-process.
type runningAgent struct {
	stop func() // stops the agent and waits for it; also done when the test ends
}

func startAgent(t *testing.T, cfg *agent.Config) *runningAgent {
	t.Helper()
	a, err := agent.New(cfg, "test", nil, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	return &runningAgent{stop: testcluster.Run(t, "agent", 30*time.Second, a.Run)}
}

// event is the part of an agent event the tests look at.
type event struct {
	Message string `json:"message"`
	Log     struct {
		File struct {
			Path string `json:"path"`
		} `json:"file"`
		Offset int64    `json:"offset"`
		Flags  []string `json:"flags"`
	} `json:"log"`
	Fields map[string]any `json:"fields"`
	At     string         `json:"@timestamp"`
	Where  string         `json:"-"` // partition/offset in the topic
	Raw    map[string]any `json:"-"`
}

// consumer reads a topic from the start in the background and keeps every
// event it reads, or, when light, only how many times each line id
// arrived (and where it arrived first). It keeps running counts as events
// arrive, so that the checks a test makes while it waits (countPrefix,
// distinct, delivered) are cheap and hold mu only for a moment: a check
// that walked every id under mu would starve the consumer it waits for.
type consumer struct {
	mu       sync.Mutex
	events   []event
	byPrefix map[string]int // distinct line ids per file name (the id without "-<number>")
	ids      map[string]idSeen
	eventIDs map[string]string // _id header → line id
	idErrs   []string          // lines whose copies carry different _id headers, _id headers of two lines
	light    bool
	raw      bool // also decode each event into event.Raw
	errs     []error
	cancel   context.CancelFunc
	done     chan struct{}
}

// idSeen is how many times a line id arrived, and the first arrival.
type idSeen struct {
	n         int
	partition int32
	offset    int64  // in the partition
	logOffset int64  // in the file
	eventID   string // its _id header
}

// consumeLight is consume keeping only the counts per line id: the big
// tests' consumer runs under -race, so it does little per event.
func consumeLight(t *testing.T, addr string, topics ...string) *consumer {
	t.Helper()
	return startConsumer(t, true, addr, topics...)
}

func consume(t *testing.T, addr string, topics ...string) *consumer {
	t.Helper()
	return startConsumer(t, false, addr, topics...)
}

func startConsumer(t *testing.T, light bool, addr string, topics ...string) *consumer {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &consumer{cancel: cancel, done: make(chan struct{}), byPrefix: map[string]int{}, ids: map[string]idSeen{}, eventIDs: map[string]string{}, light: light}
	go func() {
		defer close(c.done)
		defer cl.Close()
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				if !utf8.Valid(r.Value) {
					// Elasticsearch takes JSON only in UTF-8.
					c.mu.Lock()
					c.errs = append(c.errs, fmt.Errorf("an event that is not UTF-8: %q", r.Value))
					c.mu.Unlock()
					return
				}
				if light {
					c.countLight(r)
					return
				}
				e := event{Where: fmt.Sprintf("%d/%d", r.Partition, r.Offset)}
				err := json.Unmarshal(r.Value, &e)
				if err == nil && c.raw {
					err = json.Unmarshal(r.Value, &e.Raw)
				}
				c.mu.Lock()
				if err != nil {
					c.errs = append(c.errs, fmt.Errorf("%w: %.200s", err, r.Value))
				} else {
					c.events = append(c.events, e)
					c.count1(idOf(e.Message), idSeen{partition: r.Partition, offset: r.Offset, logOffset: e.Log.Offset, eventID: headerOf(r, "_id")})
				}
				c.mu.Unlock()
			})
		}
	}()
	t.Cleanup(func() { cancel(); <-c.done })
	return c
}

// countLight decodes only what counting needs.
func (c *consumer) countLight(r *kgo.Record) {
	var e struct {
		Message string `json:"message"`
		Log     struct {
			Offset int64 `json:"offset"`
		} `json:"log"`
	}
	err := json.Unmarshal(r.Value, &e)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("%w: %.200s", err, r.Value))
		return
	}
	c.count1(idOf(e.Message), idSeen{partition: r.Partition, offset: r.Offset, logOffset: e.Log.Offset, eventID: headerOf(r, "_id")})
}

func headerOf(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// count1 counts one arrival of line id; c.mu is held. Every copy of a
// line must carry the same _id header, and no two lines the same one: the
// indexer makes one document of each _id.
func (c *consumer) count1(id string, arrival idSeen) {
	s, ok := c.ids[id]
	if !ok {
		s = arrival
		if i := strings.LastIndexByte(id, '-'); i >= 0 {
			c.byPrefix[id[:i]]++
		}
		if other, taken := c.eventIDs[arrival.eventID]; taken && len(c.idErrs) < 10 {
			c.idErrs = append(c.idErrs, fmt.Sprintf("lines %s and %s both carry _id %q", other, id, arrival.eventID))
		}
		c.eventIDs[arrival.eventID] = id
	} else if arrival.eventID != s.eventID && len(c.idErrs) < 10 {
		c.idErrs = append(c.idErrs, fmt.Sprintf("line %s arrived with _id %q and %q", id, s.eventID, arrival.eventID))
	}
	s.n++
	c.ids[id] = s
}

// tallyIDs is tally from the counts per line id (of a light consumer or
// not): it checks that every id of files (name → number of lines)
// arrived and returns the duplicates, logging the first few. It walks
// every id: call it once, after awaitDelivered, not in a wait loop.
func tallyIDs(t *testing.T, c *consumer, files map[string]int) (dups int, err error) {
	t.Helper()
	// The ids are made before taking mu, which the consumer needs for
	// every event it reads.
	type fileIDs struct {
		name string
		ids  []string
	}
	var want []fileIDs
	for name, n := range files {
		f := fileIDs{name: name, ids: make([]string, n)}
		for i := range n {
			f.ids[i] = idOf(lineText(name, i))
		}
		want = append(want, f)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) > 0 {
		t.Fatalf("undecodable events: %v", c.errs[0])
	}
	if len(c.idErrs) > 0 {
		t.Fatalf("event ids (_id headers) would not make one document per line: %v", c.idErrs)
	}
	missing, logged := 0, 0
	var firstMissing string
	for _, f := range want {
		for _, id := range f.ids {
			switch s := c.ids[id]; {
			case s.n == 0:
				missing++
				if firstMissing == "" {
					firstMissing = id
				}
			case s.n > 1:
				dups += s.n - 1
				if logged < 5 {
					logged++
					t.Logf("%s delivered %d times, first as %d/%d (log.offset %d)", id, s.n, s.partition, s.offset, s.logOffset)
				}
			}
		}
	}
	if missing > 0 {
		return dups, fmt.Errorf("%d lines missing (first %s) of %d distinct ids read", missing, firstMissing, len(c.ids))
	}
	return dups, nil
}

// Waits for large deliveries (hundreds of thousands of lines, or an
// in-process agent under -race) are bounded by progress, not by a
// wall-clock budget that a busy machine exceeds: they fail only when not
// one more line arrived for deliveryStall, or after deliveryCap.
const (
	deliveryStall = time.Minute
	deliveryCap   = 10 * time.Minute
)

// delivered reports how many distinct lines of files (name → number of
// lines) arrived, and an error until every file has all of them. It reads
// the running counts per file: cheap enough to call every few
// milliseconds. A line id of a file beyond its number of lines would make
// it count as complete early; tallyIDs, run after, then finds the line
// missing.
func (c *consumer) delivered(files map[string]int) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var got, want int64
	var short string
	for name, n := range files {
		k := min(c.byPrefix[name], n)
		got, want = got+int64(k), want+int64(n)
		if k < n && short == "" {
			short = fmt.Sprintf("%s has %d of %d", name, k, n)
		}
	}
	if got < want {
		return got, fmt.Errorf("%d of %d lines arrived (%s)", got, want, short)
	}
	return got, nil
}

// awaitDelivered waits until every line of files arrived, for as long as
// lines keep arriving (see deliveryStall).
func awaitDelivered(t *testing.T, c *consumer, files map[string]int) {
	t.Helper()
	await.Progress(t, deliveryStall, deliveryCap, 50*time.Millisecond, func() (int64, error) {
		return c.delivered(files)
	})
}

func (c *consumer) snapshot() ([]event, []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event(nil), c.events...), append([]error(nil), c.errs...)
}

// countPrefix is the number of distinct line ids of the file named p
// that arrived.
func (c *consumer) countPrefix(p string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byPrefix[p]
}

func (c *consumer) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// distinct is the number of distinct line ids that arrived.
func (c *consumer) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids)
}
