package scenarios

import (
	"time"

	"ocmsim/routing"
)

// actionKeys are the actions a step may take, exactly one per step.
var actionKeys = []string{"call", "wait", "answer", "reject", "hangup", "cancel", "register", "unregister",
	"network", "admin", "ps", "sleep", "emergency"}

var (
	stepKeys       = append([]string{"name", "expect", "expectError", "expectOutput"}, actionKeys...)
	callKeys       = []string{"from", "to", "id", "trunk", "fmc"}
	waitKeys       = []string{"call", "for", "timeout"}
	waitFor        = []string{"ringing", "answered", "final", "ended", "cancelled"}
	answerStepKeys = []string{"call", "device"}
	rejectKeys     = []string{"call", "device", "code"}
	hangupKeys     = []string{"call", "by"}
	cancelKeys     = []string{"call"}
	devicesKeys    = []string{"devices"}
	networkKeys    = []string{"device", "network", "cell", "gps", "subnet", "bssid", "chassis", "port", "publicIP", "confirmedAddress"}
	emergencyKeys  = []string{"from", "dial", "id"}
)

// Step is one entry of `steps:`: one action and what must happen.
type Step struct {
	Pos              // of the step's first key: where a failed expectation points
	Index        int // 0-based
	Name         string
	Action       Action
	Expect       *Expect       // nil: nothing checked beyond "no error"
	ExpectError  routing.Code  // the step must fail with this code
	ExpectOutput *OutputExpect // for ps: steps
}

// Action is what a step does: one of *CallStep, *WaitStep, *AnswerStep,
// *RejectStep, *HangupStep, *CancelStep, *RegisterStep, *UnregisterStep,
// *NetworkStep, *AdminStep, *PSStep, *SleepStep, *EmergencyStep.
type Action interface {
	// Kind is the step's action key ("call", "wait", ...).
	Kind() string
}

// CallStep places a call from the PSTN (From is a number) or from a device
// (From is a device id) to a number.
type CallStep struct {
	ID         string // call id used by later steps; "call-N" (N = step index + 1) when not given
	From       string
	FromDevice bool   // From is a device id
	To         string // E.164
	Trunk      string // trunk the PSTN call comes in on; "" the first
	FMC        bool   // carries X-MS-FMC
}

// WaitStep waits until a call reaches a state.
type WaitStep struct {
	Call    string
	For     string        // ringing | answered | final | ended | cancelled
	Timeout time.Duration // 0: the runner's default
}

// AnswerStep makes a ringing device answer a call now.
type AnswerStep struct {
	Call, Device string
}

// RejectStep makes a ringing device reject a call.
type RejectStep struct {
	Call, Device string
	Code         int // default 486
}

// HangupStep ends an answered call.
type HangupStep struct {
	Call string
	By   string // "caller", "callee" or a device id; default caller
}

// CancelStep has the caller give up before the call is answered.
type CancelStep struct {
	Call string
}

// RegisterStep registers devices.
type RegisterStep struct {
	Devices []string
}

// UnregisterStep unregisters devices.
type UnregisterStep struct {
	Devices []string
}

// NetworkStep changes a device's network state.
type NetworkStep struct {
	Device  string
	Network routing.Network // "" unchanged
	Where   Whereabouts     // fields given replace the device's
}

// SleepStep waits for a fixed time.
type SleepStep struct {
	Duration time.Duration
}

// EmergencyStep has a device dial an emergency number.
type EmergencyStep struct {
	ID   string // call id; "call-N" when not given
	From string // device id
	Dial string // "911", "112", ...
}

// Kind implements Action.
func (*CallStep) Kind() string { return "call" }

// Kind implements Action.
func (*WaitStep) Kind() string { return "wait" }

// Kind implements Action.
func (*AnswerStep) Kind() string { return "answer" }

// Kind implements Action.
func (*RejectStep) Kind() string { return "reject" }

// Kind implements Action.
func (*HangupStep) Kind() string { return "hangup" }

// Kind implements Action.
func (*CancelStep) Kind() string { return "cancel" }

// Kind implements Action.
func (*RegisterStep) Kind() string { return "register" }

// Kind implements Action.
func (*UnregisterStep) Kind() string { return "unregister" }

// Kind implements Action.
func (*NetworkStep) Kind() string { return "network" }

// Kind implements Action.
func (*SleepStep) Kind() string { return "sleep" }

// Kind implements Action.
func (*EmergencyStep) Kind() string { return "emergency" }
