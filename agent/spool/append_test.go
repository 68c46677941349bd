package spool

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func payloads(from, n int) [][]byte {
	var ps [][]byte
	for i := from; i < from+n; i++ {
		ps = append(ps, fmt.Appendf(nil, "record %d", i))
	}
	return ps
}

// TestAppendBatch: a batch's records read back in order, across a segment
// boundary within the batch, with their end positions as Append's.
func TestAppendBatch(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir, SegmentBytes: 40}) // 16 bytes a record: a new segment every 3
	end, n, err := s.AppendBatch(nil, payloads(0, 7))
	if err != nil || n != 7 {
		t.Fatalf("AppendBatch: %d written, %v", n, err)
	}
	if end != 7*16 {
		t.Errorf("end %d, want %d", end, 7*16)
	}
	if segs, _ := listSegments(dir); len(segs) != 3 {
		t.Errorf("segments %v, want 3", segs)
	}
	for i := range 7 {
		r := next(t, s)
		if want := fmt.Sprintf("record %d", i); string(r.Payload) != want || r.End != int64(i+1)*16 {
			t.Fatalf("record %d: %q ending at %d", i, r.Payload, r.End)
		}
	}
}

// TestAppendBatchFull: a batch larger than the queue's room writes what
// fits, waits for an acknowledgement and writes the rest; told to stop it
// says how many it wrote.
func TestAppendBatchFull(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir(), MaxBytes: 48}) // 3 records of 16 bytes
	stop := make(chan struct{})
	close(stop)
	_, n, err := s.AppendBatch(stop, payloads(0, 5))
	if n != 3 || !errors.Is(err, ErrFull) {
		t.Fatalf("a batch of 5 into room for 3, told to stop: %d written, %v", n, err)
	}
	got := make(chan error, 1)
	go func() {
		_, n, err := s.AppendBatch(nil, payloads(3, 2))
		if err == nil && n != 2 {
			err = fmt.Errorf("%d of 2 written", n)
		}
		got <- err
	}()
	for range 2 {
		s.Ack(next(t, s).End)
	}
	if err := <-got; err != nil {
		t.Fatalf("AppendBatch after acknowledgements made room: %v", err)
	}
	for i := 2; i < 5; i++ {
		if r := next(t, s); string(r.Payload) != fmt.Sprintf("record %d", i) {
			t.Fatalf("record %d: %q", i, r.Payload)
		}
	}
}

// TestAppendBatchStopsBeforeABadRecord: the records before an empty one
// are written; the empty one is refused when it comes first.
func TestAppendBatchStopsBeforeABadRecord(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir()})
	_, n, err := s.AppendBatch(nil, [][]byte{[]byte("a"), []byte("b"), nil, []byte("c")})
	if n != 2 || !errors.Is(err, ErrEmpty) {
		t.Fatalf("%d written, %v; want 2 and ErrEmpty", n, err)
	}
	for _, want := range []string{"a", "b"} {
		if r := next(t, s); !bytes.Equal(r.Payload, []byte(want)) {
			t.Fatalf("%q, want %q", r.Payload, want)
		}
	}
}

// TestTryAppendBatch: a batch larger than the queue's room writes what
// fits, in one write, and returns at once; a full queue takes none.
func TestTryAppendBatch(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir(), MaxBytes: 48}) // 3 records of 16 bytes
	if _, n, err := s.TryAppendBatch(nil); n != 0 || err != nil {
		t.Fatalf("an empty batch: %d written, %v", n, err)
	}
	end, n, err := s.TryAppendBatch(payloads(0, 5))
	if n != 3 || err != nil || end != 48 {
		t.Fatalf("a batch of 5 into room for 3: %d written ending at %d, %v", n, end, err)
	}
	if _, n, err := s.TryAppendBatch(payloads(3, 2)); n != 0 || err != nil {
		t.Fatalf("a batch into a full queue: %d written, %v", n, err)
	}
	for i := range 3 {
		if r := next(t, s); string(r.Payload) != fmt.Sprintf("record %d", i) {
			t.Fatalf("record %d: %q", i, r.Payload)
		}
	}
	if _, n, err := s.TryAppendBatch([][]byte{nil, []byte("a")}); n != 0 || !errors.Is(err, ErrEmpty) {
		t.Fatalf("a batch whose first record is empty: %d written, %v", n, err)
	}
}

func TestCountRecords(t *testing.T) {
	var buf []byte
	for _, p := range payloads(0, 4) {
		h := make([]byte, headerLen)
		putUint32(h, uint32(len(p)))
		buf = append(append(buf, h...), p...)
	}
	if n := countRecords(buf); n != 4 {
		t.Errorf("countRecords: %d, want 4", n)
	}
}
