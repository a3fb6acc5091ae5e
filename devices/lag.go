package devices

import (
	"sync/atomic"
	"time"
)

// lagBuckets bound ReceiveLag's buckets: the first holds waits up to
// lagBase, each next one twice as long, the last everything longer.
const (
	lagBase    = 100 * time.Microsecond
	lagBuckets = 20 // the last full one ends at 100 µs × 2^18 ≈ 26 s
)

// ReceiveLag counts how long the datagrams a fleet read had waited in its
// socket's receive buffer (the kernel's receive time, Linux only): a
// generator that reads late is itself the bottleneck of a load test.
type ReceiveLag struct {
	Counts [lagBuckets]uint64
}

// Add returns the sum of l and o.
func (l ReceiveLag) Add(o ReceiveLag) ReceiveLag {
	for i := range l.Counts {
		l.Counts[i] += o.Counts[i]
	}
	return l
}

// Sub returns l less o (o an earlier snapshot of the same fleets).
func (l ReceiveLag) Sub(o ReceiveLag) ReceiveLag {
	for i := range l.Counts {
		l.Counts[i] -= min(o.Counts[i], l.Counts[i])
	}
	return l
}

// N is how many datagrams were measured.
func (l ReceiveLag) N() uint64 {
	var n uint64
	for _, c := range l.Counts {
		n += c
	}
	return n
}

// Quantile is the upper bound of the bucket holding quantile q (0..1) of
// the waits; 0 when none was measured, -1 when it is beyond the last
// bucket's bound.
func (l ReceiveLag) Quantile(q float64) time.Duration {
	n := l.N()
	if n == 0 {
		return 0
	}
	want := uint64(q*float64(n) + 0.5)
	var seen uint64
	for i, c := range l.Counts {
		seen += c
		if seen >= max(want, 1) {
			if i == lagBuckets-1 {
				return -1
			}
			return lagBase << i
		}
	}
	return -1
}

// lagBucket is the bucket of a wait d.
func lagBucket(d time.Duration) int {
	i := 0
	for b := lagBase; d > b && i < lagBuckets-1; b <<= 1 {
		i++
	}
	return i
}

// lagLog is the live form of ReceiveLag.
type lagLog struct {
	counts [lagBuckets]atomic.Uint64
}

func (l *lagLog) add(d time.Duration) { l.counts[lagBucket(d)].Add(1) }

func (l *lagLog) snapshot() ReceiveLag {
	var r ReceiveLag
	for i := range l.counts {
		r.Counts[i] = l.counts[i].Load()
	}
	return r
}
