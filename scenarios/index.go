package scenarios

import (
	"sort"
	"strings"

	"ocmsim/routing"
)

// index holds the ids a tenant defines, to check references in devices:,
// steps: and expectations without building the directory.
type index struct {
	users, devices, policies, operators, addresses, groups, cells, psaps, trunks map[string]bool
	upns                                                                         map[string]bool
	deviceIDs, userIDs, policyIDs, operatorIDs, addressIDs, psapIDs              []string
	gen                                                                          *Generate
	ports                                                                        map[string]NumberSpec // numbers with porting: by E.164
}

func newIndex(t *Tenant) *index {
	ix := &index{users: map[string]bool{}, devices: map[string]bool{}, policies: map[string]bool{},
		operators: map[string]bool{}, addresses: map[string]bool{}, groups: map[string]bool{}, cells: map[string]bool{},
		psaps: map[string]bool{}, trunks: map[string]bool{}, upns: map[string]bool{}, ports: map[string]NumberSpec{}}
	if t == nil {
		return ix
	}
	ix.gen = t.Generate
	ix.policies[strings.ToLower(routing.GlobalPolicy)] = true
	for _, u := range t.Users {
		ix.users[u.User.ID] = true
		ix.upns[strings.ToLower(u.User.UPN)] = true
		ix.userIDs = append(ix.userIDs, u.User.ID)
		for _, dev := range u.Devices {
			ix.devices[dev.Device.ID] = true
			ix.deviceIDs = append(ix.deviceIDs, dev.Device.ID)
		}
	}
	for _, p := range t.Policies {
		ix.policies[strings.ToLower(p.Policy.Identity)] = true
		ix.policyIDs = append(ix.policyIDs, p.Policy.Identity)
	}
	if t.Generate != nil {
		for _, m := range t.Generate.PolicyMix {
			ix.policies[strings.ToLower(m.Policy)] = true
		}
	}
	for _, o := range t.Operators {
		ix.operators[o.Operator.ID] = true
		ix.operatorIDs = append(ix.operatorIDs, o.Operator.ID)
		for _, n := range o.Numbers {
			if n.PortFrom != "" {
				ix.ports[n.Number] = n
			}
		}
	}
	for _, a := range t.Addresses {
		ix.addresses[a.Address.ID] = true
		ix.addressIDs = append(ix.addressIDs, a.Address.ID)
	}
	for _, g := range t.Groups {
		ix.groups[g.Group.ID] = true
	}
	for _, c := range t.Cells {
		ix.cells[c.ID] = true
	}
	for _, p := range t.PSAPs {
		ix.psaps[p.ID] = true
		ix.psapIDs = append(ix.psapIDs, p.ID)
	}
	for _, tr := range t.Trunks {
		ix.trunks[tr.ID] = true
	}
	return ix
}

func (ix *index) device(id string) bool { return ix.devices[id] || ix.gen.isDevice(id) }

func (ix *index) user(id string) bool {
	return ix.users[id] || ix.upns[strings.ToLower(id)] || ix.gen.isUser(id) ||
		(ix.gen != nil && strings.Contains(id, "@") && ix.gen.isUser(strings.SplitN(id, "@", 2)[0]))
}

func (ix *index) policy(id string) bool {
	return ix.policies[strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(id, "Tag:"), "tag:"))]
}

// didYouMean returns ` (did you mean "x"?)` for the nearest known id, or "".
func didYouMean(word string, known []string) string {
	if s := suggest(word, known); s != "" {
		return ` (did you mean "` + s + `"?)`
	}
	return ""
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkTenantRefs checks what routing does not: serving cells of devices
// and ids of the parts routing does not model.
func (d *decoder) checkTenantRefs(t *Tenant) {
	cells := map[string]bool{}
	for _, c := range t.Cells {
		if cells[c.ID] {
			d.errAt(c.Pos, routing.CodeExists, nil, "cell "+c.ID+": already exists")
		}
		cells[c.ID] = true
	}
	d.checkPSAPs(t)
	psaps := map[string]bool{}
	for _, p := range t.PSAPs {
		if psaps[p.ID] {
			d.errAt(p.Pos, routing.CodeExists, nil, "psap "+p.ID+": already exists")
		}
		psaps[p.ID] = true
	}
	trunks := map[string]bool{}
	for _, tr := range t.Trunks {
		if trunks[tr.ID] {
			d.errAt(tr.Pos, routing.CodeExists, nil, "trunk "+tr.ID+": already exists")
		}
		trunks[tr.ID] = true
	}
	ids := make([]string, 0, len(cells))
	for _, c := range t.Cells {
		ids = append(ids, c.ID)
	}
	for _, u := range t.Users {
		for _, dev := range u.Devices {
			if c := dev.Device.Cell; c != "" && !cells[c] {
				d.errAt(dev.Pos, routing.CodeNotFound, nil, "device "+dev.Device.ID+": unknown cell \""+c+"\""+didYouMean(c, ids))
			}
		}
	}
}
