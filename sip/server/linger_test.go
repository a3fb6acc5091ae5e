package server

import (
	"testing"
	"time"
)

func TestCapTimers(t *testing.T) {
	d, j, l, m := 10*time.Second, 20*time.Second, 30*time.Second, 40*time.Second
	capTimers(0, &d, &j, &l, &m)
	capTimers(-time.Second, &d, &j, &l, &m)
	capTimers(25*time.Second, &d, &j, &l, &m)
	got := []time.Duration{d, j, l, m}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 25 * time.Second, 25 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("timer %d = %v, want %v", i, got[i], want[i])
		}
	}
}
