package segment

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

func benchBatch(b *testing.B) []byte {
	recs := make([][]byte, 16)
	for i := range recs {
		recs[i] = bytes.Repeat([]byte{byte('a' + i)}, 1024)
	}
	return makeBatch(b, recs, time.Now().UnixMilli())
}

// BenchmarkAppend appends 16 × 1 KiB-record batches (no fsync, as Kafka's
// default); retention keeps the temp dir small, outside the timer.
func BenchmarkAppend(b *testing.B) {
	l := openLog(b, b.TempDir(), Options{SegmentBytes: 64 << 20, RetentionBytes: 256 << 20, RetentionMs: -1})
	batch := benchBatch(b)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := l.Append(batch, 1); err != nil {
			b.Fatal(err)
		}
		if i%4096 == 4095 {
			b.StopTimer()
			l.SetHighWatermark(l.LogEndOffset())
			if _, err := l.EnforceRetention(time.Now()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
}

// BenchmarkRead locates the batch of a random offset in a 64 MiB log of
// 16 KiB batches over 4 segments and returns its view (what a fetch does
// before sendfile).
func BenchmarkRead(b *testing.B) {
	l := openLog(b, b.TempDir(), Options{SegmentBytes: 16 << 20})
	batch := benchBatch(b)
	for range 4096 {
		if _, _, err := l.Append(batch, 1); err != nil {
			b.Fatal(err)
		}
	}
	leo := l.LogEndOffset()
	rng := rand.New(rand.NewPCG(7, 8))
	offsets := make([]int64, 1024)
	for i := range offsets {
		offsets[i] = rng.Int64N(leo)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r, err := l.Read(offsets[i%len(offsets)], 1, leo)
		if err != nil || r.Size != int64(len(batch)) {
			b.Fatal(r.Size, err)
		}
		r.Release()
	}
}
