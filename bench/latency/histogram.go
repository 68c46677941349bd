// Package latency holds Histogram, a fixed-size log-linear histogram of
// latencies that the benchmarks (bench/coordinator, bench/broker) record
// into, one per client or producer, merged per phase.
package latency

import (
	"math/bits"
	"time"
)

// Histogram counts latencies in log-linear buckets: values below 64 ns
// exactly, above that 64 buckets per power of two, so a quantile is off by at
// most 1/64 (1.6 %) of its value. Its size is fixed (about 30 KiB) whatever
// the number of samples, so every client keeps its own and they are merged
// at the end of a phase. The zero value is empty and ready to use; it is not
// safe for concurrent use.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    time.Duration
}

const (
	subBits     = 6
	subBuckets  = 1 << subBits
	histBuckets = (64 - subBits) * subBuckets
)

func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1
	return (e+1)<<subBits | int(v>>e&(subBuckets-1))
}

// bucketMid is the middle of bucket i's range of values.
func bucketMid(i int) uint64 {
	if i < subBuckets {
		return uint64(i)
	}
	e := i>>subBits - 1
	low := uint64(subBuckets+i&(subBuckets-1)) << e
	return low + (uint64(1)<<e)/2
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.max = max(h.max, d)
}

// Merge adds o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest sample.
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the latency below which a fraction q (0..1) of the
// samples fall, or 0 without samples.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketMid(i)), h.max)
		}
	}
	return h.max
}
