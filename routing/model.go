package routing

import (
	"strings"
	"time"
)

// AddressMode is how an operator lets the tenant manage the emergency
// addresses of its numbers (the guide's three scenarios).
type AddressMode string

// The operator's emergency-address modes.
const (
	AddressOperatorEditable AddressMode = "operator-editable" // operator sets it, tenant may change it
	AddressTenant           AddressMode = "tenant"            // tenant assigns
	AddressOperatorLocked   AddressMode = "operator-locked"   // tenant changes refused: contact the operator
)

// CountryState is the state of an enabled operator in one country.
type CountryState string

// Country states.
const (
	CountryActive    CountryState = "active"
	CountrySuspended CountryState = "suspended"
)

// Contact is the tenant contact shared with an operator when it is enabled.
type Contact struct {
	Name        string
	Email       string
	CompanySize int
	Phone       string // optional
}

// Operator is a mobile operator of the tenant's operator directory.
type Operator struct {
	ID           string
	Name         string
	OCM          bool     // supports Operator Connect Mobile
	Serves       []string // ISO 3166 alpha-2 countries the operator serves
	AddressMode  AddressMode
	Contact      Contact
	Countries    map[string]CountryState // enabled countries; empty: not enabled
	DataTransfer bool                    // data-transfer notice accepted
}

// Enabled reports whether the operator is enabled in at least one country.
func (o *Operator) Enabled() bool { return len(o.Countries) > 0 }

// Enablement is what the admin provides to "Add as my operator".
type Enablement struct {
	Countries          []string
	Contact            Contact
	AcceptDataTransfer bool
}

// NumberType is a phone number's type as the Teams cmdlets name it.
type NumberType string

// Number types.
const (
	CallingPlan     NumberType = "CallingPlan"
	OperatorConnect NumberType = "OperatorConnect"
	DirectRouting   NumberType = "DirectRouting"
)

// CapabilityMobile is the capability of a SIM-enabled (Teams Phone Mobile) number.
const CapabilityMobile = "TeamsPhoneMobile"

// ActivationState is a number's activation state (R-N6).
type ActivationState string

// Activation states.
const (
	Activated         ActivationState = "Activated"
	AssignmentPending ActivationState = "AssignmentPending"
	AssignmentFailed  ActivationState = "AssignmentFailed"
	UpdatePending     ActivationState = "UpdatePending"
	UpdateFailed      ActivationState = "UpdateFailed"
)

// Number is a phone number known to the tenant.
type Number struct {
	E164             string
	Type             NumberType
	Mobile           bool // capability TeamsPhoneMobile (OperatorConnect + Mobile = OCM)
	Operator         string
	Country          string
	SIM              bool
	User             string // assigned user id, "" when free
	EmergencyAddress string
	Activation       ActivationState
	Source           string // "Online" or "OnPremises" (Direct Routing)
	Port             *Port  // non-nil while the number is being ported: out of service

	user *User // User resolved, for Route; never copied out
}

// OCM reports whether the number is an Operator Connect Mobile number.
func (n *Number) OCM() bool { return n.Type == OperatorConnect && n.Mobile }

// Port is a number migration in progress.
type Port struct {
	From    NumberType
	Started time.Time
}

// Licence names the guide uses.
const (
	LicensePhoneSystem = "PhoneSystem"
	LicenseOCM         = "OperatorConnectMobile"
)

// Coexistence modes.
const (
	TeamsOnly = "TeamsOnly"
	Islands   = "Islands"
)

// User is a Teams user of the tenant.
type User struct {
	ID                 string
	UPN                string
	Licenses           []string
	Coexistence        string // "" → the tenant's mode
	LineURI            string
	OnPremLineURI      string    // set for Direct Routing users synced from on-premises
	SyncUntil          time.Time // Set-CsUser -LineURI $null syncs until then
	VoiceRoutingPolicy string    // online voice routing policy, "" when none
	MobilityPolicy     string    // direct grant, "" → groups, then Global
	DialerChoice       Preference
	CallSettings       CallSettings
	Devices            []string // device ids, in the order they were added
	Number             string   // primary number, "" when none

	devs []*Device // Devices resolved, for Route; never copied out
}

// HasLicense reports whether the user holds licence l.
func (u *User) HasLicense(l string) bool {
	for _, have := range u.Licenses {
		if have == l {
			return true
		}
	}
	return false
}

// DeviceKind is the kind of a user's endpoint.
type DeviceKind string

// Device kinds.
const (
	TeamsMobile  DeviceKind = "teams-mobile"  // Teams app on the SIM smartphone
	NativeDialer DeviceKind = "native-dialer" // native dialer of the SIM smartphone
	TeamsDesktop DeviceKind = "teams-desktop"
	TeamsWeb     DeviceKind = "teams-web"
	TeamsPhone   DeviceKind = "teams-phone" // desk phone
)

// DeviceKinds lists the known kinds.
var DeviceKinds = []DeviceKind{TeamsMobile, NativeDialer, TeamsDesktop, TeamsWeb, TeamsPhone}

// Valid reports whether k is a known kind.
func (k DeviceKind) Valid() bool {
	for _, v := range DeviceKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Teams reports whether the kind is a Teams endpoint (everything but the native dialer).
func (k DeviceKind) Teams() bool { return k != NativeDialer }

// Device is one endpoint of a user.
type Device struct {
	ID       string
	User     string
	Kind     DeviceKind
	Phone    string // groups the Teams app and the native dialer of one smartphone
	Username string // SIP digest username, defaults to ID
	Password string
	Cell     string // serving cell (ECGI) for scenarios
}

// Preference is a mobility policy's MobileDialerPreference.
type Preference string

// Dialer preferences.
const (
	PreferTeams        Preference = "Teams"
	PreferNative       Preference = "Native"
	PreferUserOverride Preference = "UserOverride"
)

// IPAudioMode is a mobility policy's IPAudioMobileMode.
type IPAudioMode string

// IP audio modes.
const (
	AllNetworks IPAudioMode = "AllNetworks"
	WifiOnly    IPAudioMode = "WifiOnly"
)

// GlobalPolicy is the identity of the tenant's default mobility policy.
const GlobalPolicy = "Global"

// MobilityPolicy is a TeamsMobilityPolicy.
type MobilityPolicy struct {
	Identity               string
	Description            string
	MobileDialerPreference Preference
	IPAudioMobileMode      IPAudioMode
	IPVideoMobileMode      IPAudioMode
}

// Group is a group of users that may be granted a mobility policy with a rank.
type Group struct {
	ID             string
	Members        []string
	MobilityPolicy string
	Rank           int // lower wins among a user's groups
}

// TargetType is what an unanswered call goes to.
type TargetType string

// Unanswered-call target types.
const (
	TargetNone      TargetType = ""
	TargetVoicemail TargetType = "voicemail"
	TargetUser      TargetType = "user"
	TargetNumber    TargetType = "number"
)

// DefaultUnansweredDelay is Teams' default unanswered delay (R-C2).
const DefaultUnansweredDelay = 20 * time.Second

// CallSettings are a user's unanswered and simultaneous-ring settings.
type CallSettings struct {
	UnansweredTarget TargetType
	UnansweredTo     string        // user id or E.164 number
	UnansweredDelay  time.Duration // 0 → DefaultUnansweredDelay
	SimultaneousRing string        // user id or E.164 number rung with the user's devices
}

// ValidUnansweredDelay reports whether d is one of the delays Teams offers.
func ValidUnansweredDelay(d time.Duration) bool {
	switch d {
	case 5 * time.Second, 10 * time.Second, 15 * time.Second, 20 * time.Second,
		30 * time.Second, 40 * time.Second, 50 * time.Second, 60 * time.Second:
		return true
	}
	return false
}

// Civic is a civic address (RFC 5139 field names).
type Civic struct {
	Country string
	A1      string // state
	A2      string // county
	A3      string // city
	RD      string // street
	HNO     string // house number
	PC      string // postal code
	NAM     string // name
}

// Summary is the address on one line: name, house number and road, city,
// county, state, postal code, country (empty fields left out).
func (c Civic) Summary() string {
	var parts []string
	for _, s := range []string{c.NAM, strings.TrimSpace(c.HNO + " " + c.RD), c.A3, c.A2, c.A1, c.PC, c.Country} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// EmergencyAddress is a tenant emergency address.
type EmergencyAddress struct {
	ID        string
	Civic     Civic
	Lat, Lon  float64
	HasCoords bool
	Validated bool
}
