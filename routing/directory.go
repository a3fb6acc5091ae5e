package routing

import (
	"slices"
	"sort"
	"sync"
	"time"
)

// DefaultSyncDelay is how long `Set-CsUser -LineURI $null` takes to sync from
// on-premises to Microsoft 365 ("up to 10 minutes, rarely 24 hours").
const DefaultSyncDelay = 10 * time.Minute

// Directory is a tenant: operators, numbers, users, devices, policies and
// addresses, changed only through admin actions that apply completely or
// change nothing. It is safe for concurrent use.
//
// The zero value is not usable; call NewDirectory.
type Directory struct {
	// Now is the clock (sync delays, porting windows). nil means time.Now.
	Now func() time.Time
	// SyncDelay is the modelled on-premises sync delay; 0 means DefaultSyncDelay.
	SyncDelay time.Duration
	// NoFallback turns off the fallback to the other app of the SIM phone.
	NoFallback bool

	mu          sync.RWMutex
	id          string
	domain      string
	coexistence string
	operators   map[string]*Operator
	numbers     map[string]*Number
	users       map[string]*User
	byUPN       map[string]*User
	devices     map[string]*Device
	byUsername  map[string]*Device
	policies    map[string]*MobilityPolicy
	groups      map[string]*Group
	userGroups  map[string][]*Group // user id → groups it is a member of
	addresses   map[string]*EmergencyAddress
	emergency   emergencyConfig
}

// NewDirectory returns an empty tenant whose org-wide coexistence mode is
// TeamsOnly and whose Global mobility policy prefers Teams.
func NewDirectory(id, domain string) *Directory {
	d := &Directory{
		id:          id,
		domain:      domain,
		coexistence: TeamsOnly,
		operators:   map[string]*Operator{},
		numbers:     map[string]*Number{},
		users:       map[string]*User{},
		byUPN:       map[string]*User{},
		devices:     map[string]*Device{},
		byUsername:  map[string]*Device{},
		policies:    map[string]*MobilityPolicy{},
		groups:      map[string]*Group{},
		userGroups:  map[string][]*Group{},
		addresses:   map[string]*EmergencyAddress{},
	}
	d.policies[GlobalPolicy] = &MobilityPolicy{
		Identity:               GlobalPolicy,
		MobileDialerPreference: PreferTeams,
		IPAudioMobileMode:      AllNetworks,
		IPVideoMobileMode:      AllNetworks,
	}
	return d
}

// ID returns the tenant id.
func (d *Directory) ID() string { return d.id }

// Domain returns the tenant's SIP domain.
func (d *Directory) Domain() string { return d.domain }

func (d *Directory) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Directory) syncDelay() time.Duration {
	if d.SyncDelay > 0 {
		return d.SyncDelay
	}
	return DefaultSyncDelay
}

// SetCoexistence sets the org-wide Teams upgrade (coexistence) mode.
func (d *Directory) SetCoexistence(mode string) error {
	if !validCoexistence(mode) {
		return errorf(CodeInvalid, "coexistence mode "+quoteID(mode), "must be one of %v", coexistenceModes)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.coexistence = mode
	return nil
}

var coexistenceModes = []string{TeamsOnly, Islands, "SfBOnly", "SfBWithTeamsCollab", "SfBWithTeamsCollabAndMeetings"}

func validCoexistence(mode string) bool { return slices.Contains(coexistenceModes, mode) }

// Operator returns a copy of operator id.
func (d *Directory) Operator(id string) (Operator, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	o, ok := d.operators[id]
	if !ok {
		return Operator{}, false
	}
	return copyOperator(o), true
}

// Number returns a copy of the number written in any accepted form.
func (d *Directory) Number(number string) (Number, bool) {
	e164, ok := NormalizeNumber(number)
	if !ok {
		return Number{}, false
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	n, ok := d.numbers[e164]
	if !ok {
		return Number{}, false
	}
	return copyNumber(n), true
}

// User returns a copy of the user named by id or UPN.
func (d *Directory) User(idOrUPN string) (User, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	u := d.user(idOrUPN)
	if u == nil {
		return User{}, false
	}
	c := copyUser(u)
	if synced(u, d.now()) {
		c.OnPremLineURI, c.LineURI, c.SyncUntil = "", "", time.Time{}
	}
	return c, true
}

func (d *Directory) user(idOrUPN string) *User {
	if u, ok := d.users[idOrUPN]; ok {
		return u
	}
	return d.byUPN[lowerASCII(idOrUPN)]
}

// Device returns a copy of device id.
func (d *Directory) Device(id string) (Device, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	dev, ok := d.devices[id]
	if !ok {
		return Device{}, false
	}
	return *dev, true
}

// DeviceByUsername returns the device whose SIP digest username is name.
func (d *Directory) DeviceByUsername(name string) (Device, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	dev, ok := d.byUsername[name]
	if !ok {
		return Device{}, false
	}
	return *dev, true
}

// MobilityPolicy returns a copy of the policy with this identity.
func (d *Directory) MobilityPolicy(identity string) (MobilityPolicy, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	p := d.policy(identity)
	if p == nil {
		return MobilityPolicy{}, false
	}
	return *p, true
}

// policy finds a policy case-insensitively, with or without the "Tag:" prefix
// PowerShell prints.
func (d *Directory) policy(identity string) *MobilityPolicy {
	if p, ok := d.policies[identity]; ok {
		return p
	}
	id := trimTag(identity)
	for k, p := range d.policies {
		if equalFold(k, id) {
			return p
		}
	}
	return nil
}

// MobilityPolicies returns every policy, Global first, then by identity.
func (d *Directory) MobilityPolicies() []MobilityPolicy {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]MobilityPolicy, 0, len(d.policies))
	for _, p := range d.policies {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Identity == GlobalPolicy) != (out[j].Identity == GlobalPolicy) {
			return out[i].Identity == GlobalPolicy
		}
		return out[i].Identity < out[j].Identity
	})
	return out
}

// Counts returns how many operators, numbers, users and devices the tenant holds.
func (d *Directory) Counts() (operators, numbers, users, devices int) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.operators), len(d.numbers), len(d.users), len(d.devices)
}

func copyOperator(o *Operator) Operator {
	c := *o
	c.Serves = slices.Clone(o.Serves)
	c.Countries = make(map[string]CountryState, len(o.Countries))
	for k, v := range o.Countries {
		c.Countries[k] = v
	}
	return c
}

func copyNumber(n *Number) Number {
	c := *n
	if n.Port != nil {
		p := *n.Port
		c.Port = &p
	}
	c.user = nil
	return c
}

func copyUser(u *User) User {
	c := *u
	c.Licenses = slices.Clone(u.Licenses)
	c.Devices = slices.Clone(u.Devices)
	c.devs = nil
	return c
}
