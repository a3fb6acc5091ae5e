package uatx

import (
	"testing"
	"time"
)

// TestSweeper proves a lingering end runs no earlier than asked and at
// most a tick later, once, and that one asked for a slot already swept
// runs at the next sweep.
func TestSweeper(t *testing.T) {
	t.Parallel()
	s := newSweeper()
	ran := map[string]int{}
	s.after(300*time.Millisecond, func() { ran["300ms"]++ })
	s.after(0, func() { ran["now"]++ })
	cases := []struct {
		at   time.Duration // sweep at epoch + at
		want map[string]int
	}{
		{50 * time.Millisecond, map[string]int{}},
		{150 * time.Millisecond, map[string]int{"now": 1}},
		{299 * time.Millisecond, map[string]int{"now": 1}},
		{300*time.Millisecond + sweepTick, map[string]int{"now": 1, "300ms": 1}},
		{time.Second, map[string]int{"now": 1, "300ms": 1}},
	}
	for _, tc := range cases {
		s.sweep(s.epoch.Add(tc.at))
		if len(ran) != len(tc.want) || ran["now"] != tc.want["now"] || ran["300ms"] != tc.want["300ms"] {
			t.Fatalf("after a sweep at %v: ran %v, want %v", tc.at, ran, tc.want)
		}
	}
	s.after(0, func() { ran["late"]++ }) // its slot was swept already
	s.sweep(s.epoch.Add(time.Second))
	if ran["late"] != 0 {
		t.Fatal("ran in the sweep of slots already swept")
	}
	s.sweep(s.epoch.Add(time.Second + sweepTick))
	if ran["late"] != 1 {
		t.Fatalf("late: ran %d times, want 1 at the next sweep", ran["late"])
	}
	if len(s.slots) != 0 {
		t.Fatalf("%d slots left", len(s.slots))
	}
}
