package partition

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/segment"
)

// corrupt flips a byte the CRC covers.
func corrupt(b []byte) []byte {
	b[len(b)-1] ^= 0xff
	return b
}

// TestAppendRefusesBadBatches: the produce path (and the group manager's
// writes, which take it too) validates a batch once, in Append, before
// anything else — so a corrupt batch is refused even when its header looks
// like a retry of a batch already written — and a refused batch leaves the
// log as it was.
func TestAppendRefusesBadBatches(t *testing.T) {
	p := openAs(t, t.TempDir(), asLeader)
	defer p.Close()
	if _, _, _, err := p.Append(producerBatch(7, 0, 0, "a"), true); err != nil {
		t.Fatal(err)
	}
	noRecords := producerBatch(7, 0, 1, "b")
	binary.BigEndian.PutUint32(noRecords[57:], 0) // record count
	segment.SetCRC(noRecords)
	for name, tc := range map[string]struct {
		batch []byte
		want  *kerr.Error
	}{
		"bad crc":              {corrupt(producerBatch(7, 0, 1, "b")), kerr.CorruptMessage},
		"bad crc, a retry":     {corrupt(producerBatch(7, 0, 0, "a")), kerr.CorruptMessage},
		"torn":                 {producerBatch(7, 0, 1, "b")[:40], kerr.CorruptMessage},
		"no records":           {noRecords, kerr.InvalidRecord},
		"not a batch":          {[]byte("hello, broker"), kerr.CorruptMessage},
		"bad crc, no producer": {corrupt(segment.BuildBatch([]segment.Record{{Value: []byte("c")}}, 1)), kerr.CorruptMessage},
	} {
		_, _, _, err := p.Append(tc.batch, true)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %s", name, err, tc.want.Message)
		}
		if p.LogEndOffset() != 1 {
			t.Fatalf("%s: log end %d after a refused batch, want 1", name, p.LogEndOffset())
		}
	}
	if base, _, _, err := p.Append(producerBatch(7, 0, 1, "b"), true); err != nil || base != 1 {
		t.Fatalf("good batch after the bad ones: offset %d, %v", base, err)
	}
}

// TestAppendReplicaRefusesBadBatches: the follower path writes a leader's
// batches as they are, but still validates each (framing, CRC, offsets
// past the log's end: gaps are allowed, as compaction leaves them) before
// writing it; the batches before a bad one stay.
func TestAppendReplicaRefusesBadBatches(t *testing.T) {
	p := openAs(t, t.TempDir(), State{Leader: 2, ISR: []int32{1, 2}})
	defer p.Close()
	at := func(offset int64, b []byte) []byte {
		binary.BigEndian.PutUint64(b, uint64(offset)) // base offset: not covered by the CRC
		return b
	}
	good := func(offset int64) []byte { return at(offset, producerBatch(-1, -1, -1, "r")) }
	for _, tc := range []struct {
		name    string
		batches [][]byte
		want    *kerr.Error
		leo     int64 // the log end after it
	}{
		{"bad crc", [][]byte{corrupt(good(0))}, kerr.CorruptMessage, 0},
		{"torn", [][]byte{good(0)[:50]}, kerr.CorruptMessage, 0},
		{"good then bad", [][]byte{good(0), corrupt(good(1))}, kerr.CorruptMessage, 1},
		{"not a batch", [][]byte{make([]byte, 70)}, kerr.CorruptMessage, 1},
		{"overlap", [][]byte{good(0)}, kerr.InvalidRecord, 1},
	} {
		name := tc.name
		ok, err := p.AppendReplica(tc.batches, 0, 0)
		if !ok || !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, %v; want %s", name, ok, err, tc.want.Message)
		}
		if p.LogEndOffset() != tc.leo {
			t.Fatalf("%s: log end %d, want %d", name, p.LogEndOffset(), tc.leo)
		}
	}
	// A gap is what a compacted leader's log has: the follower takes it.
	if _, err := p.AppendReplica([][]byte{good(5)}, 0, 0); err != nil || p.LogEndOffset() != 6 {
		t.Fatalf("gap: %v, log end %d; want nil, 6", err, p.LogEndOffset())
	}
}
