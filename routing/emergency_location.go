package routing

import (
	"math"
	"net/netip"
	"strings"
)

// LocationSource is where an emergency call's location came from.
type LocationSource string

// Location sources, Teams path (R-E6) then operator path (R-E8).
const (
	SourceNone          LocationSource = "None" // location unknown: national fallback PSAP
	SourceDynamic       LocationSource = "Dynamic"
	SourceUserConfirmed LocationSource = "UserConfirmed"
	SourceStatic        LocationSource = "Static"
	SourceCell          LocationSource = "Cell"
	SourceGPS           LocationSource = "GPS"
)

// Emergency call paths: Teams (client → Teams → ACG → carrier) or the mobile
// operator's own path (native dialer, never via Teams, R-E8).
const (
	PathTeams    = "teams"
	PathOperator = "operator"
)

// PIDF-LO location methods (RFC 4119 method tokens) used by Location.Method.
const (
	MethodManual = "Manual"
	MethodDHCP   = "DHCP"
	MethodCell   = "Cell"
	MethodGPS    = "GPS"
)

// GeoPoint is a WGS 84 position in degrees.
type GeoPoint struct {
	Lat, Lon float64
}

// valid reports finite coordinates within range.
func (p GeoPoint) valid() bool {
	return !math.IsNaN(p.Lat) && !math.IsNaN(p.Lon) &&
		p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180
}

// Location is a resolved emergency location. Point with Radius > 0 is a
// circle (RFC 5491 Circle), with Radius 0 a point.
type Location struct {
	Source    LocationSource
	Path      string    // PathTeams or PathOperator
	Civic     *Civic    // civic address, nil for GPS/Cell/None
	Point     *GeoPoint // nil when unknown (None, or an address without coordinates)
	Radius    float64   // uncertainty in metres
	Method    string    // MethodManual, MethodDHCP, MethodCell, MethodGPS; "" for None
	AddressID string    // emergency address (or LIS location) id; the cell key for Cell
}

// Unknown reports whether no location was found ("location unknown").
func (l Location) Unknown() bool { return l.Source == SourceNone }

// DynamicLocation is an entry of the tenant's location information service
// (LIS): one network identifier mapped to an emergency address. Exactly one
// of Subnet, BSSID, Chassis (with or without Port) is expected.
type DynamicLocation struct {
	Subnet  netip.Prefix // matched against NetworkIDs.LocalIP
	BSSID   string       // wireless access point, matched case- and separator-insensitively
	Chassis string       // switch chassis id (LLDP)
	Port    string       // switch port; only with Chassis
	Address EmergencyAddress
}

// NetworkIDs are the network identifiers a Teams client reports.
type NetworkIDs struct {
	LocalIP netip.Addr // the client's address on the local subnet
	BSSID   string
	Chassis string
	Port    string
}

// GPSFix is a device-reported position with its uncertainty in metres.
type GPSFix struct {
	GeoPoint
	Uncertainty float64
}

// CellSite is a cell-table entry: the tower position and its coverage radius in metres.
type CellSite struct {
	ID string // cell key (CellRef.Key style)
	GeoPoint
	Radius float64
}

// LocationInput is everything ResolveLocation may use. Teams fields are
// ignored for the native dialer and native fields for Teams endpoints.
type LocationInput struct {
	Kind DeviceKind

	// Teams endpoints (R-E6).
	PublicIP      netip.Addr        // the client's external address
	TrustedIPs    []netip.Prefix    // the tenant's trusted IPs
	Network       NetworkIDs        // what the client sees of its network
	Dynamic       []DynamicLocation // the tenant LIS
	UserConfirmed *EmergencyAddress // address the user confirmed/entered for the current network
	Static        *EmergencyAddress // the number's static emergency address

	// Native dialer (R-E8).
	GPS  *GPSFix
	Cell *CellSite // the serving cell, already looked up in the cell table
}

// ResolveLocation applies the location precedence. Teams endpoints (path
// "teams"): a dynamic LIS location, only when PublicIP is within TrustedIPs >
// the user-confirmed address > the static address. Native dialer (path
// "operator", never the Teams sources): the GPS fix when its uncertainty is
// smaller than the serving cell's radius (or there is no cell) > the cell as a
// circle of its radius. Nothing usable → SourceNone.
func ResolveLocation(in LocationInput) Location {
	if in.Kind == NativeDialer {
		return resolveNative(in)
	}
	if a, ok := dynamicLookup(in); ok {
		return addressLocation(SourceDynamic, MethodDHCP, a)
	}
	if in.UserConfirmed != nil {
		return addressLocation(SourceUserConfirmed, MethodManual, in.UserConfirmed)
	}
	if in.Static != nil {
		return addressLocation(SourceStatic, MethodManual, in.Static)
	}
	return Location{Source: SourceNone, Path: PathTeams}
}

func resolveNative(in LocationInput) Location {
	gps := in.GPS != nil && in.GPS.valid() && in.GPS.Uncertainty >= 0 && !math.IsInf(in.GPS.Uncertainty, 0)
	cell := in.Cell != nil && in.Cell.valid() && in.Cell.Radius >= 0 && !math.IsInf(in.Cell.Radius, 0)
	switch {
	case gps && (!cell || in.GPS.Uncertainty < in.Cell.Radius):
		p := in.GPS.GeoPoint
		return Location{Source: SourceGPS, Path: PathOperator, Point: &p, Radius: in.GPS.Uncertainty, Method: MethodGPS}
	case cell:
		p := in.Cell.GeoPoint
		return Location{Source: SourceCell, Path: PathOperator, Point: &p, Radius: in.Cell.Radius, Method: MethodCell, AddressID: in.Cell.ID}
	}
	return Location{Source: SourceNone, Path: PathOperator}
}

func addressLocation(src LocationSource, method string, a *EmergencyAddress) Location {
	civic := a.Civic
	l := Location{Source: src, Path: PathTeams, Civic: &civic, Method: method, AddressID: a.ID}
	if a.HasCoords {
		l.Point = &GeoPoint{Lat: a.Lat, Lon: a.Lon}
	}
	return l
}

// ipTrusted reports whether ip is within one of the trusted prefixes.
func ipTrusted(ip netip.Addr, prefixes []netip.Prefix) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	for _, p := range prefixes {
		if p.IsValid() && p.Contains(ip) {
			return true
		}
	}
	return false
}

// dynamicLookup matches the client's network identifiers against the LIS in
// Teams' order: wireless access point (BSSID), switch + port, switch
// (chassis), then subnet (longest prefix). Only from a trusted public IP.
func dynamicLookup(in LocationInput) (*EmergencyAddress, bool) {
	if !ipTrusted(in.PublicIP, in.TrustedIPs) || len(in.Dynamic) == 0 {
		return nil, false
	}
	n := in.Network
	if b := normBSSID(n.BSSID); b != "" {
		for i := range in.Dynamic {
			if normBSSID(in.Dynamic[i].BSSID) == b {
				return &in.Dynamic[i].Address, true
			}
		}
	}
	if n.Chassis != "" {
		for _, wantPort := range []bool{true, false} {
			for i := range in.Dynamic {
				d := &in.Dynamic[i]
				if d.Chassis == "" || !strings.EqualFold(d.Chassis, n.Chassis) {
					continue
				}
				if wantPort && d.Port != "" && n.Port != "" && strings.EqualFold(d.Port, n.Port) ||
					!wantPort && d.Port == "" {
					return &d.Address, true
				}
			}
		}
	}
	if n.LocalIP.IsValid() {
		ip := n.LocalIP.Unmap()
		best := -1
		for i := range in.Dynamic {
			p := in.Dynamic[i].Subnet
			if p.IsValid() && p.Contains(ip) && (best < 0 || p.Bits() > in.Dynamic[best].Subnet.Bits()) {
				best = i
			}
		}
		if best >= 0 {
			return &in.Dynamic[best].Address, true
		}
	}
	return nil, false
}

// normBSSID lower-cases a BSSID and drops ':' and '-' separators.
func normBSSID(s string) string {
	return strings.ToLower(strings.NewReplacer(":", "", "-", "").Replace(strings.TrimSpace(s)))
}
