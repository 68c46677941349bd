package spool

import (
	"fmt"
	"hash/crc32"
)

// Append writes payload as one record, waiting while the queue is full
// until done is closed (then it returns ErrFull). It returns the record's
// end position.
func (s *Spool) Append(done <-chan struct{}, payload []byte) (int64, error) {
	one := [1][]byte{payload}
	end, _, err := s.AppendBatch(done, one[:])
	return end, err
}

// AppendBatch writes payloads as records, in order, with one write(2)
// for as many as the queue has room for and the active segment takes
// (all of them, usually), waiting while the queue is full until done is
// closed (then it returns ErrFull). It returns the end position of the
// last record written and how many were.
func (s *Spool) AppendBatch(done <-chan struct{}, payloads [][]byte) (end int64, n int, err error) {
	for n < len(payloads) {
		e, k, err := s.tryAppend(payloads[n:])
		if k > 0 {
			end, n = e, n+k
		}
		if err != nil {
			return end, n, err
		}
		if k > 0 {
			continue
		}
		s.mu.Lock()
		full := s.fullLocked(0, len(payloads[n]))
		ch := s.freed.watch(full)
		s.mu.Unlock()
		if !full {
			continue
		}
		select {
		case <-ch:
		case <-done:
			return end, n, ErrFull
		}
	}
	return end, n, nil
}

// fullLocked reports whether a record of n bytes does not fit after
// pending bytes not yet written.
func (s *Spool) fullLocked(pending int64, n int) bool {
	used := s.end + pending - s.acked
	// A record larger than the whole queue is taken once the queue is
	// empty, or it would never be.
	return used > 0 && used+int64(headerLen+n) > s.opts.MaxBytes
}

// TryAppendBatch writes the records of payloads that fit, in order, with
// one write(2) (one per segment), and never waits: it stops at the first
// that does not fit in the queue (n < len(payloads), nil error) or that
// it cannot take (its error when it is the first: then n is 0). It
// returns the end position of the last record written and how many were.
func (s *Spool) TryAppendBatch(payloads [][]byte) (end int64, n int, err error) {
	if len(payloads) == 0 {
		return 0, 0, nil
	}
	return s.tryAppend(payloads)
}

// check says why payload cannot be a record, if it cannot.
func (s *Spool) check(payload []byte) error {
	if len(payload) == 0 {
		return ErrEmpty
	}
	if len(payload) > s.opts.MaxRecordBytes {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(payload), s.opts.MaxRecordBytes)
	}
	return nil
}

// tryAppend writes the records of payloads that fit, from the first, in
// one write(2) per segment: it stops at the first that does not fit in the
// queue, and before the first it cannot take (whose error it returns when
// it is the first). It returns the end position of the last record written
// and how many were.
func (s *Spool) tryAppend(payloads [][]byte) (end int64, n int, err error) {
	if err := s.check(payloads[0]); err != nil {
		return 0, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, 0, ErrClosed
	}
	buf := s.wbuf[:0]
	for n < len(payloads) {
		p := payloads[n]
		if s.check(p) != nil || s.fullLocked(int64(len(buf)), len(p)) {
			break
		}
		if s.end+int64(len(buf))-s.activeAt >= s.opts.SegmentBytes {
			if err := s.writeLocked(buf); err != nil {
				return s.end, n - countRecords(buf), err
			}
			buf = buf[:0]
			if err := s.rollLocked(); err != nil {
				return s.end, n, err
			}
		}
		buf = append(buf, make([]byte, headerLen)...)
		h := buf[len(buf)-headerLen:]
		putUint32(h[0:4], uint32(len(p)))
		putUint32(h[4:8], crc32.Checksum(p, crcTable))
		buf = append(buf, p...)
		n++
	}
	if cap(buf) <= 1<<20 {
		s.wbuf = buf[:0] // a rare large batch is not kept
	}
	if err := s.writeLocked(buf); err != nil {
		return s.end, n - countRecords(buf), err
	}
	return s.end, n, nil
}

// writeLocked appends framed records to the active segment with one
// write(2).
func (s *Spool) writeLocked(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	if _, err := s.active.Write(buf); err != nil {
		// A short write leaves a torn record: cut it off so the next
		// append does not follow garbage.
		_ = s.active.Truncate(s.end - s.activeAt)
		return fmt.Errorf("spool: appending to %s: %w", s.active.Name(), err)
	}
	s.end += int64(len(buf))
	s.grown.wake()
	return nil
}

// countRecords is how many framed records buf holds.
func countRecords(buf []byte) int {
	n := 0
	for len(buf) >= headerLen {
		buf = buf[headerLen+int(getUint32(buf)):]
		n++
	}
	return n
}
