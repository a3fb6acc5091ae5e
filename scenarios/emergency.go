package scenarios

import (
	"errors"
	"net/netip"
	"strings"

	"gopkg.in/yaml.v3"

	"ocmsim/internal/psap"
	"ocmsim/routing"
)

var (
	lisKeys = []string{"subnet", "bssid", "chassis", "port", "address", "description"}
)

// TrustedIP is one entry of `trustedIPs:`: an external address range of
// the tenant (dynamic locations are used only from there).
type TrustedIP struct {
	Pos
	Prefix netip.Prefix
}

// LocationSpec is one entry of `locations:`, the tenant's location
// information service: a subnet, Wi-Fi access point (bssid) or switch
// (chassis, optional port) mapped to an emergency address.
type LocationSpec struct {
	Pos
	Entry routing.LISEntry
}

// EmergencyNumbersSpec is one country of `emergencyNumbers:`: its dial
// strings and the service URN each requests.
type EmergencyNumbersSpec struct {
	Pos
	Country string
	Numbers map[string]string
}

// parseEmergency reads the tenant's trustedIPs, locations and emergencyNumbers.
func (d *decoder) parseEmergency(f *fields, t *Tenant) {
	for _, it := range f.items("trustedIPs") {
		if it.Kind != yaml.ScalarNode {
			d.errorf(it, "trustedIPs: expected an address or CIDR prefix, got %s", kindName(it))
			continue
		}
		p, ok := parsePrefixOrAddr(it.Value)
		if !ok {
			d.codef(it, routing.CodeInvalid, "trustedIPs: %q is not an address or CIDR prefix like 203.0.113.0/24", it.Value)
			continue
		}
		t.TrustedIPs = append(t.TrustedIPs, TrustedIP{Pos: posOf(it), Prefix: p})
	}
	for _, it := range f.items("locations") {
		lf, ok := d.fields(it, "location", lisKeys)
		if !ok || !lf.require("location", "address") {
			continue
		}
		e := routing.LISEntry{BSSID: lf.str("bssid"), Chassis: lf.str("chassis"), Port: lf.str("port"), Address: lf.str("address")}
		if s := lf.str("subnet"); s != "" {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				d.codef(lf.v("subnet"), routing.CodeInvalid, "subnet: %q is not a CIDR prefix like 10.1.2.0/24", s)
				continue
			}
			e.Subnet = p
		}
		t.Locations = append(t.Locations, LocationSpec{Pos: posOf(it), Entry: e})
	}
	if f.has("emergencyNumbers") {
		t.EmergencyNumbers = d.parseEmergencyNumbers(f.v("emergencyNumbers"))
	}
}

// parseEmergencyNumbers reads {CC: [dial...]} (each urn:service:sos) or
// {CC: {dial: URN}}.
func (d *decoder) parseEmergencyNumbers(n *yaml.Node) []EmergencyNumbersSpec {
	n = d.deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "emergencyNumbers: expected a mapping of countries, got %s", kindName(n))
		return nil
	}
	var out []EmergencyNumbersSpec
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], d.deref(n.Content[i+1])
		spec := EmergencyNumbersSpec{Pos: posOf(k), Country: k.Value, Numbers: map[string]string{}}
		switch {
		case v != nil && v.Kind == yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				spec.Numbers[v.Content[j].Value] = v.Content[j+1].Value
			}
		default:
			for _, dial := range d.strs(v, "emergencyNumbers "+k.Value) {
				spec.Numbers[dial] = routing.ServiceSOS
			}
		}
		out = append(out, spec)
	}
	return out
}

func parsePrefixOrAddr(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// emergency adds the cells, trusted IPs, LIS entries and emergency numbers.
func (b *builder) emergency() bool {
	t := b.t
	for _, c := range t.Cells {
		site := routing.CellSite{ID: c.ID, GeoPoint: routing.GeoPoint{Lat: c.Lat, Lon: c.Lon}, Radius: c.Radius}
		if !b.do(c.Pos, b.dir.AddCell(site)) {
			return false
		}
	}
	for _, ip := range t.TrustedIPs {
		if !b.do(ip.Pos, b.dir.AddTrustedIP(ip.Prefix)) {
			return false
		}
	}
	for _, l := range t.Locations {
		if !b.do(l.Pos, b.dir.AddLocation(l.Entry)) {
			return false
		}
	}
	for _, n := range t.EmergencyNumbers {
		if !b.do(n.Pos, b.dir.SetEmergencyNumbers(n.Country, n.Numbers)) {
			return false
		}
	}
	return true
}

// PSAPDirectory builds the tenant's PSAPs for PSAP selection; the error
// names the PSAP entries that do not validate.
func (t *Tenant) PSAPDirectory() (*psap.Directory, error) {
	list := make([]psap.PSAP, len(t.PSAPs))
	for i, p := range t.PSAPs {
		list[i] = psap.PSAP{ID: p.ID, URI: p.URI, Country: p.Country, Numbers: p.Numbers, Area: p.Area, Fallback: p.Fallback}
		if p.Civic.Country != "" || p.Civic.A1 != "" || p.Civic.A2 != "" {
			list[i].Civic = &psap.CivicMatch{Country: p.Civic.Country, A1: p.Civic.A1, A2: p.Civic.A2}
		}
	}
	return psap.New(list)
}

// checkPSAPs reports each PSAP configuration error at its entry.
func (d *decoder) checkPSAPs(t *Tenant) {
	_, err := t.PSAPDirectory()
	if err == nil {
		return
	}
	var list interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &list) {
		errs = list.Unwrap()
	}
	for _, e := range errs {
		var pe *psap.Error
		if errors.As(e, &pe) && pe.Index >= 0 && pe.Index < len(t.PSAPs) {
			d.errAt(t.PSAPs[pe.Index].Pos, routing.CodeInvalid, nil, "psap "+pe.ID+": "+strings.TrimSpace(pe.Msg))
			continue
		}
		d.errAt(t.Pos, routing.CodeInvalid, nil, e.Error())
	}
}
