package routing

import (
	"sort"
	"time"
)

// Snapshot is a deep copy of a whole tenant, sorted by id: what the JSON API
// serves and what tests compare before and after a refused action.
type Snapshot struct {
	ID          string
	Domain      string
	Coexistence string
	Operators   []Operator
	Numbers     []Number
	Users       []User
	Devices     []Device
	Policies    []MobilityPolicy
	Groups      []Group
	Addresses   []EmergencyAddress
}

// Snapshot copies the tenant.
func (d *Directory) Snapshot() Snapshot {
	d.mu.RLock()
	defer d.mu.RUnlock()
	s := Snapshot{ID: d.id, Domain: d.domain, Coexistence: d.coexistence}
	for _, o := range d.operators {
		s.Operators = append(s.Operators, copyOperator(o))
	}
	for _, n := range d.numbers {
		s.Numbers = append(s.Numbers, copyNumber(n))
	}
	now := d.now()
	for _, u := range d.users {
		c := copyUser(u)
		if synced(u, now) { // as User shows it: the LineURI removal has synced
			c.OnPremLineURI, c.LineURI, c.SyncUntil = "", "", time.Time{}
		}
		s.Users = append(s.Users, c)
	}
	for _, dev := range d.devices {
		s.Devices = append(s.Devices, *dev)
	}
	for _, p := range d.policies {
		s.Policies = append(s.Policies, *p)
	}
	for _, g := range d.groups {
		c := *g
		c.Members = append([]string(nil), g.Members...)
		s.Groups = append(s.Groups, c)
	}
	for _, a := range d.addresses {
		s.Addresses = append(s.Addresses, *a)
	}
	sort.Slice(s.Operators, func(i, j int) bool { return s.Operators[i].ID < s.Operators[j].ID })
	sort.Slice(s.Numbers, func(i, j int) bool { return s.Numbers[i].E164 < s.Numbers[j].E164 })
	sort.Slice(s.Users, func(i, j int) bool { return s.Users[i].ID < s.Users[j].ID })
	sort.Slice(s.Devices, func(i, j int) bool { return s.Devices[i].ID < s.Devices[j].ID })
	sort.Slice(s.Policies, func(i, j int) bool { return s.Policies[i].Identity < s.Policies[j].Identity })
	sort.Slice(s.Groups, func(i, j int) bool { return s.Groups[i].ID < s.Groups[j].ID })
	sort.Slice(s.Addresses, func(i, j int) bool { return s.Addresses[i].ID < s.Addresses[j].ID })
	return s
}

// Groups returns the groups user id is a member of.
func (d *Directory) Groups(userID string) []Group {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Group
	for _, g := range d.userGroups[userID] {
		c := *g
		c.Members = append([]string(nil), g.Members...)
		out = append(out, c)
	}
	return out
}

// EffectivePolicy returns the mobility policy that applies to a user and
// where it comes from (Get-CsUserPolicyAssignment).
func (d *Directory) EffectivePolicy(userID string) (MobilityPolicy, PolicySource, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	u := d.user(userID)
	if u == nil {
		return MobilityPolicy{}, PolicySource{}, notFound("user", userID)
	}
	var dec Decision
	d.resolvePolicy(&dec, u)
	return *d.policies[dec.Policy], dec.Source, nil
}
