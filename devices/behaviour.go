package devices

import "time"

// Kind is what a simulated device is. The Teams kinds and NativeDialer are
// the tenant's device kinds (routing.DeviceKind values); Voicemail and PSAP
// are call targets outside the tenant's users.
type Kind string

// Device kinds.
const (
	TeamsMobile  Kind = "teams-mobile"
	NativeDialer Kind = "native-dialer"
	TeamsDesktop Kind = "teams-desktop"
	TeamsWeb     Kind = "teams-web"
	TeamsPhone   Kind = "teams-phone"
	// Voicemail answers every call at once, without ringing.
	Voicemail Kind = "voicemail"
	// PSAP answers every call at once; the InviteReceived event keeps the
	// INVITE (headers and body) for checks.
	PSAP Kind = "psap"
)

// answersAtOnce reports whether a kind ignores its Behaviour and answers
// every call immediately.
func (k Kind) answersAtOnce() bool { return k == Voicemail || k == PSAP }

// Network values for the +g.ocm.network contact feature tag.
const (
	Wifi     = "wifi"
	Cellular = "cellular"
)

// Answer says whether and when a device answers: never, or After this
// long after its 180 Ringing. The zero value answers right after ringing.
type Answer struct {
	Never bool
	After time.Duration
}

// Behaviour is how a device acts on its own. Manual control (Fleet.Answer,
// Fleet.Reject, Fleet.Hangup) works on top of it.
type Behaviour struct {
	// RingAfter is the delay between the INVITE and the 180 Ringing.
	RingAfter time.Duration
	// Answer is when the device answers after ringing.
	Answer Answer
	// Reject, when not 0, is the final status (e.g. 486, 603) sent instead
	// of answering, right after ringing.
	Reject int
	// Offline devices never register (RegisterAll skips them) and ignore
	// INVITEs that reach them anyway.
	Offline bool
	// NoRegister keeps RegisterAll from registering the device (a voicemail
	// or PSAP reached by a configured URI); Register still works.
	NoRegister bool
	// UnregisterAt, when not 0, unregisters the device this long after its
	// first successful registration.
	UnregisterAt time.Duration
	// Network is the initial network ("wifi", "cellular" or "" for no
	// +g.ocm.network tag).
	Network string
}

// Spec describes a device to add to a fleet.
type Spec struct {
	// ID is the device id of the tenant (ringing expectations name it).
	ID string
	// Username and Password are the digest credentials; Username defaults
	// to ID. The Request-URI user of the INVITEs the device gets is its
	// Username.
	Username, Password string
	Kind               Kind
	Behaviour          Behaviour
}
