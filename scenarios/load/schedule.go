package load

import (
	"fmt"
	"math"
	"time"

	"ocmsim/scenarios"
)

// Schedule is the offered call rate over time: a linear ramp from Start to
// Target calls per second over RampUp, then Target until Duration.
type Schedule struct {
	Start, Target float64 // calls per second
	RampUp        time.Duration
	Duration      time.Duration
}

// Rate returns the offered rate (calls per second) at elapsed time t.
func (s Schedule) Rate(t time.Duration) float64 {
	switch {
	case t < 0 || t >= s.Duration:
		return 0
	case s.RampUp <= 0 || t >= s.RampUp:
		return s.Target
	}
	return s.Start + (s.Target-s.Start)*t.Seconds()/s.RampUp.Seconds()
}

// Offered returns how many calls are due by elapsed time t: the integral of
// Rate from 0 to t (clamped to Duration), rounded down.
func (s Schedule) Offered(t time.Duration) int {
	t = min(max(t, 0), s.Duration)
	x := t.Seconds()
	var n float64
	if r := s.RampUp.Seconds(); r > 0 {
		ramp := min(x, r)
		n = s.Start*ramp + (s.Target-s.Start)*ramp*ramp/(2*r)
		x -= ramp
	}
	n += s.Target * x
	// A little slack so 20/s × 1 s is 20 calls, not 19.999….
	return int(math.Floor(n + 1e-9))
}

// Total returns the number of calls the whole schedule offers.
func (s Schedule) Total() int { return s.Offered(s.Duration) }

// ParseRate parses a rate flag: "50/s", "600/m", "3600/h" or "50" (per
// second), as the `rate:` of a load profile.
func ParseRate(s string) (float64, error) {
	v, ok := scenarios.ParseRate(s)
	if !ok || v <= 0 {
		return 0, fmt.Errorf("%w: rate %q: write calls per second like 50/s (or 600/m)", ErrInput, s)
	}
	return v, nil
}
