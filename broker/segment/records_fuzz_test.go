package segment

import (
	"bytes"
	"os"
	"testing"
)

// FuzzDecodeRecords feeds arbitrary record areas to the compaction
// decoder; whatever it accepts must survive a rebuild into a batch that
// validates and decodes to the same records.
func FuzzDecodeRecords(f *testing.F) {
	b := makeKeyedBatch(f, []kv{{[]byte("k"), []byte("v")}, {[]byte("t"), nil}, {nil, []byte("x")}}, 5, 0, nil)
	f.Add(b[HeaderSize:], int32(3), int64(-1))
	f.Add(b[HeaderSize:], int32(2), int64(99))
	f.Add([]byte{0x02, 0x00}, int32(1), int64(0))
	f.Fuzz(func(t *testing.T, area []byte, count int32, horizon int64) {
		recs, err := decodeRecords(area, count)
		if err != nil {
			return
		}
		h := Header{BaseOffset: 10, LastOffsetDelta: max(count-1, 0), BaseTimestamp: 1000, MaxTimestamp: 2000, ProducerID: -1, BaseSequence: -1}
		for _, r := range recs {
			h.LastOffsetDelta = max(h.LastOffsetDelta, r.offDelta)
		}
		out, err := rebuildBatch(&h, recs, horizon)
		if err != nil {
			t.Fatal(err)
		}
		oh, err := validateStored(out)
		if err != nil {
			t.Fatalf("rebuilt batch invalid: %v", err)
		}
		again, err := batchRecords(out, &oh)
		if err != nil || len(again) != len(recs) {
			t.Fatalf("rebuilt batch: %d records, %v; want %d", len(again), err, len(recs))
		}
		for i := range recs {
			a, b := recs[i], again[i]
			if a.offDelta != b.offDelta || !bytes.Equal(a.key, b.key) || a.hasKey != b.hasKey || a.hasValue != b.hasValue ||
				!bytes.Equal(a.value, b.value) || h.BaseTimestamp+a.tsDelta != oh.BaseTimestamp+b.tsDelta {
				t.Fatalf("record %d changed by the rebuild", i)
			}
		}
	})
}

// FuzzFinishCleaning opens a log that a crash left with a .swap file of
// arbitrary content next to its segments: Open must either refuse it or
// give a log whose batches are all valid with increasing offsets.
func FuzzFinishCleaning(f *testing.F) {
	good := makeKeyedBatch(f, []kv{{[]byte("k"), []byte("v")}}, 1, 0, nil)
	f.Add(good, false)
	f.Add(good[:30], false)
	f.Add(append(bytes.Clone(good), 9, 9), true)
	f.Fuzz(func(t *testing.T, swap []byte, fix bool) {
		if fix {
			fixCRCIfFramed(swap)
		}
		dir := t.TempDir()
		l, err := Open(dir, Options{SegmentBytes: 1024, Compact: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			if _, _, err := l.Append(makeKeyedBatch(t, []kv{{[]byte{'a' + byte(i%3)}, bytes.Repeat([]byte("v"), 200)}}, 1, 0, nil), 0); err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
		if err := os.WriteFile(segmentPath(dir, 0, swapSuffix), swap, 0o644); err != nil {
			t.Fatal(err)
		}
		l2, err := Open(dir, Options{SegmentBytes: 1024, Compact: true}, nil)
		if err != nil {
			return
		}
		defer l2.Close()
		b, err := l2.ReadBytes(l2.LogStartOffset(), 1<<30, l2.LogEndOffset())
		if err != nil {
			return // a storage error names what is wrong; no panic
		}
		o := int64(-1)
		for _, bb := range SplitBatches(b) {
			h, err := validateStored(bb)
			if err != nil || h.BaseOffset <= o {
				t.Fatalf("batch at %d after %d: %v", h.BaseOffset, o, err)
			}
			o = h.LastOffset()
		}
	})
}
