package spool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func open(t *testing.T, o Options) *Spool {
	t.Helper()
	s, dropped, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	if dropped != 0 {
		t.Fatalf("dropped %d bytes of a spool that was closed cleanly", dropped)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendN(t *testing.T, s *Spool, from, n int) []int64 {
	t.Helper()
	var ends []int64
	for i := from; i < from+n; i++ {
		end, err := s.Append(nil, fmt.Appendf(nil, "record %d", i))
		if err != nil {
			t.Fatal(err)
		}
		ends = append(ends, end)
	}
	return ends
}

func next(t *testing.T, s *Spool) Record {
	t.Helper()
	done := make(chan struct{})
	close(done) // never wait: the record must be there
	r, err := s.Next(done)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestResumeAtCommitted: after a reopen the reader starts at the position
// last committed; what was read but not committed is read again with the
// same end positions (so the same event ids), and nothing is lost.
func TestResumeAtCommitted(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, SegmentBytes: 64}
	s := open(t, o)
	ends := appendN(t, s, 0, 10)
	for i := range 10 {
		r := next(t, s)
		if want := fmt.Sprintf("record %d", i); string(r.Payload) != want || r.End != ends[i] {
			t.Fatalf("record %d: %q end %d, want %q end %d", i, r.Payload, r.End, want, ends[i])
		}
	}
	s.Ack(ends[3])
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Ack(ends[6]) // acknowledged, never committed: a kill now
	inst := s.Instance()
	s.Close()

	s = open(t, o)
	if s.Instance() != inst {
		t.Fatalf("instance %s after reopening, was %s", s.Instance(), inst)
	}
	for i := 4; i < 10; i++ {
		r := next(t, s)
		if want := fmt.Sprintf("record %d", i); string(r.Payload) != want || r.End != ends[i] {
			t.Fatalf("after reopening, record %q end %d, want %q end %d", r.Payload, r.End, want, ends[i])
		}
	}
	more := appendN(t, s, 10, 1)
	if r := next(t, s); string(r.Payload) != "record 10" || r.End != more[0] {
		t.Fatalf("appended after reopening: %q end %d", r.Payload, r.End)
	}
}

// TestCommitRemovesSegments: segments wholly below the committed position
// go, the one holding it stays.
func TestCommitRemovesSegments(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir, SegmentBytes: 40})
	ends := appendN(t, s, 0, 20)
	segs := func() int {
		m, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
		return len(m)
	}
	before := segs()
	if before < 5 {
		t.Fatalf("%d segments for 20 records of 40-byte segments", before)
	}
	for range 20 {
		next(t, s)
	}
	s.Ack(ends[19])
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := segs(); n != 1 {
		t.Fatalf("%d segments after everything was committed, want the active one", n)
	}
	if p, _ := s.Stats(); p != 0 {
		t.Fatalf("%d bytes pending after everything was acknowledged", p)
	}
}

// TestTornTail: a record cut short by a kill in the middle of its write is
// cut off at Open; the records before it stay, and appends go on after
// them.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir}
	s := open(t, o)
	ends := appendN(t, s, 0, 3)
	s.Close()
	seg := filepath.Join(dir, fmt.Sprintf("%020d.seg", 0))
	f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 0, 50, 1, 2, 3, 4, 'p', 'a', 'r'}) // 50 bytes announced, 3 written
	f.Close()

	s, dropped, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if dropped != 11 {
		t.Fatalf("dropped %d bytes, want the 11 of the torn record", dropped)
	}
	if _, end := s.Stats(); end != ends[2] {
		t.Fatalf("end %d after recovery, want %d", end, ends[2])
	}
	appendN(t, s, 3, 1)
	for i := range 4 {
		if r := next(t, s); string(r.Payload) != fmt.Sprintf("record %d", i) {
			t.Fatalf("record %d: %q", i, r.Payload)
		}
	}
}

// TestBadChecksumSkipped: a record the disk changed is skipped and
// counted; the ones after it are read.
func TestBadChecksumSkipped(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir}
	s := open(t, o)
	appendN(t, s, 0, 3)
	s.Close()
	seg := filepath.Join(dir, fmt.Sprintf("%020d.seg", 0))
	b, _ := os.ReadFile(seg)
	i := bytes.Index(b, []byte("record 1"))
	b[i] ^= 0xff
	os.WriteFile(seg, b, 0o640)

	s, _, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []string
	for range 2 {
		got = append(got, string(next(t, s).Payload))
	}
	if got[0] != "record 0" || got[1] != "record 2" || s.Skipped() != 1 {
		t.Fatalf("read %q, skipped %d; want records 0 and 2, one skipped", got, s.Skipped())
	}
}

// TestFullQueue: TryAppendBatch refuses while the bytes not acknowledged would
// pass MaxBytes, Append waits for an acknowledgement, and a record larger
// than the whole queue is taken once it is empty.
func TestFullQueue(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir(), MaxBytes: 100, MaxRecordBytes: 1000})
	var ends []int64
	for {
		end, ok, err := tryAppendOne(s, bytes.Repeat([]byte("x"), 12))
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		ends = append(ends, end)
	}
	if len(ends) != 5 { // 5 × 20 bytes
		t.Fatalf("%d records of 20 bytes taken by a 100-byte queue", len(ends))
	}
	stop := make(chan struct{})
	close(stop)
	if _, err := s.Append(stop, []byte("y")); !errors.Is(err, ErrFull) {
		t.Fatalf("Append on a full queue told to stop: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := s.Append(nil, []byte("waits"))
		got <- err
	}()
	next(t, s)
	s.Ack(ends[0])
	if err := <-got; err != nil {
		t.Fatalf("Append after an acknowledgement made room: %v", err)
	}
	for range 5 {
		next(t, s)
	}
	s.Ack(ends[4] + int64(headerLen+len("waits")))
	if _, ok, err := tryAppendOne(s, bytes.Repeat([]byte("z"), 500)); err != nil || !ok {
		t.Fatalf("a record larger than the queue, the queue empty: ok %v err %v", ok, err)
	}
	if _, _, err := tryAppendOne(s, make([]byte, 1001)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a record over MaxRecordBytes: %v", err)
	}
}

// TestNextWaits: Next waits for an append, and returns ErrStopped when
// told to stop.
func TestNextWaits(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir()})
	got := make(chan Record, 1)
	go func() {
		r, err := s.Next(nil)
		if err != nil {
			t.Error(err)
		}
		got <- Record{Payload: bytes.Clone(r.Payload), End: r.End}
	}()
	appendN(t, s, 0, 1)
	if r := <-got; string(r.Payload) != "record 0" {
		t.Fatalf("%q", r.Payload)
	}
	stop := make(chan struct{})
	close(stop)
	if _, err := s.Next(stop); !errors.Is(err, ErrStopped) {
		t.Fatalf("Next told to stop on an empty queue: %v", err)
	}
}

// TestRecordsLongerThanTheReadBuffer: a record longer than the reader's
// buffer (64 KiB) is read whole, between short ones, also after a reopen
// (whose recovery reads every record too).
func TestRecordsLongerThanTheReadBuffer(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, MaxRecordBytes: 300 << 10}
	var recs [][]byte
	for i := range 6 {
		n := 10 + i
		if i%2 == 1 {
			n = (100 << 10) * i / 2
		}
		recs = append(recs, bytes.Repeat([]byte{byte('a' + i)}, n))
	}
	s := open(t, o)
	for _, r := range recs {
		if _, err := s.Append(nil, r); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *Spool) {
		for i, want := range recs {
			if r := next(t, s); !bytes.Equal(r.Payload, want) {
				t.Fatalf("record %d: %d bytes, want %d", i, len(r.Payload), len(want))
			}
		}
	}
	check(s)
	s.Close()
	check(open(t, o))
}

// tryAppendOne writes payload as one record unless the queue is full
// (false).
func tryAppendOne(s *Spool, payload []byte) (int64, bool, error) {
	end, n, err := s.TryAppendBatch([][]byte{payload})
	return end, n == 1, err
}

// TestWakesOnlyItsWaiters: an acknowledgement does not wake the reader
// waiting for a record (each woke it for nothing: a context switch or two
// per acknowledged batch), nor a record an appender waiting for room;
// Close wakes both.
func TestWakesOnlyItsWaiters(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir()})
	ends := appendN(t, s, 0, 2)
	next(t, s)
	next(t, s)
	closed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	s.mu.Lock()
	reader, appender := s.grown.watch(true), s.freed.watch(true)
	s.mu.Unlock()
	s.Ack(ends[0])
	if closed(reader) || !closed(appender) {
		t.Fatalf("after an ack: reader woken %v (want false), appender woken %v (want true)", closed(reader), closed(appender))
	}
	s.mu.Lock()
	appender = s.freed.watch(true)
	s.mu.Unlock()
	appendN(t, s, 2, 1)
	if !closed(reader) || closed(appender) {
		t.Fatalf("after a record: reader woken %v (want true), appender woken %v (want false)", closed(reader), closed(appender))
	}
	s.mu.Lock()
	reader = s.grown.watch(true)
	s.mu.Unlock()
	s.Close()
	if !closed(reader) || !closed(appender) {
		t.Fatalf("after Close: reader woken %v, appender woken %v, want both", closed(reader), closed(appender))
	}
}
