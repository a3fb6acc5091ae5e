package routing

// Network is how a device reaches the network.
type Network string

// Networks.
const (
	NetworkUnknown Network = ""
	Wifi           Network = "wifi"
	Cellular       Network = "cellular"
)

// Reach is what the proxy knows of a device right now.
type Reach struct {
	Registered bool
	Network    Network
}

// Reachability tells whether a device can be rung. The proxy answers it from
// live registrations; tests and `explain` from a fixed set.
type Reachability interface {
	Reach(device string) Reach
}

// ReachFunc adapts a function to Reachability.
type ReachFunc func(device string) Reach

// Reach calls f.
func (f ReachFunc) Reach(device string) Reach { return f(device) }

// Everyone is the Reachability where every device is registered.
var Everyone Reachability = ReachFunc(func(string) Reach { return Reach{Registered: true} })

// Call is an inbound call to route.
type Call struct {
	To   string // Request-URI or number: "+1...", "1...;user=phone", "tel:+1...", "sip:+1...@host"
	From string
	FMC  bool // carries X-MS-FMC: it already passed Teams and is not looped back
}

// SourceKind says where a user's effective mobility policy comes from.
type SourceKind string

// Policy sources.
const (
	SourceDirect SourceKind = "direct"
	SourceGroup  SourceKind = "group"
	SourceGlobal SourceKind = "global"
)

// PolicySource is where the effective policy comes from.
type PolicySource struct {
	Kind  SourceKind
	Group string // for SourceGroup
	Rank  int    // for SourceGroup
}

// Target is a device the call rings.
type Target struct {
	Device   string
	Kind     DeviceKind
	Why      Why
	Fallback string // the other app of the same phone, rung if this one fails fast ("" none)
}

// Skip is a device of the user the call does not ring.
type Skip struct {
	Device string
	Kind   DeviceKind
	Why    Why
}

// Decision is routing's answer for one call: a refusal, or the devices that
// ring and those that do not, with the policy and why.
type Decision struct {
	Number string // E.164
	User   string

	// Status is non-zero for a refusal: the SIP status, the Reason text and
	// the rule's code.
	Status int
	Reason string
	Code   Code

	Policy     string       // effective mobility policy identity
	Source     PolicySource // where it came from
	Preference Preference   // the policy's MobileDialerPreference
	Dialer     Preference   // what applies: Teams or Native (UserOverride resolved)
	UserChoice bool         // Dialer is the user's own choice (UserOverride)
	IPAudio    IPAudioMode
	Fallback   bool // the other app of the SIM phone rings instead of the preferred one

	Targets []Target
	Skipped []Skip

	Unanswered CallSettings // delay defaulted
}

// Refused reports whether the call is refused.
func (d *Decision) Refused() bool { return d.Status != 0 }

// Route decides who rings for a call. It allocates; RouteTo reuses a Decision.
func (d *Directory) Route(c Call, r Reachability) Decision {
	var dec Decision
	d.RouteTo(&dec, c, r)
	return dec
}

// RouteTo is Route writing into dst, reusing its slices: no allocation on
// the common path. A nil r means every device is registered.
func (d *Directory) RouteTo(dst *Decision, c Call, r Reachability) {
	targets, skipped := dst.Targets[:0], dst.Skipped[:0]
	*dst = Decision{Targets: targets, Skipped: skipped}
	if r == nil {
		r = Everyone
	}
	var buf [maxE164]byte
	key, ok := normalizeInto(&buf, c.To)
	if !ok {
		dst.refuse(404, "Not a phone number", CodeNotFound)
		return
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	n, ok := d.numbers[string(key)]
	if !ok {
		dst.refuse(404, "Number not found", CodeNotFound)
		return
	}
	dst.Number = n.E164
	if n.Port != nil {
		dst.refuse(480, "Number is being ported: out of service", CodeNumberPorting)
		return
	}
	if n.Type == OperatorConnect && n.Operator != "" {
		o := d.operators[n.Operator]
		state, on := CountryState(""), false
		if o != nil {
			state, on = o.Countries[n.Country]
		}
		if !on {
			dst.refuse(403, "Operator not enabled for this country", CodeOperatorNotEnabled)
			return
		}
		if state == CountrySuspended {
			dst.refuse(403, "Operator suspended", CodeOperatorSuspended)
			return
		}
	}
	u := n.user
	if u == nil {
		dst.refuse(404, "Number not assigned to a user", CodeNumberUnassigned)
		return
	}
	dst.User = u.ID
	d.resolvePolicy(dst, u)
	d.fork(dst, u, c, r)
}

func (dst *Decision) refuse(status int, reason string, code Code) {
	dst.Status, dst.Reason, dst.Code = status, reason, code
}

// resolvePolicy finds the effective policy: direct > group by rank > Global.
func (d *Directory) resolvePolicy(dst *Decision, u *User) {
	var p *MobilityPolicy
	if u.MobilityPolicy != "" {
		p = d.policies[u.MobilityPolicy]
	}
	dst.Source = PolicySource{Kind: SourceDirect}
	if p == nil {
		var best *Group
		for _, g := range d.userGroups[u.ID] {
			if g.MobilityPolicy != "" && (best == nil || g.Rank < best.Rank) {
				best = g
			}
		}
		if best != nil {
			p = d.policies[best.MobilityPolicy]
			dst.Source = PolicySource{Kind: SourceGroup, Group: best.ID, Rank: best.Rank}
		}
	}
	if p == nil {
		p = d.policies[GlobalPolicy]
		dst.Source = PolicySource{Kind: SourceGlobal}
	}
	dst.Policy, dst.Preference, dst.IPAudio = p.Identity, p.MobileDialerPreference, p.IPAudioMobileMode
	dst.Dialer = p.MobileDialerPreference
	if dst.Dialer == PreferUserOverride {
		dst.Dialer, dst.UserChoice = u.DialerChoice, true
		if dst.Dialer == "" {
			dst.Dialer = PreferTeams
		}
	}
	cs := u.CallSettings
	if cs.UnansweredDelay == 0 {
		cs.UnansweredDelay = DefaultUnansweredDelay
	}
	dst.Unanswered = cs
}
