package scenarios

import (
	"strings"
	"time"

	"ocmsim/routing"
)

// builder applies a Tenant's admin actions to a directory.
type builder struct {
	d   *decoder
	t   *Tenant
	dir *routing.Directory
}

// do records err (a routing rule error) at p and reports whether it was nil.
func (b *builder) do(p Pos, err error) bool {
	if err != nil {
		b.d.ruleErr(p, err)
		return false
	}
	return true
}

func (b *builder) fail(p Pos, err error) bool {
	b.d.ruleErr(p, err)
	return false
}

// Build creates the tenant's directory by applying the admin actions in a
// fixed order: org settings, emergency addresses, operators (add, enable),
// the tenant's other numbers (they were there before: an operator uploading
// one of them breaks number-in-use), operator uploads, mobility policies, users and their
// devices, groups, call settings, number assignments, direct grants, the
// generated population, ports, suspensions. The first broken rule stops the
// build; the error is an ErrorList naming it at the offending entry. now is
// the directory's clock (nil: time.Now).
func (t *Tenant) Build(now func() time.Time) (*routing.Directory, error) {
	var errs ErrorList
	b := &builder{d: newDecoder(t.File, &errs), t: t}
	b.build(now)
	if err := errs.errorOrNil(); err != nil {
		return nil, err
	}
	return b.dir, nil
}

func (b *builder) build(now func() time.Time) bool {
	t := b.t
	b.dir = routing.NewDirectory(t.ID, t.Domain)
	b.dir.Now, b.dir.SyncDelay, b.dir.NoFallback = now, t.SyncDelay, t.NoFallback
	if t.Coexistence != "" && !b.do(t.Pos, b.dir.SetCoexistence(t.Coexistence)) {
		return false
	}
	steps := []func() bool{b.addresses, b.emergency, b.operators, b.numbers, b.uploads, b.policies, b.users, b.groups,
		b.callSettings, b.assignments, b.grants, b.generate, b.ports, b.suspensions}
	for _, step := range steps {
		if !step() {
			return false
		}
	}
	return true
}

func (b *builder) addresses() bool {
	for _, a := range b.t.Addresses {
		if !b.do(a.Pos, b.dir.AddEmergencyAddress(a.Address)) {
			return false
		}
	}
	return true
}

func (b *builder) operators() bool {
	for _, o := range b.t.Operators {
		if !b.do(o.Pos, b.dir.AddOperator(o.Operator)) {
			return false
		}
		if o.Enable != nil && !b.do(o.EnablePos, b.dir.EnableOperator(o.Operator.ID, *o.Enable)) {
			return false
		}
	}
	return true
}

// uploads are the operators' numbers, one at a time so that a refusal
// names its entry.
func (b *builder) uploads() bool {
	for _, o := range b.t.Operators {
		for _, n := range o.Numbers {
			if n.PortFrom == "" && !b.upload(n) {
				return false
			}
		}
	}
	return true
}

// upload is the operator uploading one OCM number. routing.Upload has no
// activation state, so a number uploaded with another state than Activated
// is released and added again with it.
func (b *builder) upload(n NumberSpec) bool {
	up := routing.Upload{Number: n.Number, Country: n.Country, SIM: n.SIM, EmergencyAddress: n.EmergencyAddress}
	if !b.do(n.Pos, b.dir.UploadNumbers(n.Operator, []routing.Upload{up})) {
		return false
	}
	if n.Activation == "" || n.Activation == routing.Activated {
		return true
	}
	got, _ := b.dir.Number(n.Number)
	got.Activation = n.Activation
	return b.do(n.Pos, b.dir.ReleaseNumber(n.Number)) && b.do(n.Pos, b.dir.AddNumber(got))
}

func (b *builder) numbers() bool {
	for _, n := range b.t.Numbers {
		if n.Mobile {
			if !b.upload(n) {
				return false
			}
			continue
		}
		num := routing.Number{E164: n.Number, Type: n.Type, Operator: n.Operator, Country: n.Country, SIM: n.SIM,
			Activation: n.Activation, Source: n.Source}
		if !b.do(n.Pos, b.dir.AddNumber(num)) {
			return false
		}
		if n.EmergencyAddress != "" && !b.do(n.AddressPos, b.dir.SetEmergencyAddress(n.Number, n.EmergencyAddress, true)) {
			return false
		}
	}
	return true
}

func (b *builder) policies() bool {
	for _, p := range b.t.Policies {
		var err error
		if strings.EqualFold(p.Policy.Identity, routing.GlobalPolicy) {
			err = b.dir.SetMobilityPolicy(routing.GlobalPolicy, policyChange(p.Policy))
		} else {
			err = b.dir.NewMobilityPolicy(p.Policy)
		}
		if !b.do(p.Pos, err) {
			return false
		}
	}
	return true
}

// policyChange turns the fields given for Global into a change of it.
func policyChange(p routing.MobilityPolicy) routing.PolicyChange {
	var c routing.PolicyChange
	if p.Description != "" {
		c.Description = &p.Description
	}
	if p.MobileDialerPreference != "" {
		c.MobileDialerPreference = &p.MobileDialerPreference
	}
	if p.IPAudioMobileMode != "" {
		c.IPAudioMobileMode = &p.IPAudioMobileMode
	}
	if p.IPVideoMobileMode != "" {
		c.IPVideoMobileMode = &p.IPVideoMobileMode
	}
	return c
}

func (b *builder) users() bool {
	for _, u := range b.t.Users {
		if !b.do(u.Pos, b.dir.AddUser(u.User)) {
			return false
		}
		for _, dev := range u.Devices {
			if dev.Device.Password == "" {
				dev.Device.Password = b.t.DevicePassword
			}
			if !b.do(dev.Pos, b.dir.AddDevice(dev.Device)) {
				return false
			}
		}
	}
	return true
}

func (b *builder) groups() bool {
	for _, g := range b.t.Groups {
		if err := b.dir.AddGroup(g.Group); err != nil {
			p := g.Pos
			var re *routing.Error
			if asRouting(err, &re) && strings.HasPrefix(re.Object, "user ") && g.MembersPos.Line != 0 {
				p = g.MembersPos
			} else if g.PolicyPos.Line != 0 {
				p = g.PolicyPos
			}
			return b.fail(p, err)
		}
	}
	return true
}

func (b *builder) callSettings() bool {
	for _, u := range b.t.Users {
		if u.CallSettings == nil {
			continue
		}
		cs := *u.CallSettings
		if r := cs.SimultaneousRing; r != "" {
			if _, isNum := routing.NormalizeNumber(r); !isNum {
				if _, ok := b.dir.User(r); !ok {
					return b.fail(u.SettingsPos, &routing.Error{Code: routing.CodeNotFound, Object: "user " + r,
						Message: "user " + r + ": no such user (simultaneousRing of " + u.User.ID + ")"})
				}
			}
		}
		if !b.do(u.SettingsPos, b.dir.SetCallSettings(u.User.ID, cs)) {
			return false
		}
	}
	return true
}

func (b *builder) assignments() bool {
	for _, u := range b.t.Users {
		if u.Number != "" && !b.do(u.NumberPos, b.dir.AssignNumber(u.Number, u.User.ID)) {
			return false
		}
	}
	return true
}

func (b *builder) grants() bool {
	for _, u := range b.t.Users {
		if u.Policy != "" && !b.do(u.PolicyPos, b.dir.GrantMobilityPolicy(u.User.ID, u.Policy)) {
			return false
		}
	}
	return true
}

func (b *builder) generate() bool {
	if b.t.Generate == nil {
		return true
	}
	return b.t.Generate.build(b)
}

// ports start the ports of numbers marked `porting:`.
func (b *builder) ports() bool {
	start := func(n NumberSpec) bool {
		from := n.PortFrom
		return b.do(n.PortPos, b.dir.StartPort(n.Number, from))
	}
	for _, o := range b.t.Operators {
		for _, n := range o.Numbers {
			if n.PortFrom != "" && !start(n) {
				return false
			}
		}
	}
	for _, n := range b.t.Numbers {
		if n.PortFrom != "" && !start(n) {
			return false
		}
	}
	return true
}

func (b *builder) suspensions() bool {
	for _, o := range b.t.Operators {
		if o.SuspendAll && !b.do(o.SuspendPos, b.dir.SuspendOperator(o.Operator.ID, "")) {
			return false
		}
		for _, c := range o.Suspended {
			if !b.do(o.SuspendPos, b.dir.SuspendOperator(o.Operator.ID, c)) {
				return false
			}
		}
	}
	return true
}

// soleOperator returns the only enabled operator country of the tenant.
func (b *builder) soleOperator() (op, country string, ok bool) {
	n := 0
	for _, o := range b.t.Operators {
		if o.Enable != nil {
			for _, c := range o.Enable.Countries {
				op, country = o.Operator.ID, c
				n++
			}
		}
	}
	return op, country, n == 1
}
