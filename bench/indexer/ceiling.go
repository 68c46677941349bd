//go:build esceiling

package indexer

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
)

// ceilingBuilt: this build has the ceiling.
const ceilingBuilt = true

// bulkAll indexes docs with one esutil.BulkIndexer (the indexer's workers
// and flush bytes, no flush interval) and returns once every item was
// acknowledged, or the first failure.
func bulkAll(ctx context.Context, url string, docs []doc, workers, flushBytes int) error {
	client, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{url}})
	if err != nil {
		return fmt.Errorf("elasticsearch client: %w", err)
	}
	var failed atomic.Int64
	var firstErr atomic.Value
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client: client, NumWorkers: workers, FlushBytes: flushBytes, FlushInterval: time.Hour,
		OnError: func(_ context.Context, err error) { firstErr.CompareAndSwap(nil, err) },
	})
	if err != nil {
		return err
	}
	onFailure := func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
		failed.Add(1)
		if err == nil {
			err = fmt.Errorf("status %d: %s: %s", res.Status, res.Error.Type, res.Error.Reason)
		}
		firstErr.CompareAndSwap(nil, err)
	}
	for _, d := range docs {
		if err := bi.Add(ctx, esutil.BulkIndexerItem{
			Action: "index", Index: d.index, DocumentID: d.id, Body: bytes.NewReader(d.body), OnFailure: onFailure,
		}); err != nil {
			_ = bi.Close(context.Background())
			return err
		}
	}
	if err := bi.Close(ctx); err != nil {
		return err
	}
	st := bi.Stats()
	if failed.Load() > 0 || st.NumFailed > 0 || st.NumIndexed != uint64(len(docs)) {
		return fmt.Errorf("%d of %d items acknowledged, %d failed; first: %v", st.NumIndexed, len(docs), st.NumFailed, firstErr.Load())
	}
	return nil
}
