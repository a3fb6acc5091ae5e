package devices

import (
	"testing"
	"time"
)

// TestReceiveLag proves the buckets of the receive lag (each twice the
// last, the last open-ended), its quantiles (a bucket's upper bound) and
// that Add and Sub combine snapshots.
func TestReceiveLag(t *testing.T) {
	t.Parallel()
	buckets := []struct {
		d    time.Duration
		want int
	}{
		{0, 0}, {lagBase, 0}, {lagBase + 1, 1}, {2 * lagBase, 1}, {3 * lagBase, 2},
		{time.Second, 14}, {time.Hour, lagBuckets - 1},
	}
	for _, tc := range buckets {
		if got := lagBucket(tc.d); got != tc.want {
			t.Errorf("lagBucket(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}

	var live lagLog
	for range 98 {
		live.add(50 * time.Microsecond)
	}
	live.add(30 * time.Millisecond)
	before := live.snapshot()
	live.add(time.Hour)
	l := live.snapshot()
	quantiles := []struct {
		q    float64
		want time.Duration
	}{
		{0, lagBase}, {0.5, lagBase}, {0.98, lagBase}, {0.99, lagBase << 9}, {1, -1},
	}
	for _, tc := range quantiles {
		if got := l.Quantile(tc.q); got != tc.want {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if n := l.N(); n != 100 {
		t.Fatalf("N = %d, want 100", n)
	}
	if d := l.Sub(before); d.N() != 1 || d.Quantile(0.5) != -1 {
		t.Fatalf("Sub: %d datagrams, median %v; want the one of an hour", d.N(), d.Quantile(0.5))
	}
	if s := before.Add(before); s.N() != 198 || s.Quantile(1) != lagBase<<9 {
		t.Fatalf("Add: %d datagrams, max %v", s.N(), s.Quantile(1))
	}
	if (ReceiveLag{}).Quantile(0.5) != 0 {
		t.Fatal("an empty lag has a quantile")
	}
}
