package scenarios

import (
	"net/netip"
	"time"

	"ocmsim/routing"
)

// Tenant is the parsed `tenant:` section (or a tenant-only file): what Build
// turns into a routing.Directory, plus the parts routing does not model
// (trunks, cells, PSAPs). Every entry keeps its position.
type Tenant struct {
	Pos
	File             string // file the tenant was read from
	ID               string
	Domain           string
	DevicePassword   string
	Trunks           []Trunk
	Coexistence      string
	SyncDelay        time.Duration // modelled on-premises sync delay; 0: routing's default
	NoFallback       bool          // `fallback: false`
	Operators        []OperatorSpec
	Numbers          []NumberSpec // tenant-level numbers (Calling Plan, Direct Routing, Operator Connect)
	Addresses        []AddressSpec
	Cells            []Cell
	PSAPs            []PSAP
	TrustedIPs       []TrustedIP
	Locations        []LocationSpec
	EmergencyNumbers []EmergencyNumbersSpec
	Policies         []PolicySpec
	Groups           []GroupSpec
	Users            []UserSpec
	Generate         *Generate
}

// Trunk is a source allowed to send inbound PSTN calls.
type Trunk struct {
	Pos
	ID   string
	From []netip.Prefix
}

// DefaultTrunks is what a tenant without `trunks:` gets: loopback only.
func DefaultTrunks() []Trunk {
	return []Trunk{{ID: "pstn", From: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}
}

// OperatorSpec is one entry of `operators:`.
type OperatorSpec struct {
	Pos
	Operator   routing.Operator    // ID, Name, OCM, Serves, AddressMode
	Enable     *routing.Enablement // nil: not enabled
	EnablePos  Pos
	Numbers    []NumberSpec // what the operator uploaded (or is porting in)
	Suspended  []string     // countries suspended; see SuspendAll
	SuspendAll bool         // `suspended: true`
	SuspendPos Pos
}

// NumberSpec is a number of an operator's `numbers:` or of the tenant's.
type NumberSpec struct {
	Pos
	Number           string // E.164
	Type             routing.NumberType
	Mobile           bool // OperatorConnect + TeamsPhoneMobile (OCM)
	Operator         string
	Country          string
	SIM              bool
	EmergencyAddress string
	AddressPos       Pos
	Activation       routing.ActivationState // "" → Activated
	Source           string                  // Online | OnPremises; "" → routing's default
	PortFrom         routing.NumberType      // non-empty: a port from this type is in progress
	PortPos          Pos
}

// AddressSpec is one entry of `emergencyAddresses:`.
type AddressSpec struct {
	Pos
	Address routing.EmergencyAddress
}

// Cell is a serving cell (ECGI) with its tower position and coverage radius.
type Cell struct {
	Pos
	ID       string
	Lat, Lon float64
	Radius   float64 // metres
}

// PSAP is a public-safety answering point.
type PSAP struct {
	Pos
	ID       string
	URI      string
	Country  string
	Numbers  []string      // emergency numbers it serves ("911", "933")
	Area     [][2]float64  // service polygon, lat/lon pairs
	Civic    routing.Civic // civic match: country + A1 (+ A2) when set
	Fallback bool          // the national fallback PSAP of its country
}

// PolicySpec is one entry of `policies: {mobility: [...]}`.
type PolicySpec struct {
	Pos
	Policy routing.MobilityPolicy
}

// GroupSpec is one entry of `groups:`.
type GroupSpec struct {
	Pos
	Group      routing.Group
	MembersPos Pos
	PolicyPos  Pos
}

// UserSpec is one entry of `users:`.
type UserSpec struct {
	Pos
	User         routing.User // the fields AddUser takes
	Number       string       // assigned at load
	NumberPos    Pos
	Policy       string // direct mobility policy grant
	PolicyPos    Pos
	CallSettings *routing.CallSettings
	SettingsPos  Pos
	Devices      []DeviceSpec
}

// DeviceSpec is one entry of a user's `devices:`.
type DeviceSpec struct {
	Pos
	Device routing.Device
}

// UserIDs lists the tenant's users: those of `users:`, then the generated ones.
func (t *Tenant) UserIDs() []string {
	ids := make([]string, 0, len(t.Users))
	for _, u := range t.Users {
		ids = append(ids, u.User.ID)
	}
	if g := t.Generate; g != nil {
		for i := 1; i <= g.Users; i++ {
			ids = append(ids, g.UserID(i))
		}
	}
	return ids
}
