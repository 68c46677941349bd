package agent

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"
)

// slab hands out the records of one file's events, and the bytes of their
// values, from chunks instead of one allocation per event: a chunk lives
// until the last of its records is acknowledged and dropped by the
// producer. Chunks grow from small (a file written to now and then pins
// little memory) to slabMaxBytes/slabMaxRecords while lines keep coming,
// and shrink back when the file goes idle (release). One goroutine (the
// file's harvester) uses a slab.
type slab struct {
	bytes    []byte
	recs     []pendingRecord
	nextRecs int // size of the next chunk of records
	nextByte int // size of the next chunk of bytes
}

// The largest chunks stay below 32 KiB, the runtime's largest small
// object: a larger one takes the slower large-object path.
const (
	slabMinRecords = 4
	slabMaxRecords = 96 // of about 250 bytes
	slabMinBytes   = 1 << 10
	slabMaxBytes   = 32 << 10
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
// acknowledgement token.
type ackContext struct {
	context.Context
	tok ackToken
}

// record returns a zeroed record whose Context carries tok.
func (s *slab) record(ctx context.Context, tok ackToken) *kgo.Record {
	if len(s.recs) == 0 {
		s.nextRecs = min(max(2*s.nextRecs, slabMinRecords), slabMaxRecords)
		s.recs = make([]pendingRecord, s.nextRecs)
	}
	p := &s.recs[0]
	s.recs = s.recs[1:]
	p.ctx = ackContext{Context: ctx, tok: tok}
	p.rec.Context = &p.ctx
	p.rec.Headers = p.hdr[:0]
	return &p.rec
}

// copyOf returns a copy of b with its own capacity.
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
		s.bytes = make([]byte, 0, s.nextByte)
	}
	i := len(s.bytes)
	s.bytes = append(s.bytes, b...)
	return s.bytes[i : i+n : i+n]
}

// release lets go of the current chunks (the file went idle): the next
// event starts small chunks again.
func (s *slab) release() {
	s.bytes, s.recs = nil, nil
	s.nextRecs, s.nextByte = 0, 0
}
