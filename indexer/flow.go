package indexer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/kgolog"
	"github.com/sluicelogs/sluice/pipelines"
)

// chunkSize is the most records of one partition a chunk holds: the unit
// the pipeline workers take, the bulk items wait for, and commits advance
// by.
const chunkSize = 512

// flow is one route's consumer group at work. Its stages overlap, so that
// Elasticsearch always has bulk requests in flight while the next records
// are polled and parsed:
//
//   - poll (the goroutine of consume) polls records, registers them with
//     offsets as chunks (per partition, in offset order) and queues them;
//   - parse workers (GOMAXPROCS) run the pipeline on a chunk's records,
//     encode the documents into the chunk's buffer, take credit for its
//     bytes (in flight: at most 4 × workers × flush_bytes, so the bound
//     never stops the bulker's buffers from filling up) and add them
//     to the route's one bulker (bulk.go), whose workers send bulk requests of
//     flush_bytes (its Add blocks while they are all sending);
//   - a finisher per chunk waits for its items' answers, sends again what
//     got a 429/5xx/no answer (with backoff), puts rejections in the
//     dead-letter topic, then marks the chunk finished and gives its
//     credit back;
//   - the committer commits, per partition, the end of the finished prefix
//     (offsets), so a commit never passes a record not yet acknowledged;
//   - the flusher flushes the bulker when the poll caught up with a
//     partition's high watermark (or a retry was queued), so the last
//     documents do not wait for FlushInterval.
//
// When the group takes partitions away, revoked waits for their chunks,
// commits, and forgets them; records polled for them meanwhile are
// dropped (their next owner reads them from the committed offset).
type flow struct {
	ix   *Indexer
	r    *route
	log  *slog.Logger
	work context.Context // outlives the run's ctx by ShutdownTimeout
	cl   *kgo.Client
	dlq  *kgo.Client
	bi   *bulker

	offsets  *offsets
	commitMu sync.Mutex // one commit at a time, so commits only move forward

	credit    *credit       // bytes of documents in flight
	flushing  atomic.Int32  // bulk requests in flight
	todo      chan *chunk   // to the parse workers
	flushReq  chan struct{} // capacity 1: a flush is due
	commitReq chan struct{} // capacity 1: a chunk finished
	finishers sync.WaitGroup
	bufs      sync.Pool // *docBuf for chunks' documents

	indexed, duplicates, deadLettered, dropped prometheus.Counter
}

// chunk is up to chunkSize consecutive records of one partition.
type chunk struct {
	part  *partition
	recs  []*kgo.Record
	flush bool // flush the bulker once its documents are added
	state int  // chunkOpen/Finished/Abandoned, guarded by offsets.mu

	buf     *docBuf // the documents' bodies
	held    int     // credit taken for them
	unsent  bool    // work ended before they could be sent
	docs    []doc
	dead    []*kgo.Record // for the dead-letter topic, with
	reasons []map[string]any
	dropped int

	// One round of bulk items: pending answers, closed at the last.
	pending atomic.Int64
	settled chan struct{}
}

// doc is one record on its way into Elasticsearch.
type doc struct {
	rec    *kgo.Record
	index  string
	id     string
	create bool         // op_type create (a data stream) rather than index
	body   bytes.Reader // over the chunk's buf
	state  int          // the answer of the last round
	info   map[string]any
}

// Item results of one bulk round.
const (
	pending = iota
	acked
	duplicate // a create answered 409: the document is there already
	retry
	rejected
)

func (ix *Indexer) newFlow(work context.Context, r *route, dlq *kgo.Client) *flow {
	es := ix.cfg.Elasticsearch
	return &flow{
		ix: ix, r: r, work: work, dlq: dlq,
		log:          ix.log.With("group", r.Group),
		offsets:      newOffsets(),
		credit:       newCredit(4 * es.Workers * es.FlushBytes),
		todo:         make(chan *chunk, 2*runtime.GOMAXPROCS(0)),
		flushReq:     make(chan struct{}, 1),
		commitReq:    make(chan struct{}, 1),
		bufs:         sync.Pool{New: func() any { return new(docBuf) }},
		indexed:      ix.events.WithLabelValues("indexed"),
		duplicates:   ix.events.WithLabelValues("duplicate"),
		deadLettered: ix.events.WithLabelValues("dead_letter"),
		dropped:      ix.events.WithLabelValues("dropped"),
	}
}

// consume runs one route's consumer group until ctx is done, then lets
// the chunks in flight finish (until work ends), commits what finished
// and leaves the group.
func (ix *Indexer) consume(ctx, work context.Context, r *route, dlq *kgo.Client) error {
	f := ix.newFlow(work, r, dlq)
	es := ix.cfg.Elasticsearch
	bi := newBulker(work, ix.es, es.Workers, es.FlushBytes, es.FlushInterval, func(d int) { f.flushing.Add(int32(d)) })
	f.bi = bi
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(ix.cfg.Kafka.Hosts...),
		kgo.ConsumerGroup(r.Group),
		kgo.ConsumeTopics(r.Topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(ix.cfg.Kafka.SessionTimeout),
		kgo.OnPartitionsAssigned(f.assigned),
		kgo.OnPartitionsRevoked(f.revoked),
		kgo.OnPartitionsLost(f.lost),
		kgo.WithLogger(kgolog.New(f.log, kgo.LogLevelWarn)),
	}, ix.cfg.Kafka.Options()...)...)
	if err != nil {
		bi.Close()
		return fmt.Errorf("indexer: consumer %s: %w", r.Group, err)
	}
	f.cl = cl

	var parsers, helpers sync.WaitGroup
	stop := make(chan struct{})
	for range runtime.GOMAXPROCS(0) {
		parsers.Go(f.parse)
	}
	helpers.Go(func() { f.flusher(stop) })
	helpers.Go(func() { f.committer(stop) })

	f.poll(ctx)

	close(f.todo)
	parsers.Wait()
	f.requestFlush()
	f.finishers.Wait()
	close(stop)
	helpers.Wait()
	if err := f.commit(work); err != nil {
		f.log.Warn("commit on the way out", "err", err)
	}
	bi.Close()
	cl.Close() // leaves the group: revoked finds nothing left to do
	return nil
}

// poll polls until ctx is done, queueing the records as chunks.
func (f *flow) poll(ctx context.Context) {
	for ctx.Err() == nil {
		fs := f.cl.PollRecords(ctx, f.ix.cfg.MaxPollRecords)
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, kgo.ErrClientClosed) {
				f.log.Warn("fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		var chunks []*chunk
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if n := len(p.Records); n > 0 {
				caughtUp := p.Records[n-1].Offset+1 >= p.HighWatermark
				chunks = append(chunks, f.offsets.register(topicPartition{p.Topic, p.Partition}, p.Records, chunkSize, caughtUp)...)
			}
		})
		for i, c := range chunks {
			select {
			case f.todo <- c:
			case <-ctx.Done():
				f.offsets.abandon(chunks[i:])
				return
			}
		}
	}
}

// parse is a pipeline worker: it prepares the chunks it takes, adds their
// documents to the bulker and hands each to a finisher.
func (f *flow) parse() {
	var enc encoder
	for c := range f.todo {
		f.prepare(&enc, c)
		c.held = len(c.buf.b)
		// Out of credit with no bulk request in flight, the documents
		// holding it sit in the bulker's buffers: flush them.
		if !f.credit.acquire(f.work, c.held, func() {
			if f.flushing.Load() == 0 {
				f.requestFlush()
			}
		}) {
			c.held, c.unsent = 0, true // work ended
		} else {
			f.send(c, c.docs)
		}
		if c.flush {
			f.requestFlush()
		}
		f.finishers.Go(func() { f.finish(c) })
	}
}

// encoder is a parse worker's scratch space for encoding documents.
type encoder struct {
	keys []string // for sorting map keys
	ends []int    // where each document's body ends in the chunk's buffer
}

// docBuf holds a chunk's document bodies, one after the other.
type docBuf struct{ b []byte }

// prepare runs the pipeline on c's records and encodes the documents into
// c's buffer (taken from, and when c finishes given back to, a pool);
// records the pipeline fails on go to c.dead.
func (f *flow) prepare(e *encoder, c *chunk) {
	c.buf = f.bufs.Get().(*docBuf)
	b := c.buf.b[:0]
	c.docs = make([]doc, 0, len(c.recs))
	e.ends = e.ends[:0]
	for _, rec := range c.recs {
		var index, id string
		var dropped bool
		var err error
		b, index, id, dropped, err = f.prepareOne(e, rec, b)
		switch {
		case err != nil:
			c.dead, c.reasons = append(c.dead, rec), append(c.reasons, map[string]any{"reason": err.Error()})
		case dropped:
			c.dropped++
		default:
			if id == "" {
				id = RecordDocumentID(rec)
			}
			c.docs = append(c.docs, doc{rec: rec, index: index, id: id, create: f.r.stream != nil})
			e.ends = append(e.ends, len(b))
		}
	}
	c.buf.b = b
	start := 0
	for i, end := range e.ends {
		c.docs[i].body.Reset(b[start:end])
		start = end
	}
}

// prepareOne runs the pipeline on rec and appends its document to b. A
// panic on the way is the record's failure, not the indexer's: b is
// given back as it was, and the record goes to the dead-letter topic
// with the panic's message. (A panicking processor could leave shared
// state behind; the pipelines share none but the user-agent caches,
// hashicorp/golang-lru ARC caches under uap-go, which unlock with defer.)
func (f *flow) prepareOne(e *encoder, rec *kgo.Record, b []byte) (out []byte, index, id string, dropped bool, err error) {
	start := len(b)
	defer func() {
		if p := recover(); p != nil {
			f.ix.panics.Inc()
			f.log.Error("panic processing an event; it goes to the dead-letter topic", "topic", rec.Topic,
				"partition", rec.Partition, "offset", rec.Offset, "panic", p, "stack", string(debug.Stack()))
			out, index, id, dropped, err = b[:start], "", "", false, fmt.Errorf("panic: %v", p)
		}
	}()
	ev, index, id, dropped, err := f.r.event(rec)
	if errors.Is(err, pipelines.ErrOverBudget) {
		f.ix.overBudget.Inc()
	}
	if err != nil || dropped {
		return b, "", "", dropped, err
	}
	if b, e.keys, err = appendJSON(b, ev, e.keys[:0]); err != nil {
		return b[:start], "", "", false, fmt.Errorf("encode: %w", err)
	}
	return b, index, id, false, nil
}

// send adds docs (of c) to the bulker as one round; c.settled closes
// once every one has its answer. Those it could not add (work ended) are
// answered retry at once.
func (f *flow) send(c *chunk, docs []doc) {
	c.settled = make(chan struct{})
	c.pending.Store(int64(len(docs)) + 1) // +1 until every item is added
	for i := range docs {
		d := &docs[i]
		d.state, d.info = pending, nil
		_, _ = d.body.Seek(0, 0)
		err := f.bi.Add(f.work, bulkItem{
			index: d.index, id: d.id, create: d.create, body: &d.body,
			answer: func(res bulkResult, err error) {
				state, info := result(d, res, err)
				c.answer(d, state, info)
			},
		})
		if err != nil {
			for j := i; j < len(docs); j++ {
				c.answer(&docs[j], retry, map[string]any{"reason": "not sent: " + err.Error()})
			}
			break
		}
	}
	c.answer(nil, 0, nil) // the +1
}

// answer records one item's answer (d nil: none, the end of adding).
func (c *chunk) answer(d *doc, state int, info map[string]any) {
	if d != nil {
		d.state, d.info = state, info
	}
	if c.pending.Add(-1) == 0 {
		close(c.settled)
	}
}

// result classifies an item's answer: a 2xx is acknowledged; a create's
// 409 version conflict is a duplicate (a record indexed before a crash,
// or sent twice by the agent, whose _id is in the data stream already:
// done, as the index action's overwrite would be); the request failed
// (unreachable, or refused as a whole) or the item got a 429/5xx: retry;
// any other status is Elasticsearch's rejection of the document.
func result(d *doc, res bulkResult, err error) (int, map[string]any) {
	switch {
	case err == nil && res.Status >= 200 && res.Status < 300:
		return acked, nil
	case err == nil && d.create && res.Status == 409 && res.Error.Type == "version_conflict_engine_exception":
		return duplicate, nil
	case err != nil:
		return retry, map[string]any{"reason": err.Error()}
	case res.Status == 429 || res.Status >= 500 || res.Status == 0:
		return retry, map[string]any{"reason": res.Error.Type + ": " + res.Error.Reason, "status": res.Status}
	default:
		return rejected, map[string]any{
			"reason": res.Error.Type + ": " + res.Error.Reason, "status": res.Status,
			"error": map[string]any{"type": res.Error.Type, "reason": res.Error.Reason, "caused_by": res.Error.Cause},
			"index": d.index, "document_id": d.id,
		}
	}
}

// finish takes c to its end: every document acknowledged (those refused
// with 429/5xx or not answered sent again after a backoff), rejections in
// the dead-letter topic; then offsets may commit past it. If work ends
// first, c is abandoned: never committed.
func (f *flow) finish(c *chunk) {
	ok := f.settle(c)
	if ok && len(c.dead) > 0 {
		n, err := f.ix.deadLetter(f.work, f.dlq, c.dead, c.reasons)
		f.deadLettered.Add(float64(n))
		ok = err == nil
	}
	if ok {
		f.dropped.Add(float64(c.dropped))
		f.bufs.Put(c.buf) // no item refers to it any more
	} else {
		f.log.Warn("chunk not finished, not committed", "topic", c.recs[0].Topic, "partition", c.recs[0].Partition,
			"from", c.recs[0].Offset, "records", len(c.recs))
	}
	c.buf, c.docs = nil, nil
	f.offsets.finish(c, ok)
	f.credit.release(c.held)
	select {
	case f.commitReq <- struct{}{}:
	default:
	}
}

// settle waits for the answers to c's documents, sending again those to
// retry, until none is left; false if work ended first.
func (f *flow) settle(c *chunk) bool {
	if c.unsent {
		return false
	}
	b := f.ix.backoff()
	docs := c.docs
	for len(docs) > 0 {
		select {
		case <-c.settled:
		case <-f.work.Done():
			return false
		}
		var again []doc
		n, dups := 0, 0
		for i := range docs {
			switch docs[i].state {
			case acked:
				n++
			case duplicate:
				dups++
			case rejected:
				c.dead, c.reasons = append(c.dead, docs[i].rec), append(c.reasons, docs[i].info)
			default:
				again = append(again, docs[i])
			}
		}
		f.indexed.Add(float64(n))
		f.duplicates.Add(float64(dups))
		if len(again) == 0 {
			return true
		}
		f.ix.retries.Add(float64(len(again)))
		f.log.Warn("elasticsearch did not take every item; backing off", "items", len(again), "reason", again[0].info["reason"])
		if !b.wait(f.work) {
			return false
		}
		docs = again
		f.send(c, docs)
		f.requestFlush()
	}
	return true
}

func (f *flow) requestFlush() {
	select {
	case f.flushReq <- struct{}{}:
	default:
	}
}

// flusher flushes the bulker when asked, until stop.
func (f *flow) flusher(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-f.flushReq:
			if err := f.bi.Flush(f.work); err != nil && f.work.Err() == nil {
				f.log.Warn("flush", "err", err)
			}
		}
	}
}

// committer commits what finished whenever a chunk finishes, until stop.
func (f *flow) committer(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-f.commitReq:
			if err := f.commit(f.work); err != nil {
				// The records come again, and overwrite their documents.
				f.log.Warn("commit", "err", err)
			}
		}
	}
}

// commit commits every partition's finished prefix not yet committed.
func (f *flow) commit(ctx context.Context) error {
	f.commitMu.Lock()
	defer f.commitMu.Unlock()
	cs := f.offsets.committable()
	if len(cs) == 0 {
		return nil
	}
	recs := make([]*kgo.Record, len(cs))
	for i, c := range cs {
		recs[i] = c.rec
	}
	if err := f.cl.CommitRecords(ctx, recs...); err != nil {
		return err
	}
	f.offsets.committed(cs)
	f.ix.commits.Inc()
	return nil
}

// assigned: the group gave us partitions; they take chunks again.
func (f *flow) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	f.offsets.assign(topicPartitions(m))
}

// revoked: the group takes partitions away. They take no new chunks;
// the ones in flight finish (or work ends), what finished is committed,
// and they are forgotten. The group waits for this.
func (f *flow) revoked(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	tps := topicPartitions(m)
	if len(tps) == 0 {
		return
	}
	f.offsets.fence(tps)
	f.requestFlush()
	f.offsets.settled(f.work, tps)
	if err := f.commit(f.work); err != nil {
		f.log.Warn("commit before giving partitions up", "err", err)
	}
	f.offsets.forget(tps)
}

// lost: the partitions are no longer ours (the session expired), so
// nothing of them may be committed.
func (f *flow) lost(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	tps := topicPartitions(m)
	f.offsets.fence(tps)
	f.offsets.forget(tps)
}

// credit bounds the bytes of documents in flight.
type credit struct {
	mu          sync.Mutex
	cond        *sync.Cond
	used, limit int
}

func newCredit(limit int) *credit {
	c := &credit{limit: limit}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// acquire takes n bytes, waiting while that would pass the limit (unless
// nothing is taken: one chunk always fits); each time before it waits it
// calls starved (under the lock: starved must not block). False if ctx
// ended first.
func (c *credit) acquire(ctx context.Context, n int, starved func()) bool {
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.cond.Broadcast()
	})
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.used > 0 && c.used+n > c.limit {
		if ctx.Err() != nil {
			return false
		}
		starved()
		c.cond.Wait()
	}
	c.used += n
	return true
}

// release gives n bytes back.
func (c *credit) release(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.used -= n
	c.cond.Broadcast()
}
