package latency

import (
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, 1000 * time.Microsecond}} {
		got := h.Quantile(tc.q)
		if diff := got - tc.want; diff < -tc.want/50 || diff > tc.want/50 {
			t.Errorf("Quantile(%v) = %v, want %v within 2%%", tc.q, got, tc.want)
		}
	}
	var m Histogram
	m.Merge(&h)
	m.Merge(&h)
	if m.Count() != 2000 || m.Max() != time.Millisecond {
		t.Errorf("merged: count %d max %v", m.Count(), m.Max())
	}
	for v := uint64(0); v < 1<<20; v += 7 {
		if b := bucketOf(v); b >= histBuckets || bucketMid(b) > v+v/64+1 || bucketMid(b)+bucketMid(b)/64+1 < v {
			t.Fatalf("value %d: bucket %d mid %d", v, b, bucketMid(b))
		}
	}
}
