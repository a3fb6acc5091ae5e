package routing

import (
	"math"
	"net/netip"
	"slices"
	"strings"
)

// emergencyConfig is the tenant's emergency-calling data besides its
// addresses: the cell table, trusted IPs, the location information service
// (LIS) and per-country emergency dial strings. Guarded by Directory.mu.
type emergencyConfig struct {
	cells   map[string]CellSite // by CellRef.Key
	trusted []netip.Prefix
	lis     []DynamicLocation    // read-only once added: Emergency hands it out as is
	numbers EmergencyNumberTable // nil: the built-in table
}

// LISEntry maps one network identifier of the tenant's location information
// service to an emergency address (Set-CsOnlineLisSubnet / WirelessAccessPoint
// / Switch / Port). Exactly one of Subnet, BSSID or Chassis (with or without
// Port) is set.
type LISEntry struct {
	Subnet  netip.Prefix
	BSSID   string
	Chassis string
	Port    string
	Address string // emergency address id
}

// AddCell adds a cell-table entry. Its id is a cell key (ParseCellKey: the
// utran-cell-id-3gpp form MCC+MNC+TAC+ECI, or an NR form); it is stored
// normalised (lower-case hex).
func (d *Directory) AddCell(c CellSite) error {
	obj := "cell " + quoteID(c.ID)
	ref, err := ParseCellKey(c.ID)
	if err != nil {
		return errorf(CodeInvalid, obj, "%v", err)
	}
	if !c.GeoPoint.valid() {
		return errorf(CodeInvalid, obj, "coordinates %v,%v are out of range", c.Lat, c.Lon)
	}
	if c.Radius <= 0 || math.IsInf(c.Radius, 0) || math.IsNaN(c.Radius) {
		return errorf(CodeInvalid, obj, "radius %v must be a positive number of metres", c.Radius)
	}
	c.ID = ref.Key()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.emergency.cells == nil {
		d.emergency.cells = map[string]CellSite{}
	}
	if _, dup := d.emergency.cells[c.ID]; dup {
		return errorf(CodeExists, obj, "already exists")
	}
	d.emergency.cells[c.ID] = c
	return nil
}

// Cell looks a serving cell up in the cell table by any cell-key form.
func (d *Directory) Cell(id string) (CellSite, bool) {
	ref, err := ParseCellKey(id)
	if err != nil {
		return CellSite{}, false
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	c, ok := d.emergency.cells[ref.Key()]
	return c, ok
}

// AddTrustedIP adds one of the tenant's trusted external IP ranges
// (New-CsTenantTrustedIPAddress): dynamic locations are looked up only for
// clients whose public address is within one of them.
func (d *Directory) AddTrustedIP(p netip.Prefix) error {
	if !p.IsValid() {
		return errorf(CodeInvalid, "trusted IP "+quoteID(p.String()), "not an address or CIDR prefix")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.emergency.trusted = append(d.emergency.trusted, p.Masked())
	return nil
}

// AddLocation adds a LIS entry. Its address must exist, be validated and
// carry coordinates (R-E2: geo codes are mandatory for dynamic locations).
func (d *Directory) AddLocation(e LISEntry) error {
	ids := 0
	obj := "location"
	if e.Subnet.IsValid() {
		ids++
		obj = "location subnet " + e.Subnet.String()
	}
	if e.BSSID != "" {
		ids++
		obj = "location bssid " + quoteID(e.BSSID)
	}
	if e.Chassis != "" {
		ids++
		obj = "location switch " + quoteID(e.Chassis)
	}
	if ids != 1 {
		return errorf(CodeInvalid, obj, "needs exactly one of subnet, bssid or chassis (with an optional port)")
	}
	if e.Port != "" && e.Chassis == "" {
		return errorf(CodeInvalid, obj, "a port needs its switch chassis")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.addresses[e.Address]
	switch {
	case !ok:
		return notFound("emergency address", e.Address)
	case !a.Validated:
		return errorf(CodeAddressNotValidated, obj, "emergency address %s is not validated", quoteID(e.Address))
	case !a.HasCoords:
		return errorf(CodeInvalid, obj, "emergency address %s has no coordinates (required for dynamic locations)", quoteID(e.Address))
	}
	// A validated address cannot change (R-E1): the entry keeps a copy.
	d.emergency.lis = append(d.emergency.lis, DynamicLocation{Subnet: e.Subnet.Masked(), BSSID: e.BSSID,
		Chassis: e.Chassis, Port: e.Port, Address: *a})
	return nil
}

// SetEmergencyNumbers replaces the emergency dial strings of country (dial
// string → service URN, e.g. "911" → urn:service:sos); an empty map restores
// the universal 112/911 for it.
func (d *Directory) SetEmergencyNumbers(country string, numbers map[string]string) error {
	obj := "emergency numbers of " + quoteID(country)
	if !validCountry(country) {
		return errorf(CodeInvalid, obj, "country %q is not an ISO 3166 alpha-2 code", country)
	}
	for dial, urn := range numbers {
		if dial == "" || strings.Trim(dial, "0123456789") != "" || len(dial) > 10 {
			return errorf(CodeInvalid, obj, "dial string %q must be 1 to 10 digits", dial)
		}
		if _, ok := (EmergencyNumberTable{}).IsEmergency("", urn); !ok {
			return errorf(CodeInvalid, obj, "%q → %q: not an emergency service URN (urn:service:sos...)", dial, urn)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.emergency.numbers == nil {
		d.emergency.numbers = DefaultEmergencyNumbers()
	}
	d.emergency.numbers = d.emergency.numbers.With(country, numbers)
	return nil
}

// EmergencyCall is what the proxy knows of an emergency call placed by a
// device: the dialled string and what the device and its network reported.
type EmergencyCall struct {
	Device  string // device id
	Dialled string // dial string or Request-URI (sip:911@..., urn:service:sos)
	// Teams endpoints.
	PublicIP      netip.Addr
	Network       NetworkIDs
	UserConfirmed *EmergencyAddress // address sent by value with the call (user-entered)
	// Native dialer.
	CellKey string // utran-cell-id-3gpp / nrcgi of P-Access-Network-Info
	GPS     *GPSFix
}

// EmergencyDecision is the outcome of Emergency: the service requested, the
// country of the call, who calls back, and the resolved location.
type EmergencyDecision struct {
	Service  string // urn:service:sos, urn:service:test.sos, ...
	Dial     string // the dial string (digits), "" for a URN Request-URI
	Country  string
	Device   Device
	User     string
	Callback string // the user's E.164 number; "" when the user has none
	Location Location
}

// Test reports a test call (urn:service:test.sos, e.g. US 933).
func (e EmergencyDecision) Test() bool { return strings.HasPrefix(e.Service, ServiceTestSOS) }

// EmergencyService reports whether dialled, placed by device, is an
// emergency call: the country is that of the user's number, else of the
// number's or any static address, else universal 112/911 apply.
func (d *Directory) EmergencyService(device, dialled string) (service, country string, ok bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	country = d.callCountry(device)
	table := d.emergency.numbers
	if table == nil {
		table = defaultEmergencyNumbers
	}
	service, ok = table.IsEmergency(country, dialled)
	return service, country, ok
}

// callCountry is the country of a device's user's number; "" when unknown.
// Callers hold d.mu.
func (d *Directory) callCountry(device string) string {
	dev, ok := d.devices[device]
	if !ok {
		return ""
	}
	if u, ok := d.users[dev.User]; ok && u.Number != "" {
		if n, ok := d.numbers[u.Number]; ok {
			return n.Country
		}
	}
	return ""
}

// Emergency resolves an emergency call: never refused for licences,
// policies, suspensions or the operator's address mode (those govern who
// may change an address, not whether a call gets it). Errors: not-found for
// an unknown device, invalid when the dialled string is not an emergency call.
func (d *Directory) Emergency(c EmergencyCall) (EmergencyDecision, error) {
	service, country, ok := d.EmergencyService(c.Device, c.Dialled)
	d.mu.RLock()
	defer d.mu.RUnlock()
	dev, found := d.devices[c.Device]
	if !found {
		return EmergencyDecision{}, notFound("device", c.Device)
	}
	if !ok {
		return EmergencyDecision{}, errorf(CodeInvalid, "dial string "+quoteID(c.Dialled), "is not an emergency number in %q", country)
	}
	dec := EmergencyDecision{Service: service, Country: country, Device: *dev, User: dev.User, Dial: dialString(c.Dialled)}
	in := LocationInput{Kind: dev.Kind, PublicIP: c.PublicIP, TrustedIPs: d.emergency.trusted, Network: c.Network,
		UserConfirmed: c.UserConfirmed, GPS: c.GPS}
	if u, ok := d.users[dev.User]; ok && u.Number != "" {
		dec.Callback = u.Number
		if n, ok := d.numbers[u.Number]; ok && n.EmergencyAddress != "" {
			if a, ok := d.addresses[n.EmergencyAddress]; ok {
				static := *a
				in.Static = &static
			}
		}
	}
	if dev.Kind.Teams() {
		in.Dynamic = d.emergency.lis
	} else if c.CellKey != "" {
		if ref, err := ParseCellKey(c.CellKey); err == nil {
			if cell, ok := d.emergency.cells[ref.Key()]; ok {
				in.Cell = &cell
			}
		}
	}
	dec.Location = ResolveLocation(in)
	if dec.Country == "" {
		dec.Country = locationCountry(dec.Location, in.Static)
	}
	return dec, nil
}

// locationCountry is the country a location tells, for a user without a number.
func locationCountry(l Location, static *EmergencyAddress) string {
	switch {
	case l.Civic != nil:
		return l.Civic.Country
	case static != nil:
		return static.Civic.Country
	}
	return ""
}

// dialString is the digits of a dialled string ("sip:911@x;user=phone" → "911"),
// "" for a service URN.
func dialString(dialled string) string {
	s := strings.TrimSpace(dialled)
	if hasPrefixFold(s, "urn:") {
		return ""
	}
	return uriUser(s)
}

// TrustedIPs returns the tenant's trusted IP ranges.
func (d *Directory) TrustedIPs() []netip.Prefix {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.emergency.trusted)
}

// Address returns a copy of emergency address id.
func (d *Directory) Address(id string) (EmergencyAddress, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	a, ok := d.addresses[id]
	if !ok {
		return EmergencyAddress{}, false
	}
	return *a, true
}
