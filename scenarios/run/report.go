package run

import (
	"fmt"
	"time"
)

// Report is what running one scenario showed: every call's ring matrix and
// every expectation checked.
type Report struct {
	File     string        `json:"file"`
	Name     string        `json:"name"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	Calls    []*CallReport `json:"calls"`
	// Checks are the expectations, in step order; a step without any
	// expectation still has one check: it ran without error.
	Checks []Check `json:"checks"`
}

// Check is one expectation of one step.
type Check struct {
	Step   int    `json:"step"` // 1-based
	Line   int    `json:"line"`
	Col    int    `json:"col"`
	Action string `json:"action"` // "call c1", "admin release", ...
	Name   string `json:"name"`   // "ringing", "finalCode", "no error", ...
	Passed bool   `json:"passed"`
	// Expected and Got are set for a failed check.
	Expected string `json:"expected,omitempty"`
	Got      string `json:"got,omitempty"`
}

// CallReport is one call of a scenario: who rang, when, and how it ended.
type CallReport struct {
	ID         string        `json:"id"`
	From       string        `json:"from"`
	To         string        `json:"to"`
	Step       int           `json:"step"`
	Line       int           `json:"line"`
	Policy     string        `json:"policy,omitempty"`
	Refusal    string        `json:"refusal,omitempty"` // routing's refusal: status, reason and code
	Final      int           `json:"final"`             // first final status the caller got; 0 none
	AnsweredBy string        `json:"answeredBy,omitempty"`
	Devices    []DeviceRow   `json:"devices"`
	Timeline   []TimelineRow `json:"timeline"`
	// Emergency is what the PSAP received, for an emergency call.
	Emergency *EmergencyReport `json:"emergency,omitempty"`
}

// EmergencyReport is what the simulated PSAP read from an emergency call.
type EmergencyReport struct {
	PSAP     string `json:"psap"`
	Match    string `json:"match"`   // point, civic-county, ..., fallback
	Service  string `json:"service"` // urn:service:sos, ...
	Source   string `json:"source"`  // Dynamic, UserConfirmed, Static, Cell, GPS, None
	Path     string `json:"path"`    // teams or operator
	Callback string `json:"callback"`
	Location string `json:"location"`
	Echo     string `json:"echo,omitempty"` // what a test call's echo service read back
}

// DeviceRow is one line of a call's ring matrix.
type DeviceRow struct {
	Device string        `json:"device"`
	Kind   string        `json:"kind"`
	Rang   bool          `json:"rang"`
	RangAt time.Duration `json:"rangAt"` // INVITE received, since the call's start
	// Outcome: answered, rejected 486, answered elsewhere, missed call,
	// cancelled, no answer, not rung.
	Outcome string `json:"outcome"`
	// Reason is routing's reason for ringing or skipping the device, or the
	// Reason of the CANCEL it got.
	Reason string `json:"reason,omitempty"`
}

// TimelineRow is one line of a call's SIP ladder, for -v: a message from
// one party to another (the proxy sits between the caller and every
// device), or a note (From and To empty).
type TimelineRow struct {
	At      time.Duration `json:"at"` // since the call's start
	From    string        `json:"from,omitempty"`
	To      string        `json:"to,omitempty"`
	Message string        `json:"message"`
}

// Passed reports whether every check passed.
func (r *Report) Passed() bool {
	for _, c := range r.Checks {
		if !c.Passed {
			return false
		}
	}
	return true
}

// Failures returns the failed checks.
func (r *Report) Failures() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.Passed {
			out = append(out, c)
		}
	}
	return out
}

// Where is the check's step as file:line.
func (c Check) Where(file string) string {
	if c.Line == 0 {
		return file
	}
	return fmt.Sprintf("%s:%d", file, c.Line)
}
