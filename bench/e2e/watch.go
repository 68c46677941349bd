package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// watcher asks Elasticsearch, again and again, which sampled lines
// _search returns, and notes when it first saw each.
type watcher struct {
	es *testpeer.Elasticsearch

	every int // sampled lines are the multiples of every

	mu   sync.Mutex
	seen map[int]time.Time
	from int // every sampled line below it has been seen
}

type hits struct {
	Hits struct {
		Hits []struct {
			Source struct {
				Labels struct {
					Seq int `json:"seq"`
				} `json:"labels"`
			} `json:"_source"`
		} `json:"hits"`
	} `json:"hits"`
}

// once runs one _search for the sampled lines from w.from on.
func (w *watcher) once(ctx context.Context) error {
	w.mu.Lock()
	from := w.from
	w.mu.Unlock()
	q := fmt.Sprintf(`{"size":10000,"_source":["labels.seq"],"sort":[{"labels.seq":"asc"}],
		"query":{"bool":{"filter":[{"term":{"labels.sample":true}},{"range":{"labels.seq":{"gte":%d}}}]}}}`, from)
	var h hits
	if err := w.es.Do(ctx, http.MethodPost, "/bench-*/_search?ignore_unavailable=true&allow_no_indices=true", []byte(q), &h); err != nil {
		return err
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, hit := range h.Hits.Hits {
		if _, ok := w.seen[hit.Source.Labels.Seq]; !ok {
			w.seen[hit.Source.Labels.Seq] = now
		}
	}
	for {
		if _, ok := w.seen[w.from]; !ok {
			return nil
		}
		w.from += w.every
	}
}

// poll runs once every interval until ctx ends.
func (w *watcher) poll(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		_ = w.once(ctx) // a failed search is retried at the next tick
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// waitFor polls until line seq has been seen or ctx ends. The warm-up
// line is not sampled: it is looked up by its seq alone.
func (w *watcher) waitFor(ctx context.Context, seq int) error {
	q := []byte(fmt.Sprintf(`{"size":1,"query":{"term":{"labels.seq":%d}}}`, seq))
	for {
		var h hits
		err := w.es.Do(ctx, http.MethodPost, "/bench-*/_search?ignore_unavailable=true&allow_no_indices=true", q, &h)
		if err == nil && len(h.Hits.Hits) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
			}
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (w *watcher) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

func (w *watcher) at(seq int) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.seen[seq]
	return t, ok
}
