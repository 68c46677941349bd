package agent

import (
	"context"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// slab hands out the records of one input's events, and the bytes of
// their values, from chunks instead of one allocation per event. Chunks
// grow from small (a file written to now and then pins little memory) to
// slabMaxBytes/slabMaxRecords while lines keep coming, and shrink back
// when the file goes idle (release). One goroutine (the file's harvester,
// the syslog input's shipper, the journald input's reader) uses a slab.
//
// A full-sized chunk is used again once the slab has moved past it and
// the producer settled every record holding a part of it (settle, from
// the output's promise): it goes back to the free list the slab was given
// (the output's, shared by all its slabs, so what it keeps is bounded
// however many files are read). Without that every event's bytes were
// garbage within a second, and the garbage collector's work, the zeroing
// of new chunks and the producer's request buffers (pooled, so emptied by
// each collection) were about a quarter of the syslog input's CPU per
// event.
type slab struct {
	bytes    []byte          // the rest of curBytes
	recs     []pendingRecord // the rest of curRecs
	curBytes *chunk
	curRecs  *chunk
	cur      *pendingRecord // the record last handed out: copyOf's bytes are its
	free     *freeList      // nil: chunks are not used again
	nextRecs int            // size of the next chunk of records
	nextByte int            // size of the next chunk of bytes
}

// The largest chunks stay below 32 KiB, the runtime's largest small
// object: a larger one takes the slower large-object path.
const (
	slabMinRecords = 4
	slabMaxRecords = 96 // of about 280 bytes
	slabMinBytes   = 1 << 10
	slabMaxBytes   = 32 << 10
	// slabFree is how many chunks of each kind a free list keeps: after
	// a burst, an idle agent keeps at most that many (about 1.9 MiB).
	slabFree = 32
)

// pendingRecord is a record and what its acknowledgement acknowledges. The
// record's Context points at ctx, so that the producer's one promise
// function finds the token without a closure per record.
type pendingRecord struct {
	rec kgo.Record
	ctx ackContext
	hdr [1]kgo.RecordHeader
}

// ackContext is the context a record is produced with, carrying its
// acknowledgement token and the chunks it holds parts of.
type ackContext struct {
	context.Context
	tok    ackToken    // a file's or the syslog queue's event (tok.t set), or
	cursor cursorToken // a journal entry's event (cursor.t set)
	chunks [4]*chunk   // [0]: the record's own; then the chunks of its bytes
}

// ack acknowledges the record's event.
func (a *ackContext) ack() {
	if a.cursor.t != nil {
		a.cursor.ack()
		return
	}
	a.tok.ack()
}

// chunk is a block of records or of bytes a slab hands out parts of.
type chunk struct {
	refs  atomic.Int32 // records holding a part, plus one while the slab hands out from it
	lost  atomic.Bool  // a record holds a part the slab could not note: never used again
	recs  []pendingRecord
	bytes []byte
	home  *freeList // nil: not used again (not full-sized)
}

// freeList holds full-sized chunks that are free to be used again.
// Settling records (the producer's promise goroutine) puts, slabs take.
type freeList struct {
	recs, bytes chan *chunk
}

func newFreeList() *freeList {
	return &freeList{recs: make(chan *chunk, slabFree), bytes: make(chan *chunk, slabFree)}
}

// unref drops one hold on c, and puts it on its free list after the last.
func (c *chunk) unref() {
	if c.refs.Add(-1) != 0 || c.home == nil || c.lost.Load() {
		return
	}
	ch := c.home.bytes
	if c.recs != nil {
		ch = c.home.recs
	}
	select {
	case ch <- c:
	default: // full: left to the garbage collector
	}
}

// settle lets go of the record's chunks: the producer is done with it
// (acknowledged or failed). Nothing of the record may be used after.
func (a *ackContext) settle() {
	held := a.chunks // the record's own chunk may be reused once let go of: copied first
	for i := len(held) - 1; i >= 0; i-- {
		if held[i] != nil {
			held[i].unref()
		}
	}
}

// record returns a zeroed record whose Context carries tok.
func (s *slab) record(ctx context.Context, tok ackToken) *kgo.Record {
	if len(s.recs) == 0 {
		s.nextRecs = min(max(2*s.nextRecs, slabMinRecords), slabMaxRecords)
		s.curRecs = s.take(s.curRecs, s.nextRecs, true)
		s.recs = s.curRecs.recs
	}
	p := &s.recs[0]
	s.recs = s.recs[1:]
	*p = pendingRecord{ctx: ackContext{Context: ctx, tok: tok}}
	p.ctx.chunks[0] = s.curRecs
	s.curRecs.refs.Add(1)
	p.rec.Context = &p.ctx
	p.rec.Headers = p.hdr[:0]
	s.cur = p
	return &p.rec
}

// cursorRecord returns a zeroed record whose Context carries tok, the
// acknowledgement of a journal entry's event.
func (s *slab) cursorRecord(ctx context.Context, tok cursorToken) *kgo.Record {
	rec := s.record(ctx, ackToken{})
	s.cur.ctx.cursor = tok
	return rec
}

// copyOf returns a copy of b with its own capacity, held by the record
// last returned by record (which must not have been published yet).
func (s *slab) copyOf(b []byte) []byte {
	n := len(b)
	if cap(s.bytes)-len(s.bytes) < n {
		if n > slabMaxBytes/4 {
			return append([]byte(nil), b...)
		}
		s.nextByte = min(max(2*s.nextByte, slabMinBytes), slabMaxBytes)
		for s.nextByte < n {
			s.nextByte *= 2
		}
		s.curBytes = s.take(s.curBytes, s.nextByte, false)
		s.bytes = s.curBytes.bytes[:0]
	}
	i := len(s.bytes)
	s.bytes = append(s.bytes, b...)
	s.hold(s.curBytes)
	return s.bytes[i : i+n : i+n]
}

// hold records that the current record holds a part of c.
func (s *slab) hold(c *chunk) {
	if s.cur == nil {
		return
	}
	held := &s.cur.ctx.chunks
	for i := 1; i < len(held); i++ {
		switch held[i] {
		case c:
			return
		case nil:
			held[i] = c
			c.refs.Add(1)
			return
		}
	}
	c.lost.Store(true) // no room to note it: never used again
}

// take lets go of the slab's hold on old and returns a chunk of size
// records or bytes: a free one if size is the largest, else a new one.
func (s *slab) take(old *chunk, size int, recs bool) *chunk {
	if old != nil {
		old.unref()
	}
	full := (recs && size == slabMaxRecords) || (!recs && size == slabMaxBytes)
	var c *chunk
	if full && s.free != nil {
		ch := s.free.bytes
		if recs {
			ch = s.free.recs
		}
		select {
		case c = <-ch:
		default:
		}
	}
	if c == nil {
		c = &chunk{}
		if full {
			c.home = s.free
		}
		if recs {
			c.recs = make([]pendingRecord, size)
		} else {
			c.bytes = make([]byte, 0, size)
		}
	}
	c.refs.Store(1)
	return c
}

// release lets go of the current chunks (the file went idle): the next
// event starts small chunks again.
func (s *slab) release() {
	for _, c := range []*chunk{s.curBytes, s.curRecs} {
		if c != nil {
			c.unref()
		}
	}
	s.bytes, s.recs, s.curBytes, s.curRecs, s.cur = nil, nil, nil, nil, nil
	s.nextRecs, s.nextByte = 0, 0
}
