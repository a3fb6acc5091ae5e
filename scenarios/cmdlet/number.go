package cmdlet

import (
	"strings"

	"ocmsim/routing"
)

// The phone number assignment cmdlets (R-N5, R-N6).

var numberFields = []string{
	"TelephoneNumber", "OperatorId", "NumberType", "ActivationState", "AssignedPstnTargetId",
	"AssignmentCategory", "Capability", "IsoCountryCode", "LocationId", "PortInOrderStatus",
	"PstnAssignmentStatus", "PstnPartnerName", "NumberSource",
}

func getNumberSpec() *spec {
	return &spec{
		name: "Get-CsPhoneNumberAssignment",
		params: []param{
			named("TelephoneNumber", kString), named("AssignedPstnTargetId", kString),
			named("NumberType", kString), named("PstnAssignmentStatus", kString),
			named("ActivationState", kString), named("IsoCountryCode", kString),
			named("CapabilitiesContain", kList), named("LocationId", kString),
			named("TelephoneNumberContain", kString), named("TelephoneNumberStartsWith", kString),
			named("Top", kInt), named("Skip", kInt),
		},
		fields: numberFields,
		get:    getNumbers,
	}
}

func getNumbers(c *Command, d *routing.Directory) ([]record, error) {
	snap := d.Snapshot()
	operators := make(map[string]string, len(snap.Operators))
	for _, o := range snap.Operators {
		operators[o.ID] = o.Name
	}
	target := ""
	if c.Has("AssignedPstnTargetId") {
		u, ok := d.User(c.Str("AssignedPstnTargetId"))
		if !ok {
			return nil, notFound("user", c.Str("AssignedPstnTargetId"))
		}
		target = u.ID
	}
	want := ""
	if c.Has("TelephoneNumber") {
		var ok bool
		if want, ok = routing.NormalizeNumber(c.Str("TelephoneNumber")); !ok {
			return nil, invalid("number "+c.Str("TelephoneNumber"), "not an E.164 number")
		}
	}
	top, skip := 500, c.Args["Skip"].Int
	if c.Has("Top") {
		top = c.Args["Top"].Int
	}
	var out []record
	for _, n := range snap.Numbers {
		r := numberRecord(n, operators[n.Operator])
		switch {
		case want != "" && n.E164 != want,
			c.Has("AssignedPstnTargetId") && n.User != target,
			!c.matches(r, "NumberType", "PstnAssignmentStatus", "ActivationState", "IsoCountryCode", "LocationId"),
			!strings.Contains(n.E164, strings.TrimPrefix(c.Str("TelephoneNumberContain"), "+")),
			!strings.HasPrefix(strings.TrimPrefix(n.E164, "+"), strings.TrimPrefix(c.Str("TelephoneNumberStartsWith"), "+")),
			!hasCapabilities(r.get("Capability"), c.Args["CapabilitiesContain"].Values):
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(out) >= top {
			break
		}
		out = append(out, r)
	}
	return out, nil
}

// matches reports whether the record's properties equal (case-insensitively)
// the filters given under the same names.
func (c Command) matches(r record, names ...string) bool {
	for _, name := range names {
		if c.Has(name) && !strings.EqualFold(r.get(name), c.Str(name)) {
			return false
		}
	}
	return true
}

func (r record) get(name string) string {
	for _, f := range r {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// hasCapabilities reports whether the rendered capability set holds all of want
// (each may itself be a comma list, as the real cmdlet takes them).
func hasCapabilities(capability string, want []string) bool {
	have := strings.Split(strings.Trim(capability, "{}"), ", ")
	for _, w := range want {
		for _, one := range strings.Split(w, ",") {
			one = strings.TrimSpace(one)
			if one == "" {
				continue
			}
			found := false
			for _, h := range have {
				found = found || strings.EqualFold(h, one)
			}
			if !found {
				return false
			}
		}
	}
	return true
}

func numberRecord(n routing.Number, operatorName string) record {
	status, category := "Unassigned", ""
	if n.User != "" {
		status, category = "UserAssigned", "Primary"
	}
	caps := []string{"UserAssignment"}
	partner := operatorName
	switch {
	case n.Mobile:
		caps = append(caps, routing.CapabilityMobile)
	case n.Type == routing.DirectRouting:
		caps = []string{"ConferenceAssignment", "VoiceApplicationAssignment", "UserAssignment"}
	case n.Type == routing.CallingPlan:
		partner = "Microsoft"
	}
	port := ""
	if n.Port != nil {
		port = "InProgress"
	}
	return record{
		{"TelephoneNumber", n.E164},
		{"OperatorId", n.Operator},
		{"NumberType", string(n.Type)},
		{"ActivationState", string(n.Activation)},
		{"AssignedPstnTargetId", n.User},
		{"AssignmentCategory", category},
		{"Capability", braces(caps...)},
		{"IsoCountryCode", n.Country},
		{"LocationId", n.EmergencyAddress},
		{"PortInOrderStatus", port},
		{"PstnAssignmentStatus", status},
		{"PstnPartnerName", partner},
		{"NumberSource", n.Source},
	}
}

// numberType parses -PhoneNumberType; OperatorConnectMobile is accepted as
// an alias for an OperatorConnect number with the TeamsPhoneMobile capability.
func numberType(s string) (t routing.NumberType, mobile, ok bool) {
	for _, t := range []routing.NumberType{routing.CallingPlan, routing.OperatorConnect, routing.DirectRouting} {
		if strings.EqualFold(s, string(t)) {
			return t, false, true
		}
	}
	if strings.EqualFold(s, "OperatorConnectMobile") {
		return routing.OperatorConnect, true, true
	}
	return "", false, false
}

// checkType checks that number n is of the -PhoneNumberType given.
func checkType(n routing.Number, given string) error {
	t, mobile, ok := numberType(given)
	if !ok {
		return invalid("phone number type "+given, "must be CallingPlan, OperatorConnect or DirectRouting")
	}
	if n.Type != t || mobile && !n.Mobile {
		have := string(n.Type)
		if n.OCM() {
			have = "OperatorConnect (TeamsPhoneMobile)"
		}
		return invalid("number "+n.E164, "is a "+have+" number, not "+given)
	}
	return nil
}
