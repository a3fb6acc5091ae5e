package load

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestSchedule(t *testing.T) {
	tests := []struct {
		name    string
		s       Schedule
		at      time.Duration
		rate    float64
		offered int
	}{
		{name: "constant, start", s: Schedule{Start: 20, Target: 20, Duration: 2 * time.Second}, at: 0, rate: 20, offered: 0},
		{name: "constant, 1s", s: Schedule{Start: 20, Target: 20, Duration: 2 * time.Second}, at: time.Second, rate: 20, offered: 20},
		{name: "constant, end", s: Schedule{Start: 20, Target: 20, Duration: 2 * time.Second}, at: 2 * time.Second, rate: 0, offered: 40},
		{name: "after the end", s: Schedule{Start: 20, Target: 20, Duration: 2 * time.Second}, at: time.Hour, rate: 0, offered: 40},
		{name: "ramp, start", s: Schedule{Start: 10, Target: 30, RampUp: 2 * time.Second, Duration: 4 * time.Second}, at: 0, rate: 10},
		{name: "ramp, middle", s: Schedule{Start: 10, Target: 30, RampUp: 2 * time.Second, Duration: 4 * time.Second},
			at: time.Second, rate: 20, offered: 15}, // 10·1 + 20·1²/(2·2)
		{name: "ramp, top", s: Schedule{Start: 10, Target: 30, RampUp: 2 * time.Second, Duration: 4 * time.Second},
			at: 2 * time.Second, rate: 30, offered: 40},
		{name: "after the ramp", s: Schedule{Start: 10, Target: 30, RampUp: 2 * time.Second, Duration: 4 * time.Second},
			at: 3 * time.Second, rate: 30, offered: 70},
		{name: "ramp down", s: Schedule{Start: 30, Target: 10, RampUp: 2 * time.Second, Duration: 2 * time.Second},
			at: 2 * time.Second, rate: 0, offered: 40},
		{name: "fractional rate", s: Schedule{Start: 0.5, Target: 0.5, Duration: 10 * time.Second}, at: 3 * time.Second, rate: 0.5, offered: 1},
		{name: "negative time", s: Schedule{Start: 5, Target: 5, Duration: time.Second}, at: -time.Second, rate: 0, offered: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Rate(tt.at); math.Abs(got-tt.rate) > 1e-9 {
				t.Errorf("Rate(%v) = %v, want %v", tt.at, got, tt.rate)
			}
			if got := tt.s.Offered(tt.at); got != tt.offered {
				t.Errorf("Offered(%v) = %d, want %d", tt.at, got, tt.offered)
			}
		})
	}
}

// TestScheduleMonotonic checks that calls are never taken back and the
// total is what the schedule integrates to.
func TestScheduleMonotonic(t *testing.T) {
	s := Schedule{Start: 3, Target: 200, RampUp: 7 * time.Second, Duration: 20 * time.Second}
	prev := 0
	for at := time.Duration(0); at <= s.Duration; at += 3 * time.Millisecond {
		n := s.Offered(at)
		if n < prev {
			t.Fatalf("Offered(%v) = %d < %d", at, n, prev)
		}
		prev = n
	}
	if want := 3310; s.Total() != want { // 3·7 + 197·7/2 + 200·13 = 3310.5
		t.Errorf("Total = %d, want %d", s.Total(), want)
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		bad  bool
	}{
		{in: "50/s", want: 50}, {in: "50", want: 50}, {in: "600/m", want: 10}, {in: "7200/h", want: 2},
		{in: "0.5/s", want: 0.5}, {in: "", bad: true}, {in: "fast", bad: true}, {in: "10/d", bad: true},
		{in: "-5/s", bad: true}, {in: "0", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrInput) {
				t.Errorf("ParseRate(%q) = %v, %v; want ErrInput", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
