package scenarios

import (
	"net/netip"
	"strings"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

// The keys allowed at each place of a tenant.
var (
	tenantKeys = []string{"id", "domain", "devicePassword", "trunks", "coexistence", "syncDelay", "fallback",
		"operators", "numbers", "emergencyAddresses", "cells", "psaps",
		"trustedIPs", "locations", "emergencyNumbers", "policies", "groups", "users", "generate"}
	trunkKeys      = []string{"id", "from"}
	operatorKeys   = []string{"id", "name", "ocm", "serves", "enabled", "emergencyAddressMode", "numbers", "suspended"}
	enabledKeys    = []string{"countries", "contact", "acceptDataTransfer"}
	contactKeys    = []string{"name", "email", "companySize", "phone"}
	opNumberKeys   = []string{"number", "country", "sim", "emergencyAddress", "activation", "porting"}
	numberKeys     = []string{"number", "type", "operator", "country", "sim", "emergencyAddress", "activation", "source", "porting"}
	portingKeys    = []string{"from"}
	addressKeys    = []string{"id", "civic", "location", "validated", "description"}
	civicKeys      = []string{"country", "A1", "A2", "A3", "RD", "HNO", "PC", "NAM"}
	latLonKeys     = []string{"lat", "lon"}
	cellKeys       = []string{"id", "lat", "lon", "radius"}
	psapKeys       = []string{"id", "uri", "country", "numbers", "area", "civic", "fallback"}
	policiesKeys   = []string{"mobility"}
	policyKeys     = []string{"identity", "description", "mobileDialerPreference", "ipAudioMobileMode", "ipVideoMobileMode"}
	groupKeys      = []string{"id", "members", "mobilityPolicy"}
	groupGrantKeys = []string{"policy", "rank"}
	userKeys       = []string{"id", "upn", "licenses", "number", "mobilityPolicy", "coexistence", "lineURI", "onPremLineURI",
		"voiceRoutingPolicy", "dialerChoice", "callSettings", "devices"}
	callSettingsKeys = []string{"unanswered", "simultaneousRing"}
	unansweredKeys   = []string{"target", "to", "delay"}
	deviceKeys       = []string{"id", "kind", "phone", "cell", "username", "password"}
)

var (
	coexistenceModes = []string{routing.TeamsOnly, routing.Islands, "SfBOnly", "SfBWithTeamsCollab", "SfBWithTeamsCollabAndMeetings"}
	numberTypes      = []string{string(routing.CallingPlan), string(routing.OperatorConnect), string(routing.DirectRouting), "OperatorConnectMobile"}
	portTypes        = []string{string(routing.CallingPlan), string(routing.OperatorConnect), string(routing.DirectRouting)}
	activations      = []string{string(routing.Activated), string(routing.AssignmentPending), string(routing.AssignmentFailed),
		string(routing.UpdatePending), string(routing.UpdateFailed)}
	addressModes = []string{string(routing.AddressOperatorEditable), string(routing.AddressTenant), string(routing.AddressOperatorLocked)}
	preferences  = []string{string(routing.PreferTeams), string(routing.PreferNative), string(routing.PreferUserOverride)}
	ipModes      = []string{string(routing.AllNetworks), string(routing.WifiOnly)}
	kindNames    = func() []string {
		out := make([]string, len(routing.DeviceKinds))
		for i, k := range routing.DeviceKinds {
			out[i] = string(k)
		}
		return out
	}()
)

// parseTenant decodes a tenant mapping.
func (d *decoder) parseTenant(n *yaml.Node) *Tenant {
	t := &Tenant{Pos: posOf(n), File: d.file}
	f, ok := d.fields(n, "tenant", tenantKeys)
	if !ok {
		return t
	}
	t.ID, t.Domain, t.DevicePassword = f.str("id"), f.str("domain"), f.str("devicePassword")
	if t.Domain == "" && !f.has("domain") {
		d.errorf(f.node, "tenant: missing required key %q", "domain")
	}
	if t.ID == "" {
		t.ID, _, _ = strings.Cut(t.Domain, ".")
	}
	t.Coexistence = f.strIn("coexistence", coexistenceModes...)
	t.SyncDelay, _ = f.duration("syncDelay")
	if fb, ok := f.boolean("fallback"); ok {
		t.NoFallback = !fb
	}
	if f.has("trunks") {
		for _, it := range f.items("trunks") {
			t.Trunks = append(t.Trunks, d.parseTrunk(it))
		}
	} else {
		t.Trunks = DefaultTrunks()
	}
	for _, it := range f.items("emergencyAddresses") {
		t.Addresses = append(t.Addresses, d.parseAddress(it))
	}
	for _, it := range f.items("operators") {
		t.Operators = append(t.Operators, d.parseOperator(it))
	}
	for _, it := range f.items("numbers") {
		t.Numbers = append(t.Numbers, d.parseNumber(it))
	}
	for _, it := range f.items("cells") {
		t.Cells = append(t.Cells, d.parseCell(it))
	}
	for _, it := range f.items("psaps") {
		t.PSAPs = append(t.PSAPs, d.parsePSAP(it))
	}
	d.parseEmergency(f, t)
	if f.has("policies") {
		if pf, ok := d.fields(f.v("policies"), "policies", policiesKeys); ok {
			for _, it := range pf.items("mobility") {
				t.Policies = append(t.Policies, d.parsePolicy(it))
			}
		}
	}
	for _, it := range f.items("groups") {
		t.Groups = append(t.Groups, d.parseGroup(it))
	}
	for _, it := range f.items("users") {
		t.Users = append(t.Users, d.parseUser(it))
	}
	if f.has("generate") {
		t.Generate = d.parseGenerate(f.v("generate"), f.pos("generate"))
	}
	d.checkTenantRefs(t)
	return t
}

func (d *decoder) parseTrunk(n *yaml.Node) Trunk {
	tr := Trunk{Pos: posOf(n)}
	f, ok := d.fields(n, "trunk", trunkKeys)
	if !ok {
		return tr
	}
	f.require("trunk", "id", "from")
	tr.ID = f.str("id")
	for _, s := range f.strs("from") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				d.codef(f.v("from"), routing.CodeInvalid, "from: %q is not an address or CIDR prefix like 127.0.0.1/8", s)
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		tr.From = append(tr.From, p.Masked())
	}
	return tr
}

func (d *decoder) parseOperator(n *yaml.Node) OperatorSpec {
	o := OperatorSpec{Pos: posOf(n)}
	f, ok := d.fields(n, "operator", operatorKeys)
	if !ok {
		return o
	}
	f.require("operator", "id")
	o.Operator = routing.Operator{ID: f.str("id"), Name: f.str("name"), Serves: f.countries("serves"),
		AddressMode: routing.AddressMode(f.strIn("emergencyAddressMode", addressModes...))}
	o.Operator.OCM, _ = f.boolean("ocm")
	if f.has("enabled") && !isNull(f.v("enabled")) {
		o.EnablePos = f.pos("enabled")
		o.Enable = d.parseEnablement(f.v("enabled"))
	}
	for _, it := range f.items("numbers") {
		ns := d.parseOperatorNumber(it, &o)
		o.Numbers = append(o.Numbers, ns)
	}
	if f.has("suspended") {
		o.SuspendPos = f.pos("suspended")
		v := f.v("suspended")
		if v.Kind == yaml.ScalarNode && v.Tag == "!!bool" {
			o.SuspendAll, _ = f.boolean("suspended")
		} else {
			o.Suspended = f.countries("suspended")
		}
	}
	return o
}

func (d *decoder) parseEnablement(n *yaml.Node) *routing.Enablement {
	e := &routing.Enablement{}
	f, ok := d.fields(n, "enabled", enabledKeys)
	if !ok {
		return e
	}
	e.Countries = f.countries("countries")
	e.AcceptDataTransfer, _ = f.boolean("acceptDataTransfer")
	if f.has("contact") {
		if cf, ok := d.fields(f.v("contact"), "contact", contactKeys); ok {
			e.Contact.Name, e.Contact.Email, e.Contact.Phone = cf.str("name"), cf.str("email"), cf.number("phone")
			e.Contact.CompanySize, _ = cf.integer("companySize")
		}
	}
	return e
}

// parseOperatorNumber decodes an uploaded number: a mapping or a bare number.
func (d *decoder) parseOperatorNumber(n *yaml.Node, o *OperatorSpec) NumberSpec {
	ns := NumberSpec{Pos: posOf(n), Type: routing.OperatorConnect, Mobile: true, Operator: o.Operator.ID}
	if n.Kind == yaml.ScalarNode {
		ns.Number = d.number(n, "number")
	} else if f, ok := d.fields(n, "number", opNumberKeys); ok {
		f.require("number", "number")
		d.numberCommon(f, &ns)
		if !f.has("sim") {
			ns.SIM = true
		}
	}
	if ns.Country == "" && o.Enable != nil && len(o.Enable.Countries) == 1 {
		ns.Country = o.Enable.Countries[0]
	} else if ns.Country == "" && ns.PortFrom == "" && ns.Number != "" {
		d.errorf(n, "number %s: missing key \"country\" (operator %s is not enabled in exactly one country)", ns.Number, o.Operator.ID)
	}
	return ns
}

// numberCommon decodes the keys shared by operator and tenant numbers.
func (d *decoder) numberCommon(f *fields, ns *NumberSpec) {
	ns.Number = f.number("number")
	ns.Country = f.country("country")
	ns.SIM, _ = f.boolean("sim")
	ns.EmergencyAddress, ns.AddressPos = f.str("emergencyAddress"), f.pos("emergencyAddress")
	ns.Activation = routing.ActivationState(f.strIn("activation", activations...))
	if f.has("porting") {
		ns.PortPos = f.pos("porting")
		if pf, ok := d.fields(f.v("porting"), "porting", portingKeys); ok {
			pf.require("porting", "from")
			ns.PortFrom = routing.NumberType(pf.strIn("from", portTypes...))
		}
	}
}

func (d *decoder) parseNumber(n *yaml.Node) NumberSpec {
	ns := NumberSpec{Pos: posOf(n)}
	f, ok := d.fields(n, "number", numberKeys)
	if !ok {
		return ns
	}
	f.require("number", "number", "type")
	d.numberCommon(f, &ns)
	ns.Operator = f.str("operator")
	ns.Source = f.strIn("source", "Online", "OnPremises")
	switch t := f.strIn("type", numberTypes...); t {
	case "OperatorConnectMobile":
		ns.Type, ns.Mobile = routing.OperatorConnect, true
		if !f.has("sim") {
			ns.SIM = true
		}
		if ns.Operator == "" {
			d.errorf(f.node, "number %s: an OperatorConnectMobile number needs \"operator\"", ns.Number)
		}
	default:
		ns.Type = routing.NumberType(t)
	}
	return ns
}

func (d *decoder) parseAddress(n *yaml.Node) AddressSpec {
	a := AddressSpec{Pos: posOf(n)}
	f, ok := d.fields(n, "emergency address", addressKeys)
	if !ok {
		return a
	}
	f.require("emergency address", "id", "civic")
	a.Address.ID = f.str("id")
	a.Address.Validated = true
	if v, ok := f.boolean("validated"); ok {
		a.Address.Validated = v
	}
	_ = f.str("description")
	if f.has("civic") {
		a.Address.Civic = d.parseCivic(f.v("civic"), "civic", true)
	}
	if f.has("location") {
		a.Address.Lat, a.Address.Lon, a.Address.HasCoords = d.parseLatLon(f.v("location"), "location")
	}
	return a
}

func (d *decoder) parseCivic(n *yaml.Node, what string, needCountry bool) routing.Civic {
	var c routing.Civic
	f, ok := d.fields(n, what, civicKeys)
	if !ok {
		return c
	}
	if needCountry {
		f.require(what, "country")
	}
	c = routing.Civic{Country: f.country("country"), A1: f.str("A1"), A2: f.str("A2"), A3: f.str("A3"),
		RD: f.str("RD"), HNO: f.str("HNO"), PC: f.str("PC"), NAM: f.str("NAM")}
	return c
}

func (d *decoder) parseLatLon(n *yaml.Node, what string) (lat, lon float64, ok bool) {
	f, ok := d.fields(n, what, latLonKeys)
	if !ok {
		return 0, 0, false
	}
	if !f.require(what, "lat", "lon") {
		return 0, 0, false
	}
	lat, ok1 := f.float("lat")
	lon, ok2 := f.float("lon")
	if ok1 && ok2 && !validLatLon(lat, lon) {
		d.codef(f.node, routing.CodeInvalid, "%s: coordinates %v,%v are out of range", what, lat, lon)
		return 0, 0, false
	}
	return lat, lon, ok1 && ok2
}

func validLatLon(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

func (d *decoder) parseCell(n *yaml.Node) Cell {
	c := Cell{Pos: posOf(n)}
	f, ok := d.fields(n, "cell", cellKeys)
	if !ok {
		return c
	}
	if !f.require("cell", "id", "lat", "lon") {
		return c
	}
	c.ID = f.str("id")
	c.Lat, _ = f.float("lat")
	c.Lon, _ = f.float("lon")
	if !validLatLon(c.Lat, c.Lon) {
		d.codef(f.node, routing.CodeInvalid, "cell %s: coordinates %v,%v are out of range", c.ID, c.Lat, c.Lon)
	}
	c.Radius, _ = f.float("radius")
	if c.Radius < 0 {
		d.codef(f.v("radius"), routing.CodeInvalid, "radius: must be positive (metres)")
	}
	return c
}

func (d *decoder) parsePSAP(n *yaml.Node) PSAP {
	p := PSAP{Pos: posOf(n)}
	f, ok := d.fields(n, "psap", psapKeys)
	if !ok {
		return p
	}
	f.require("psap", "id", "uri")
	p.ID, p.URI, p.Country = f.str("id"), f.str("uri"), f.country("country")
	if p.URI != "" && !hasAnyPrefix(strings.ToLower(p.URI), "sip:", "sips:", "tel:") {
		d.codef(f.v("uri"), routing.CodeInvalid, "uri: %q is not a sip:, sips: or tel: URI", p.URI)
	}
	p.Numbers = f.strs("numbers")
	for _, num := range p.Numbers {
		if num == "" || strings.Trim(num, "0123456789") != "" {
			d.codef(f.v("numbers"), routing.CodeInvalid, "numbers: %q is not a dial string of digits like \"911\"", num)
		}
	}
	for _, pt := range f.items("area") {
		ll := d.items(pt, "area point")
		if len(ll) != 2 {
			d.errorf(pt, "area: a point is [lat, lon], got %s", kindName(pt))
			continue
		}
		lat, ok1 := d.float(ll[0], "lat")
		lon, ok2 := d.float(ll[1], "lon")
		if ok1 && ok2 && !validLatLon(lat, lon) {
			d.codef(pt, routing.CodeInvalid, "area: coordinates %v,%v are out of range", lat, lon)
		}
		p.Area = append(p.Area, [2]float64{lat, lon})
	}
	if f.has("area") && len(p.Area) > 0 && len(p.Area) < 3 {
		d.codef(f.v("area"), routing.CodeInvalid, "area: a polygon needs at least 3 points")
	}
	if f.has("civic") {
		p.Civic = d.parseCivic(f.v("civic"), "civic", false)
	}
	p.Fallback, _ = f.boolean("fallback")
	return p
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
