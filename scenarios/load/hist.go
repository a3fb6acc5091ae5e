package load

import (
	"math"
	"math/bits"
	"time"
)

// Histogram buckets non-negative integer values (microseconds, or counts)
// log-linearly: values below 64 exactly, larger ones in 32 buckets per
// power of two, so a quantile is off by less than 1/32 (3.2 %) of its
// value. Its memory is fixed (about 15 KB) whatever the number of values.
// The zero value is empty and ready; it is not safe for concurrent use.
type Histogram struct {
	counts   [histBuckets]uint64
	n        uint64
	sum      float64
	min, max int64
}

const (
	histExact   = 64 // values 0..63 have a bucket each
	histSub     = 32 // buckets per power of two above
	histBuckets = histExact + (63-6)*histSub
)

// bucketOf returns v's bucket.
func bucketOf(v int64) int {
	if v < histExact {
		return int(max(v, 0))
	}
	p := bits.Len64(uint64(v)) - 1 // ≥ 6
	shift := p - 5
	top := int(v >> shift) // 32..63
	return histExact + (p-6)*histSub + top - histSub
}

// bucketHigh returns the largest value of bucket i.
func bucketHigh(i int) int64 {
	if i < histExact {
		return int64(i)
	}
	i -= histExact
	p := i/histSub + 6
	top := int64(i%histSub + histSub)
	shift := p - 5
	return (top+1)<<shift - 1
}

// Record adds one value (negative values count as 0).
func (h *Histogram) Record(v int64) {
	v = max(v, 0)
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
	h.counts[bucketOf(v)]++
}

// RecordDuration adds d in microseconds.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(d.Microseconds()) }

// Count returns how many values were recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Min returns the smallest value recorded (0 when empty).
func (h *Histogram) Min() int64 { return h.min }

// Max returns the largest value recorded (0 when empty).
func (h *Histogram) Max() int64 { return h.max }

// Mean returns the exact mean (0 when empty).
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Quantile returns the value at quantile q (0..1): the highest value of the
// bucket holding the ⌈q·n⌉-th smallest value, clamped to [Min, Max]; 0 when
// empty.
func (h *Histogram) Quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return min(max(bucketHigh(i), h.min), h.max)
		}
	}
	return h.max
}

// Stat returns a statistic by its threshold name (p50 p90 p95 p99 p999
// min max avg mean); false for an unknown name.
func (h *Histogram) Stat(name string) (float64, bool) {
	switch name {
	case "p50":
		return float64(h.Quantile(0.50)), true
	case "p90":
		return float64(h.Quantile(0.90)), true
	case "p95":
		return float64(h.Quantile(0.95)), true
	case "p99":
		return float64(h.Quantile(0.99)), true
	case "p999":
		return float64(h.Quantile(0.999)), true
	case "min":
		return float64(h.min), true
	case "max":
		return float64(h.max), true
	case "avg", "mean":
		return h.Mean(), true
	}
	return 0, false
}
