package agent

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// errQueue marks a read that failed because what was read before could
// not be queued.
var errQueue = errors.New("syslog: queueing")

// queueRecords gathers queue records one after the other in one buffer,
// for one spool append (one write(2)).
type queueRecords struct {
	buf  []byte   // the records, one after the other
	ends []int    // where each ends in buf
	recs [][]byte // what records returns, reused
}

func (q *queueRecords) add(at time.Time, from string, cut bool, msg []byte) {
	q.buf = appendQueued(q.buf, at, from, cut, msg)
	q.ends = append(q.ends, len(q.buf))
}

// records is the gathered records, valid until the next reset.
func (q *queueRecords) records() [][]byte {
	q.recs = q.recs[:0]
	start := 0
	for _, end := range q.ends {
		q.recs = append(q.recs, q.buf[start:end])
		start = end
	}
	return q.recs
}

func (q *queueRecords) reset() { q.buf, q.ends = q.buf[:0], q.ends[:0] }

// connQueue gathers the queue records of a connection's messages until
// the next read.
type connQueue struct {
	queueRecords
	si  *syslogInput
	now time.Time // when the last read returned
}

// flush appends the gathered records to the queue, waiting while it is
// full.
func (q *connQueue) flush() error {
	if len(q.ends) == 0 {
		return nil
	}
	_, _, err := q.si.spool.AppendBatch(q.si.stopped, q.records())
	q.reset()
	if err != nil {
		return fmt.Errorf("%w: %w", errQueue, err)
	}
	return nil
}

// queueingReader reads a connection for its connQueue: it flushes the
// queue before each read, and notes when the bytes of each read arrived
// (the arrival time of the messages they end: one clock reading per read,
// not per message).
type queueingReader struct {
	r io.Reader
	q *connQueue
}

func (f queueingReader) Read(p []byte) (int, error) {
	if err := f.q.flush(); err != nil {
		return 0, err
	}
	n, err := f.r.Read(p)
	if n > 0 {
		f.q.now = time.Now()
	}
	return n, err
}
