package scenarios

import (
	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

func (d *decoder) parsePolicy(n *yaml.Node) PolicySpec {
	p := PolicySpec{Pos: posOf(n)}
	f, ok := d.fields(n, "mobility policy", policyKeys)
	if !ok {
		return p
	}
	f.require("mobility policy", "identity")
	p.Policy = routing.MobilityPolicy{Identity: f.str("identity"), Description: f.str("description"),
		MobileDialerPreference: routing.Preference(f.strIn("mobileDialerPreference", preferences...)),
		IPAudioMobileMode:      routing.IPAudioMode(f.strIn("ipAudioMobileMode", ipModes...)),
		IPVideoMobileMode:      routing.IPAudioMode(f.strIn("ipVideoMobileMode", ipModes...))}
	return p
}

func (d *decoder) parseGroup(n *yaml.Node) GroupSpec {
	g := GroupSpec{Pos: posOf(n)}
	f, ok := d.fields(n, "group", groupKeys)
	if !ok {
		return g
	}
	f.require("group", "id")
	g.Group.ID, g.Group.Members, g.MembersPos = f.str("id"), f.strs("members"), f.pos("members")
	if f.has("mobilityPolicy") && !isNull(f.v("mobilityPolicy")) {
		g.PolicyPos = f.pos("mobilityPolicy")
		if gf, ok := d.fields(f.v("mobilityPolicy"), "mobilityPolicy", groupGrantKeys); ok {
			gf.require("mobilityPolicy", "policy", "rank")
			g.Group.MobilityPolicy = gf.str("policy")
			g.Group.Rank, _ = gf.integer("rank")
		}
	}
	return g
}

func (d *decoder) parseUser(n *yaml.Node) UserSpec {
	u := UserSpec{Pos: posOf(n)}
	f, ok := d.fields(n, "user", userKeys)
	if !ok {
		return u
	}
	f.require("user", "id")
	u.User = routing.User{ID: f.str("id"), UPN: f.str("upn"), Licenses: f.strs("licenses"),
		Coexistence: f.strIn("coexistence", coexistenceModes...), VoiceRoutingPolicy: f.str("voiceRoutingPolicy"),
		LineURI: d.lineURI(f, "lineURI"), OnPremLineURI: d.lineURI(f, "onPremLineURI"),
		DialerChoice: routing.Preference(f.strIn("dialerChoice", string(routing.PreferTeams), string(routing.PreferNative)))}
	u.Number, u.NumberPos = f.number("number"), f.pos("number")
	u.Policy, u.PolicyPos = f.str("mobilityPolicy"), f.pos("mobilityPolicy")
	if f.has("callSettings") {
		u.SettingsPos = f.pos("callSettings")
		u.CallSettings = d.parseCallSettings(f.v("callSettings"))
	}
	for _, it := range f.items("devices") {
		u.Devices = append(u.Devices, d.parseDevice(it, u.User.ID))
	}
	return u
}

// lineURI accepts "+1...", "tel:+1..." (and routing's other forms).
func (d *decoder) lineURI(f *fields, k string) string {
	s := f.str(k)
	if s == "" {
		return ""
	}
	if _, ok := routing.NormalizeNumber(s); !ok {
		d.codef(f.v(k), routing.CodeInvalid, "%s: %q is not a phone number like \"tel:+14255550100\"", k, s)
		return ""
	}
	return s
}

func (d *decoder) parseCallSettings(n *yaml.Node) *routing.CallSettings {
	cs := &routing.CallSettings{}
	f, ok := d.fields(n, "callSettings", callSettingsKeys)
	if !ok {
		return cs
	}
	cs.SimultaneousRing = f.str("simultaneousRing")
	if f.has("unanswered") {
		if uf, ok := d.fields(f.v("unanswered"), "unanswered", unansweredKeys); ok {
			uf.require("unanswered", "target")
			cs.UnansweredTarget = routing.TargetType(uf.strIn("target", "voicemail", "user", "number"))
			cs.UnansweredTo = uf.str("to")
			if cs.UnansweredTarget == routing.TargetNumber {
				cs.UnansweredTo = uf.number("to")
			}
			if (cs.UnansweredTarget == routing.TargetUser || cs.UnansweredTarget == routing.TargetNumber) && !uf.has("to") {
				d.errorf(uf.node, "unanswered: target %s needs \"to\"", cs.UnansweredTarget)
			}
			if delay, ok := uf.duration("delay"); ok {
				if !routing.ValidUnansweredDelay(delay) {
					d.codef(uf.v("delay"), routing.CodeInvalid, "delay: %v is not one of 5s 10s 15s 20s 30s 40s 50s 60s", delay)
				}
				cs.UnansweredDelay = delay
			}
		}
	}
	return cs
}

func (d *decoder) parseDevice(n *yaml.Node, user string) DeviceSpec {
	ds := DeviceSpec{Pos: posOf(n)}
	f, ok := d.fields(n, "device", deviceKeys)
	if !ok {
		return ds
	}
	f.require("device", "id", "kind")
	ds.Device = routing.Device{ID: f.str("id"), User: user, Kind: routing.DeviceKind(f.strIn("kind", kindNames...)),
		Phone: f.str("phone"), Cell: f.str("cell"), Username: f.str("username"), Password: f.str("password")}
	return ds
}
