package segment

import (
	"bytes"
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
