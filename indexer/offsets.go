package indexer

import (
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// offsets tracks, for each partition a route consumes, the chunks of
// records handed to the pipeline, in offset order, and which of them are
// finished (every record indexed, dropped by the pipeline or in the
// dead-letter topic). Chunks finish in any order; what may be committed
// is the end of the longest run of finished chunks from the oldest, so a
// committed offset never passes a record that is not finished.
//
// A partition the group takes away is fenced: records polled for it
// afterwards are dropped (its next owner reads them from the committed
// offset), and chunks of it still in flight finish into a state nobody
// commits from. A partition assigned again starts afresh.
type offsets struct {
	mu    sync.Mutex
	cond  *sync.Cond // broadcast when a chunk finishes or gives up
	parts map[topicPartition]*partition
}

type topicPartition struct {
	topic     string
	partition int32
}

// partition is the state of one partition; every field is guarded by
// offsets.mu.
type partition struct {
	chunks    []*chunk    // registered and not yet part of the finished prefix, oldest first
	acked     *kgo.Record // the last record of the finished prefix, nil if none yet
	committed int64       // the offset committed last (the next to consume); -1 if none
	fenced    bool        // revoked or lost: register drops its records
}

// Chunk states, guarded by offsets.mu.
const (
	chunkOpen      = iota // registered, in the pipeline
	chunkFinished         // every record done with
	chunkAbandoned        // given up (the indexer is stopping): never committed
)

func newOffsets() *offsets {
	o := &offsets{parts: map[topicPartition]*partition{}}
	o.cond = sync.NewCond(&o.mu)
	return o
}

// register splits recs, the records of one partition polled in offset
// order, into chunks of at most size records and appends them to the
// partition's. It returns none if the partition is fenced. The last chunk
// has flush set when flushLast is.
func (o *offsets) register(tp topicPartition, recs []*kgo.Record, size int, flushLast bool) []*chunk {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := o.parts[tp]
	if p == nil {
		p = &partition{committed: -1}
		o.parts[tp] = p
	}
	if p.fenced {
		return nil
	}
	var out []*chunk
	for len(recs) > 0 {
		k := min(size, len(recs))
		c := &chunk{part: p, recs: recs[:k:k]}
		recs = recs[k:]
		out = append(out, c)
		p.chunks = append(p.chunks, c)
	}
	if len(out) > 0 {
		out[len(out)-1].flush = flushLast
	}
	return out
}

// finish marks c finished (ok) or abandoned and advances its partition's
// finished prefix.
func (o *offsets) finish(c *chunk, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	c.state = chunkAbandoned
	if ok {
		c.state = chunkFinished
	}
	p := c.part
	n := 0
	for n < len(p.chunks) && p.chunks[n].state == chunkFinished {
		p.acked = p.chunks[n].recs[len(p.chunks[n].recs)-1]
		n++
	}
	if n > 0 {
		clear(p.chunks[:n])
		p.chunks = p.chunks[n:]
	}
	o.cond.Broadcast()
}

// abandon gives up chunks that were registered but never entered the
// pipeline.
func (o *offsets) abandon(cs []*chunk) {
	for _, c := range cs {
		o.finish(c, false)
	}
}

// commit is one partition's offset to commit: rec's offset + 1.
type commit struct {
	part *partition
	rec  *kgo.Record
}

// committable returns, for each partition whose finished prefix moved
// past its committed offset, the prefix's last record.
func (o *offsets) committable() []commit {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []commit
	for _, p := range o.parts {
		if !p.fenced && p.acked != nil && p.acked.Offset+1 > p.committed {
			out = append(out, commit{p, p.acked})
		}
	}
	return out
}

// committed records that cs were committed.
func (o *offsets) committed(cs []commit) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range cs {
		c.part.committed = max(c.part.committed, c.rec.Offset+1)
	}
}

// fence stops tps from taking new chunks.
func (o *offsets) fence(tps []topicPartition) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, tp := range tps {
		p := o.parts[tp]
		if p == nil {
			p = &partition{committed: -1}
			o.parts[tp] = p
		}
		p.fenced = true
	}
}

// forget drops what is known of tps, leaving them fenced: chunks of them
// still in flight finish into state nobody commits from.
func (o *offsets) forget(tps []topicPartition) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, tp := range tps {
		o.parts[tp] = &partition{committed: -1, fenced: true}
	}
}

// assign makes tps, newly assigned, take chunks again, from a fresh
// state if they had been fenced.
func (o *offsets) assign(tps []topicPartition) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, tp := range tps {
		if p := o.parts[tp]; p == nil || p.fenced {
			o.parts[tp] = &partition{committed: -1}
		}
	}
}

// settled waits until no chunk of tps is open, or ctx ends; false then.
func (o *offsets) settled(ctx context.Context, tps []topicPartition) bool {
	stop := context.AfterFunc(ctx, func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.cond.Broadcast()
	})
	defer stop()
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		open := false
		for _, tp := range tps {
			if p := o.parts[tp]; p != nil {
				for _, c := range p.chunks {
					open = open || c.state == chunkOpen
				}
			}
		}
		if !open {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		o.cond.Wait()
	}
}

// topicPartitions flattens a franz-go assignment map.
func topicPartitions(m map[string][]int32) []topicPartition {
	var out []topicPartition
	for t, ps := range m {
		for _, p := range ps {
			out = append(out, topicPartition{t, p})
		}
	}
	return out
}
