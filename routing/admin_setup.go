package routing

import (
	"strings"
)

// This file holds the actions that create the tenant's objects. Each one
// checks everything before it changes anything.

// AddOperator adds an operator to the tenant's operator directory (not enabled).
func (d *Directory) AddOperator(o Operator) error {
	obj := "operator " + quoteID(o.ID)
	if o.ID == "" {
		return errorf(CodeInvalid, obj, "an operator needs an id")
	}
	for _, c := range o.Serves {
		if !validCountry(c) {
			return errorf(CodeInvalid, obj, "country %q is not an ISO 3166 alpha-2 code", c)
		}
	}
	switch o.AddressMode {
	case "":
		o.AddressMode = AddressOperatorEditable
	case AddressOperatorEditable, AddressTenant, AddressOperatorLocked:
	default:
		return errorf(CodeInvalid, obj, "emergency address mode %q is not one of operator-editable, tenant, operator-locked", o.AddressMode)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.operators[o.ID]; dup {
		return errorf(CodeExists, obj, "already exists")
	}
	c := copyOperator(&o)
	c.Countries = map[string]CountryState{}
	d.operators[o.ID] = &c
	return nil
}

// AddNumber adds a number the tenant already has from another source
// (a Calling Plan, an Operator Connect operator or Direct Routing), free.
// Operator Connect Mobile numbers arrive with UploadNumbers instead.
func (d *Directory) AddNumber(n Number) error {
	e164, ok := NormalizeNumber(n.E164)
	obj := "number " + quoteID(n.E164)
	if !ok {
		return errorf(CodeInvalid, obj, "not an E.164 number")
	}
	obj = "number " + e164
	switch n.Type {
	case CallingPlan, OperatorConnect, DirectRouting:
	default:
		return errorf(CodeInvalid, obj, "type %q is not one of CallingPlan, OperatorConnect, DirectRouting", n.Type)
	}
	if n.Country != "" && !validCountry(n.Country) {
		return errorf(CodeInvalid, obj, "country %q is not an ISO 3166 alpha-2 code", n.Country)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.numbers[e164]; dup {
		return errorf(CodeExists, obj, "already exists")
	}
	if n.Type == OperatorConnect && n.Operator != "" {
		if _, ok := d.operators[n.Operator]; !ok {
			return notFound("operator", n.Operator)
		}
	}
	c := n
	c.E164, c.User, c.Port = e164, "", nil
	if c.Activation == "" {
		c.Activation = Activated
	}
	if c.Source == "" {
		c.Source = "Online"
	}
	d.numbers[e164] = &c
	return nil
}

// AddUser adds a user with no number; devices are added with AddDevice.
func (d *Directory) AddUser(u User) error {
	// The object is named only on error: a successful add allocates nothing for it.
	obj := func() string { return "user " + quoteID(u.ID) }
	if u.ID == "" {
		return errorf(CodeInvalid, obj(), "a user needs an id")
	}
	if u.UPN == "" {
		u.UPN = u.ID + "@" + d.domain
	}
	if !strings.Contains(u.UPN, "@") {
		return errorf(CodeInvalid, obj(), "UPN %q is not in e-mail form", u.UPN)
	}
	if u.Coexistence != "" && !validCoexistence(u.Coexistence) {
		return errorf(CodeInvalid, obj(), "coexistence mode %q is not one of %v", u.Coexistence, coexistenceModes)
	}
	if u.CallSettings != (CallSettings{}) {
		if err := validateCallSettings(obj(), u.CallSettings); err != nil {
			return err
		}
	}
	switch u.DialerChoice {
	case "":
		u.DialerChoice = PreferTeams
	case PreferTeams, PreferNative:
	default:
		return errorf(CodeInvalid, obj(), "dialer choice %q is not Teams or Native", u.DialerChoice)
	}
	for _, uri := range []string{u.LineURI, u.OnPremLineURI} {
		if uri != "" {
			if _, ok := NormalizeNumber(uri); !ok {
				return errorf(CodeInvalid, obj(), "line URI %q is not a phone number", uri)
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.users[u.ID]; dup {
		return errorf(CodeExists, obj(), "already exists")
	}
	upn := lowerASCII(u.UPN)
	if _, dup := d.byUPN[upn]; dup {
		return errorf(CodeExists, obj(), "UPN %s is taken", u.UPN)
	}
	if u.MobilityPolicy != "" {
		p := d.policy(u.MobilityPolicy)
		if p == nil {
			return notFound("mobility policy", u.MobilityPolicy)
		}
		u.MobilityPolicy = p.Identity
	}
	c := copyUser(&u)
	c.Devices, c.Number = nil, ""
	d.users[c.ID] = &c
	d.byUPN[upn] = &c
	return nil
}

func validateCallSettings(obj string, cs CallSettings) error {
	if cs.UnansweredDelay != 0 && !ValidUnansweredDelay(cs.UnansweredDelay) {
		return errorf(CodeInvalid, obj, "unanswered delay %v is not one of 5s 10s 15s 20s 30s 40s 50s 60s", cs.UnansweredDelay)
	}
	switch cs.UnansweredTarget {
	case TargetNone, TargetVoicemail:
	case TargetUser:
		if cs.UnansweredTo == "" {
			return errorf(CodeInvalid, obj, "unanswered target user needs a user")
		}
	case TargetNumber:
		if _, ok := NormalizeNumber(cs.UnansweredTo); !ok {
			return errorf(CodeInvalid, obj, "unanswered target %q is not a phone number", cs.UnansweredTo)
		}
	default:
		return errorf(CodeInvalid, obj, "unanswered target %q is not voicemail, user or number", cs.UnansweredTarget)
	}
	return nil
}

// AddDevice adds an endpoint to its user.
func (d *Directory) AddDevice(dev Device) error {
	obj := func() string { return "device " + quoteID(dev.ID) } // only on error
	if dev.ID == "" {
		return errorf(CodeInvalid, obj(), "a device needs an id")
	}
	if !dev.Kind.Valid() {
		return errorf(CodeInvalid, obj(), "kind %q is not one of %v", dev.Kind, DeviceKinds)
	}
	if dev.Username == "" {
		dev.Username = dev.ID
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.users[dev.User]
	if !ok {
		return notFound("user", dev.User)
	}
	if _, dup := d.devices[dev.ID]; dup {
		return errorf(CodeExists, obj(), "already exists")
	}
	if _, dup := d.byUsername[dev.Username]; dup {
		return errorf(CodeExists, obj(), "SIP username %s is taken", dev.Username)
	}
	if dev.Phone != "" && (dev.Kind == TeamsMobile || dev.Kind == NativeDialer) {
		for _, o := range u.devs {
			if o.Phone == dev.Phone && o.Kind == dev.Kind {
				return errorf(CodeInvalid, obj(), "phone %s already has a %s", dev.Phone, dev.Kind)
			}
		}
	}
	c := dev
	d.devices[c.ID] = &c
	d.byUsername[c.Username] = &c
	u.Devices = append(u.Devices, c.ID)
	u.devs = append(u.devs, &c)
	return nil
}

// AddGroup adds a group of users, optionally granted a mobility policy with a rank.
func (d *Directory) AddGroup(g Group) error {
	obj := "group " + quoteID(g.ID)
	if g.ID == "" {
		return errorf(CodeInvalid, obj, "a group needs an id")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.groups[g.ID]; dup {
		return errorf(CodeExists, obj, "already exists")
	}
	members := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		u := d.user(m)
		if u == nil {
			return notFound("user", m)
		}
		members = append(members, u.ID)
	}
	c := Group{ID: g.ID, Members: members}
	if g.MobilityPolicy != "" {
		if err := d.checkGroupGrant(&c, g.MobilityPolicy, g.Rank); err != nil {
			return err
		}
		c.MobilityPolicy, c.Rank = d.policy(g.MobilityPolicy).Identity, g.Rank
	}
	d.groups[c.ID] = &c
	for _, m := range members {
		d.userGroups[m] = append(d.userGroups[m], &c)
	}
	return nil
}

// AddEmergencyAddress adds an emergency address.
func (d *Directory) AddEmergencyAddress(a EmergencyAddress) error {
	obj := "emergency address " + quoteID(a.ID)
	if a.ID == "" {
		return errorf(CodeInvalid, obj, "an address needs an id")
	}
	if !validCountry(a.Civic.Country) {
		return errorf(CodeInvalid, obj, "country %q is not an ISO 3166 alpha-2 code", a.Civic.Country)
	}
	if a.HasCoords && (a.Lat < -90 || a.Lat > 90 || a.Lon < -180 || a.Lon > 180) {
		return errorf(CodeInvalid, obj, "coordinates %v,%v are out of range", a.Lat, a.Lon)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.addresses[a.ID]; dup {
		return errorf(CodeExists, obj, "already exists")
	}
	c := a
	d.addresses[a.ID] = &c
	return nil
}

func validCountry(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'
}
