package indexer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// bulker sends documents to Elasticsearch in _bulk requests, as
// esutil.BulkIndexer does, and with the same knobs: workers that each fill
// a buffer up to flushBytes and send it, every flushInterval at the
// latest, or when Flush asks.
//
// Why not esutil.BulkIndexer itself: package esutil imports the root
// go-elasticsearch package for one fallback client, and with it the 858
// packages of the typed API, which took most of a fresh build's time
// (and again under -race for the tests). What the flow needs of a bulk
// indexer is small: this file, over esapi.BulkRequest.
type bulker struct {
	ctx           context.Context // bounds every request
	tr            esapi.Transport
	flushBytes    int
	flushInterval time.Duration
	onFlush       func(delta int) // +1 as a request starts, -1 as it ends

	items   chan bulkItem // to any worker; unbuffered: Add returns once a worker holds the item
	flushes []chan chan struct{}
	done    sync.WaitGroup
	closed  chan struct{}
	once    sync.Once
}

// bulkItem is one document to index.
type bulkItem struct {
	index, id string
	create    bool // the create action (data streams take no other) instead of index
	body      *bytes.Reader
	// answer is called once with the item's result: its status in the
	// bulk response (res), or err when the request as a whole failed.
	answer func(res bulkResult, err error)
}

// bulkResult is one item of a _bulk response.
type bulkResult struct {
	Status int       `json:"status"`
	Error  bulkError `json:"error"`
}

// bulkError is Elasticsearch's reason for refusing an item.
type bulkError struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
	Cause  struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"caused_by"`
}

// bulkFilterPath keeps only what the answers need: every item keeps its
// place (each has a status), and the response shrinks to a fraction.
var bulkFilterPath = []string{"errors", "items.*.status", "items.*.error"}

// newBulker starts workers workers sending to tr until Close; the
// requests end early if ctx ends.
func newBulker(ctx context.Context, tr esapi.Transport, workers, flushBytes int, flushInterval time.Duration, onFlush func(int)) *bulker {
	b := &bulker{
		ctx: ctx, tr: tr, flushBytes: flushBytes, flushInterval: flushInterval, onFlush: onFlush,
		items:  make(chan bulkItem),
		closed: make(chan struct{}),
	}
	for range max(workers, 1) {
		fl := make(chan chan struct{})
		b.flushes = append(b.flushes, fl)
		b.done.Go(func() { b.work(fl) })
	}
	return b
}

// errBulkerClosed answers Add after Close.
var errBulkerClosed = errors.New("bulk indexer closed")

// Add hands it to a worker, waiting while every worker is sending; it
// fails if ctx ends first or the bulker is closed.
func (b *bulker) Add(ctx context.Context, it bulkItem) error {
	select {
	case b.items <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-b.closed:
		return errBulkerClosed
	}
}

// Flush has every worker send what it holds, and waits until they have
// (or ctx ends). Every item added before Flush is answered when it
// returns nil.
func (b *bulker) Flush(ctx context.Context) error {
	for _, fl := range b.flushes {
		done := make(chan struct{})
		select {
		case fl <- done:
		case <-ctx.Done():
			return ctx.Err()
		case <-b.closed:
			return errBulkerClosed
		}
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close sends what the workers hold and stops them; items added later
// are refused.
func (b *bulker) Close() {
	b.once.Do(func() { close(b.closed) })
	b.done.Wait()
}

// work is one worker: it collects items into a request body and sends it
// when it reaches flushBytes, at the interval, on Flush and on Close.
func (b *bulker) work(flush <-chan chan struct{}) {
	w := bulkWorker{b: b}
	tick := time.NewTicker(b.flushInterval)
	defer tick.Stop()
	for {
		select {
		case it := <-b.items:
			w.add(it)
			if w.buf.Len() >= b.flushBytes {
				w.send()
			}
		case <-tick.C:
			w.send()
		case done := <-flush:
			w.send()
			close(done)
		case <-b.closed:
			w.send()
			return
		}
	}
}

// bulkWorker is a worker's request in the making.
type bulkWorker struct {
	b     *bulker
	buf   bytes.Buffer
	items []bulkItem
	resp  struct {
		Items []map[string]bulkResult `json:"items"`
	}
}

// add appends it's action line and document to the body.
func (w *bulkWorker) add(it bulkItem) {
	b := w.buf.AvailableBuffer()
	if it.create {
		b = append(b, `{"create":{"_index":`...)
	} else {
		b = append(b, `{"index":{"_index":`...)
	}
	b = appendJSONString(b, it.index)
	if it.id != "" {
		b = append(b, `,"_id":`...)
		b = appendJSONString(b, it.id)
	}
	b = append(b, "}}\n"...)
	w.buf.Write(b)
	_, _ = it.body.WriteTo(&w.buf)
	w.buf.WriteByte('\n')
	w.items = append(w.items, it)
}

// send sends the body (if any) and answers its items.
func (w *bulkWorker) send() {
	if len(w.items) == 0 {
		return
	}
	if w.b.onFlush != nil {
		w.b.onFlush(1)
		defer w.b.onFlush(-1)
	}
	err := w.do()
	for i, it := range w.items {
		var res bulkResult
		if err == nil {
			res = firstResult(w.resp.Items[i])
		}
		it.answer(res, err)
		w.items[i] = bulkItem{}
	}
	w.items = w.items[:0]
	w.buf.Reset()
	w.resp.Items = w.resp.Items[:0]
}

// do sends the body and decodes the answer into w.resp; an error means no
// item has an answer of its own.
func (w *bulkWorker) do() error {
	req := esapi.BulkRequest{Body: bytes.NewReader(w.buf.Bytes()), FilterPath: bulkFilterPath}
	res, err := req.Do(w.b.ctx, w.b.tr)
	if err != nil {
		return fmt.Errorf("bulk: %w", err)
	}
	defer res.Body.Close()
	if res.IsError() {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return fmt.Errorf("bulk: %s: %s", res.Status(), bytes.TrimSpace(msg))
	}
	if err := json.NewDecoder(res.Body).Decode(&w.resp); err != nil {
		return fmt.Errorf("bulk: decode the response: %w", err)
	}
	if len(w.resp.Items) != len(w.items) {
		return fmt.Errorf("bulk: %d items answered, %d sent", len(w.resp.Items), len(w.items))
	}
	return nil
}

// firstResult is the one action of a response item ({"index": {...}} or
// {"create": {...}}).
func firstResult(m map[string]bulkResult) bulkResult {
	for _, r := range m {
		return r
	}
	return bulkResult{}
}
