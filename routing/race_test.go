//go:build race

package routing_test

// raceEnabled reports whether the race detector is on: the 1,000,000-number
// benchmark tenant is skipped under it.
const raceEnabled = true
