package cmdlet

import (
	"fmt"
	"strings"

	"ocmsim/routing"
)

// The user cmdlets: policy assignment, online user, LineURI and voice routing
// policy (the guide's Direct Routing migration steps, R-N4).

// registrarPool is what Get-CsOnlineUser shows for every online user.
const registrarPool = "pool.infra.lync.com"

// Policy types Get-CsUserPolicyAssignment knows.
const (
	typeMobility     = "TeamsMobilityPolicy"
	typeVoiceRouting = "OnlineVoiceRoutingPolicy"
)

var assignmentFields = []string{"PolicyType", "PolicyName", "PolicySource"}

func userPolicyAssignmentSpec() *spec {
	return &spec{
		name:   "Get-CsUserPolicyAssignment",
		params: []param{{name: "Identity", pos: -1, mandatory: true}, named("PolicyType", kString)},
		fields: assignmentFields,
		get: func(c *Command, d *routing.Directory) ([]record, error) {
			id := c.Str("Identity")
			p, src, err := d.EffectivePolicy(id)
			if err != nil {
				return nil, err
			}
			u, _ := d.User(id)
			want := c.Str("PolicyType")
			var out []record
			if want == "" || strings.EqualFold(want, typeMobility) {
				out = append(out, record{
					{"PolicyType", typeMobility},
					{"PolicyName", p.Identity},
					{"PolicySource", policySource(src)},
				})
			}
			if u.VoiceRoutingPolicy != "" && (want == "" || strings.EqualFold(want, typeVoiceRouting)) {
				out = append(out, record{
					{"PolicyType", typeVoiceRouting},
					{"PolicyName", u.VoiceRoutingPolicy},
					{"PolicySource", braces("Direct")},
				})
			}
			return out, nil
		},
	}
}

// policySource renders where an effective policy comes from: {Direct},
// {Group sales, Rank 1} or {Global}.
func policySource(s routing.PolicySource) string {
	switch s.Kind {
	case routing.SourceDirect:
		return braces("Direct")
	case routing.SourceGroup:
		return braces("Group "+s.Group, fmt.Sprintf("Rank %d", s.Rank))
	}
	return braces("Global")
}

var onlineUserFields = []string{
	"Identity", "UserPrincipalName", "SipAddress", "LineURI", "OnPremLineURI", "RegistrarPool",
	"EnterpriseVoiceEnabled", "TeamsUpgradeEffectiveMode", "OnlineVoiceRoutingPolicy",
	"TeamsMobilityPolicy", "FeatureTypes",
}

func onlineUserSpec() *spec {
	return &spec{
		name:   "Get-CsOnlineUser",
		params: []param{{name: "Identity", pos: 0}},
		fields: onlineUserFields,
		get: func(c *Command, d *routing.Directory) ([]record, error) {
			snap := d.Snapshot() // the org's coexistence mode has no other accessor
			var users []routing.User
			if c.Has("Identity") {
				u, ok := d.User(c.Str("Identity"))
				if !ok {
					return nil, notFound("user", c.Str("Identity"))
				}
				users = append(users, u)
			} else {
				for _, s := range snap.Users {
					if u, ok := d.User(s.ID); ok { // User applies a finished LineURI sync
						users = append(users, u)
					}
				}
			}
			out := make([]record, 0, len(users))
			for _, u := range users {
				out = append(out, onlineUserRecord(u, snap.Coexistence))
			}
			return out, nil
		},
	}
}

func onlineUserRecord(u routing.User, orgMode string) record {
	mode := u.Coexistence
	if mode == "" {
		mode = orgMode
	}
	return record{
		{"Identity", u.ID},
		{"UserPrincipalName", u.UPN},
		{"SipAddress", "sip:" + u.UPN},
		{"LineURI", u.LineURI},
		{"OnPremLineURI", u.OnPremLineURI},
		{"RegistrarPool", registrarPool},
		{"EnterpriseVoiceEnabled", boolText(u.Number != "" || u.LineURI != "" || u.OnPremLineURI != "")},
		{"TeamsUpgradeEffectiveMode", mode},
		{"OnlineVoiceRoutingPolicy", u.VoiceRoutingPolicy},
		{"TeamsMobilityPolicy", u.MobilityPolicy},
		{"FeatureTypes", braces(u.Licenses...)},
	}
}

func setUserSpec() *spec {
	return &spec{
		name: "Set-CsUser",
		params: []param{
			{name: "Identity", pos: 0, mandatory: true},
			{name: "LineURI", pos: -1, null: true},
			named("EnterpriseVoiceEnabled", kBool), // accepted and ignored
			named("HostedVoiceMail", kBool),        // accepted and ignored
		},
		do: func(c *Command, d *routing.Directory) error {
			id := c.Str("Identity")
			if !c.Has("LineURI") {
				if _, ok := d.User(id); !ok {
					return notFound("user", id)
				}
				return nil
			}
			if uri := c.Str("LineURI"); uri != "" {
				return invalid("user "+id, fmt.Sprintf("setting LineURI to %s is not modelled: assign numbers with Set-CsPhoneNumberAssignment; only -LineURI $null is supported", uri))
			}
			return d.ClearLineURI(id)
		},
	}
}

func grantVoiceRoutingSpec() *spec {
	return &spec{
		name: "Grant-CsOnlineVoiceRoutingPolicy",
		params: []param{
			{name: "Identity", pos: 0, mandatory: true},
			{name: "PolicyName", pos: 1, null: true},
		},
		do: func(c *Command, d *routing.Directory) error {
			name := c.Str("PolicyName")
			if strings.EqualFold(name, "Global") {
				name = "" // granting Global is removing the direct grant
			}
			return d.GrantVoiceRoutingPolicy(c.Str("Identity"), trimTag(name))
		},
	}
}

// trimTag removes the "Tag:" prefix PowerShell prints before policy names.
func trimTag(s string) string {
	if len(s) >= 4 && strings.EqualFold(s[:4], "tag:") {
		return s[4:]
	}
	return s
}
