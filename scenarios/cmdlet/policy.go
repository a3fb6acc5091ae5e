package cmdlet

import (
	"path"
	"strings"

	"ocmsim/routing"
)

// The TeamsMobilityPolicy cmdlets (R-M1, R-M4).

// policyParams are the settable fields of a TeamsMobilityPolicy.
func policyParams() []param {
	return []param{
		{name: "Description", pos: -1, null: true},
		named("MobileDialerPreference", kString),
		named("IPAudioMobileMode", kString),
		named("IPVideoMobileMode", kString),
		named("LinksInTeams", kString), // accepted and ignored (R-M1)
	}
}

func newPolicySpec() *spec {
	return &spec{
		name:   "New-CsTeamsMobilityPolicy",
		params: append([]param{{name: "Identity", pos: 0, mandatory: true}}, policyParams()...),
		do: func(c *Command, d *routing.Directory) error {
			return d.NewMobilityPolicy(routing.MobilityPolicy{
				Identity:               c.Str("Identity"),
				Description:            c.Str("Description"),
				MobileDialerPreference: routing.Preference(c.Str("MobileDialerPreference")),
				IPAudioMobileMode:      routing.IPAudioMode(c.Str("IPAudioMobileMode")),
				IPVideoMobileMode:      routing.IPAudioMode(c.Str("IPVideoMobileMode")),
			})
		},
	}
}

func setPolicySpec() *spec {
	return &spec{
		name:   "Set-CsTeamsMobilityPolicy",
		params: append([]param{{name: "Identity", pos: 0}}, policyParams()...),
		do: func(c *Command, d *routing.Directory) error {
			var ch routing.PolicyChange
			if c.Has("Description") {
				s := c.Str("Description")
				ch.Description = &s
			}
			if c.Has("MobileDialerPreference") {
				p := routing.Preference(c.Str("MobileDialerPreference"))
				ch.MobileDialerPreference = &p
			}
			if c.Has("IPAudioMobileMode") {
				m := routing.IPAudioMode(c.Str("IPAudioMobileMode"))
				ch.IPAudioMobileMode = &m
			}
			if c.Has("IPVideoMobileMode") {
				m := routing.IPAudioMode(c.Str("IPVideoMobileMode"))
				ch.IPVideoMobileMode = &m
			}
			id := c.Str("Identity")
			if id == "" {
				id = routing.GlobalPolicy // PowerShell's default for Set-Cs*Policy
			}
			return d.SetMobilityPolicy(id, ch)
		},
	}
}

func removePolicySpec() *spec {
	return &spec{
		name:   "Remove-CsTeamsMobilityPolicy",
		params: []param{{name: "Identity", pos: 0, mandatory: true}},
		do: func(c *Command, d *routing.Directory) error {
			return d.RemoveMobilityPolicy(c.Str("Identity"))
		},
	}
}

func grantPolicySpec() *spec {
	return &spec{
		name: "Grant-CsTeamsMobilityPolicy",
		params: []param{
			{name: "Identity", pos: 0, notWith: []string{"Group", "Global"}},
			{name: "PolicyName", pos: 1, null: true},
			named("Group", kString),
			named("Rank", kInt),
			named("Global", kSwitch),
		},
		check: func(c *Command) error {
			if err := requireOne("Identity", "Group", "Global")(c); err != nil {
				return err
			}
			if c.Has("Rank") && !c.Has("Group") {
				return errorAt(c.Args["Rank"].Col, "%s: -Rank goes with -Group", c.Name)
			}
			return nil
		},
		do: func(c *Command, d *routing.Directory) error {
			switch {
			case c.Has("Group"):
				return d.GrantGroupMobilityPolicy(c.Str("Group"), c.Str("PolicyName"), c.Args["Rank"].Int)
			case c.Has("Global"):
				return invalid("tenant", "granting a policy to the whole tenant (-Global) is not modelled: change the Global policy with Set-CsTeamsMobilityPolicy -Identity Global")
			}
			return d.GrantMobilityPolicy(c.Str("Identity"), c.Str("PolicyName"))
		},
	}
}

// policyFields are the properties Get-CsTeamsMobilityPolicy prints, in order.
var policyFields = []string{"Identity", "Description", "IPVideoMobileMode", "IPAudioMobileMode", "MobileDialerPreference"}

func getPolicySpec() *spec {
	return &spec{
		name:   "Get-CsTeamsMobilityPolicy",
		params: []param{{name: "Identity", pos: 0}, named("Filter", kString)},
		fields: policyFields,
		check: func(c *Command) error {
			if c.Has("Identity") && c.Has("Filter") {
				return errorAt(c.Args["Filter"].Col, "%s: -Identity and -Filter cannot be used together", c.Name)
			}
			return nil
		},
		get: func(c *Command, d *routing.Directory) ([]record, error) {
			if c.Has("Identity") {
				p, ok := d.MobilityPolicy(c.Str("Identity"))
				if !ok {
					return nil, notFound("mobility policy", c.Str("Identity"))
				}
				return []record{policyRecord(p)}, nil
			}
			filter := strings.ToLower(c.Str("Filter"))
			var out []record
			for _, p := range d.MobilityPolicies() {
				r := policyRecord(p)
				if filter != "" {
					if ok, _ := path.Match(filter, strings.ToLower(r[0].value)); !ok {
						continue
					}
				}
				out = append(out, r)
			}
			return out, nil
		},
	}
}

// policyIdentity is the identity PowerShell prints: "Global", or "Tag:X".
func policyIdentity(id string) string {
	if id == routing.GlobalPolicy {
		return id
	}
	return "Tag:" + id
}

func policyRecord(p routing.MobilityPolicy) record {
	return record{
		{"Identity", policyIdentity(p.Identity)},
		{"Description", p.Description},
		{"IPVideoMobileMode", string(p.IPVideoMobileMode)},
		{"IPAudioMobileMode", string(p.IPAudioMobileMode)},
		{"MobileDialerPreference", string(p.MobileDialerPreference)},
	}
}
