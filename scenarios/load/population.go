package load

import (
	"math/rand/v2"

	"ocmsim/routing"
	"ocmsim/scenarios"
)

// devInfo is what the generator needs of one simulated device.
type devInfo struct {
	kind  routing.DeviceKind
	phone bool  // one of the apps of a SIM phone
	fleet uint8 // index into runner.fleets
}

// target is a user that can be called: its number and devices.
type target struct {
	number  string
	devices []string
}

// population is the tenant's callable users and simulated devices.
type population struct {
	users   []target
	devices map[string]devInfo
	order   []string // device ids in tenant order
	// eligible lists, per mix entry, the users (indices) that can play it.
	eligible [][]int32
}

// newPopulation reads the users and devices of dir; sockets spreads the
// devices over that many fleets, round robin.
func newPopulation(t *scenarios.Tenant, dir *routing.Directory, mix []scenarios.MixEntry, sockets int) *population {
	p := &population{devices: map[string]devInfo{}}
	for _, id := range t.UserIDs() {
		u, ok := dir.User(id)
		if !ok {
			continue
		}
		for _, d := range u.Devices {
			dev, ok := dir.Device(d)
			if !ok {
				continue
			}
			p.devices[d] = devInfo{kind: dev.Kind, phone: dev.Phone != "", fleet: uint8(len(p.order) % sockets)}
			p.order = append(p.order, d)
		}
		if u.Number != "" && len(u.Devices) > 0 {
			p.users = append(p.users, target{number: u.Number, devices: u.Devices})
		}
	}
	p.eligible = make([][]int32, len(mix))
	for i, m := range mix {
		for j, u := range p.users {
			if p.plays(u, m) {
				p.eligible[i] = append(p.eligible[i], int32(j))
			}
		}
	}
	return p
}

// plays reports whether user u has a device that can answer as m asks.
func (p *population) plays(u target, m scenarios.MixEntry) bool {
	for _, d := range u.devices {
		if p.answers(d, m.Answer) {
			return true
		}
	}
	return false
}

// answers reports whether device id may answer for a mix `answer:` value.
func (p *population) answers(id, answer string) bool {
	info, ok := p.devices[id]
	if !ok {
		return false
	}
	switch answer {
	case "", "any", "nobody":
		return true
	case "preferred-phone-app":
		return info.phone
	}
	return string(info.kind) == answer
}

// pick returns a user for mix entry i, or false when none can play it.
func (p *population) pick(rng *rand.Rand, i int) (target, bool) {
	list := p.eligible[i]
	if len(list) == 0 {
		return target{}, false
	}
	return p.users[list[rng.IntN(len(list))]], true
}
