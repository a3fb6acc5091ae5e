package load

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHistogramQuantiles(t *testing.T) {
	tests := []struct {
		name string
		gen  func(r *rand.Rand) int64
		n    int
	}{
		{name: "small exact values", gen: func(r *rand.Rand) int64 { return r.Int64N(64) }, n: 1000},
		{name: "uniform to 1s in µs", gen: func(r *rand.Rand) int64 { return r.Int64N(1_000_000) }, n: 20000},
		{name: "exponential latencies", gen: func(r *rand.Rand) int64 { return int64(r.ExpFloat64() * 2000) }, n: 20000},
		{name: "huge values", gen: func(r *rand.Rand) int64 { return r.Int64N(1 << 62) }, n: 5000},
		{name: "one value", gen: func(*rand.Rand) int64 { return 12345 }, n: 1},
		{name: "constant", gen: func(*rand.Rand) int64 { return 777 }, n: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h Histogram
			ref := make([]int64, tt.n)
			for i := range ref {
				ref[i] = tt.gen(r)
				h.Record(ref[i])
			}
			slices.Sort(ref)
			if h.Count() != uint64(tt.n) || h.Min() != ref[0] || h.Max() != ref[tt.n-1] {
				t.Fatalf("count/min/max = %d/%d/%d, want %d/%d/%d", h.Count(), h.Min(), h.Max(), tt.n, ref[0], ref[tt.n-1])
			}
			for _, q := range []float64{0, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
				rank := max(int(float64(tt.n)*q+0.999999999), 1)
				want := ref[rank-1]
				got := h.Quantile(q)
				if got < want || float64(got-want) > float64(want)/32+1 {
					t.Errorf("Quantile(%v) = %d, reference %d (off by more than 1/32)", q, got, want)
				}
			}
		})
	}
}

func TestHistogramEmptyAndStats(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram is not all zero")
	}
	for _, v := range []int64{-5, 10, 20, 30} {
		h.Record(v)
	}
	for name, want := range map[string]float64{"min": 0, "max": 30, "avg": 15, "mean": 15, "p50": 10} {
		if got, ok := h.Stat(name); !ok || got != want {
			t.Errorf("Stat(%s) = %v, %v; want %v", name, got, ok, want)
		}
	}
	if _, ok := h.Stat("p42"); ok {
		t.Error("Stat(p42) ok")
	}
}

func TestBucketBounds(t *testing.T) {
	for _, v := range []int64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 40, 1<<62 + 12345} {
		i := bucketOf(v)
		if i >= histBuckets || bucketHigh(i) < v || (i > 0 && bucketHigh(i-1) >= v) {
			t.Errorf("value %d: bucket %d covers ..%d, previous ..%d", v, i, bucketHigh(i), bucketHigh(max(i-1, 0)))
		}
	}
}
