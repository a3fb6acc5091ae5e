package routing_test

import (
	"math"
	"net/netip"
	"testing"

	"ocmsim/routing"
)

func TestResolveLocation(t *testing.T) {
	addr := func(id string, coords bool) *routing.EmergencyAddress {
		return &routing.EmergencyAddress{ID: id, Civic: routing.Civic{Country: "US", A3: id},
			Lat: 47.6, Lon: -122.1, HasCoords: coords, Validated: true}
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	lis := []routing.DynamicLocation{
		{Subnet: netip.MustParsePrefix("10.0.0.0/8"), Address: *addr("lis-campus", true)},
		{Subnet: netip.MustParsePrefix("10.1.2.0/24"), Address: *addr("lis-floor2", true)},
		{BSSID: "AA-BB-CC-DD-EE-FF", Address: *addr("lis-ap", true)},
		{Chassis: "sw1", Address: *addr("lis-switch", true)},
		{Chassis: "sw1", Port: "ge-0/0/7", Address: *addr("lis-port", true)},
	}
	teams := func(ip string, n routing.NetworkIDs) routing.LocationInput {
		in := routing.LocationInput{Kind: routing.TeamsDesktop, TrustedIPs: trusted, Network: n, Dynamic: lis,
			Static: addr("static", true)}
		if ip != "" {
			in.PublicIP = netip.MustParseAddr(ip)
		}
		return in
	}
	local := func(ip string) routing.NetworkIDs { return routing.NetworkIDs{LocalIP: netip.MustParseAddr(ip)} }
	cell := &routing.CellSite{ID: "310260000a1b2c3d", GeoPoint: routing.GeoPoint{Lat: 47.61, Lon: -122.20}, Radius: 800}
	gps := func(u float64) *routing.GPSFix {
		return &routing.GPSFix{GeoPoint: routing.GeoPoint{Lat: 47.62, Lon: -122.21}, Uncertainty: u}
	}
	with := func(in routing.LocationInput, f func(*routing.LocationInput)) routing.LocationInput {
		f(&in)
		return in
	}

	tests := []struct {
		name   string
		in     routing.LocationInput
		source routing.LocationSource
		path   string
		method string
		id     string
		radius float64
	}{
		{name: "dynamic beats static (subnet, trusted IP)", in: teams("203.0.113.9", local("10.9.9.9")),
			source: routing.SourceDynamic, path: "teams", method: "DHCP", id: "lis-campus"},
		{name: "dynamic: longest subnet wins", in: teams("203.0.113.9", local("10.1.2.3")),
			source: routing.SourceDynamic, path: "teams", method: "DHCP", id: "lis-floor2"},
		{name: "dynamic: BSSID before subnet", in: teams("203.0.113.9", routing.NetworkIDs{
			LocalIP: netip.MustParseAddr("10.1.2.3"), BSSID: "aa:bb:cc:dd:ee:ff"}),
			source: routing.SourceDynamic, path: "teams", method: "DHCP", id: "lis-ap"},
		{name: "dynamic: switch+port before switch", in: teams("203.0.113.9", routing.NetworkIDs{Chassis: "SW1", Port: "ge-0/0/7"}),
			source: routing.SourceDynamic, path: "teams", method: "DHCP", id: "lis-port"},
		{name: "dynamic: switch when port unknown", in: teams("203.0.113.9", routing.NetworkIDs{Chassis: "sw1", Port: "ge-0/0/9"}),
			source: routing.SourceDynamic, path: "teams", method: "DHCP", id: "lis-switch"},
		{name: "dynamic: IPv6 trusted, IPv4-mapped local", in: teams("2001:db8::1", local("::ffff:10.1.2.3")),
			source: routing.SourceDynamic, path: "teams", method: "DHCP", id: "lis-floor2"},
		{name: "untrusted IP ignores dynamic", in: teams("198.51.100.7", local("10.1.2.3")),
			source: routing.SourceStatic, path: "teams", method: "Manual", id: "static"},
		{name: "no public IP ignores dynamic", in: teams("", local("10.1.2.3")),
			source: routing.SourceStatic, path: "teams", method: "Manual", id: "static"},
		{name: "trusted IP but no LIS match falls to static", in: teams("203.0.113.9", local("192.168.1.2")),
			source: routing.SourceStatic, path: "teams", method: "Manual", id: "static"},
		{name: "user-confirmed beats static", in: with(teams("198.51.100.7", routing.NetworkIDs{}), func(in *routing.LocationInput) {
			in.UserConfirmed = addr("home", false)
		}), source: routing.SourceUserConfirmed, path: "teams", method: "Manual", id: "home"},
		{name: "dynamic beats user-confirmed", in: with(teams("203.0.113.9", local("10.1.2.3")), func(in *routing.LocationInput) {
			in.UserConfirmed = addr("home", false)
		}), source: routing.SourceDynamic, path: "teams", method: "DHCP", id: "lis-floor2"},
		{name: "Teams endpoint ignores GPS and cell", in: with(teams("198.51.100.7", routing.NetworkIDs{}), func(in *routing.LocationInput) {
			in.Static, in.GPS, in.Cell, in.Kind = nil, gps(5), cell, routing.TeamsMobile
		}), source: routing.SourceNone, path: "teams"},
		{name: "Teams nothing → None", in: routing.LocationInput{Kind: routing.TeamsWeb},
			source: routing.SourceNone, path: "teams"},
		{name: "GPS beats cell when more precise", in: routing.LocationInput{Kind: routing.NativeDialer, GPS: gps(30), Cell: cell},
			source: routing.SourceGPS, path: "operator", method: "GPS", radius: 30},
		{name: "cell when GPS worse", in: routing.LocationInput{Kind: routing.NativeDialer, GPS: gps(1500), Cell: cell},
			source: routing.SourceCell, path: "operator", method: "Cell", id: "310260000a1b2c3d", radius: 800},
		{name: "cell when GPS equal", in: routing.LocationInput{Kind: routing.NativeDialer, GPS: gps(800), Cell: cell},
			source: routing.SourceCell, path: "operator", method: "Cell", id: "310260000a1b2c3d", radius: 800},
		{name: "cell when GPS invalid", in: routing.LocationInput{Kind: routing.NativeDialer, GPS: &routing.GPSFix{
			GeoPoint: routing.GeoPoint{Lat: math.NaN()}, Uncertainty: 1}, Cell: cell},
			source: routing.SourceCell, path: "operator", method: "Cell", id: "310260000a1b2c3d", radius: 800},
		{name: "GPS alone", in: routing.LocationInput{Kind: routing.NativeDialer, GPS: gps(5000)},
			source: routing.SourceGPS, path: "operator", method: "GPS", radius: 5000},
		{name: "cell alone", in: routing.LocationInput{Kind: routing.NativeDialer, Cell: cell},
			source: routing.SourceCell, path: "operator", method: "Cell", id: "310260000a1b2c3d", radius: 800},
		{name: "native never uses the Teams path", in: with(teams("203.0.113.9", local("10.1.2.3")), func(in *routing.LocationInput) {
			in.Kind, in.UserConfirmed = routing.NativeDialer, addr("home", true)
		}), source: routing.SourceNone, path: "operator"},
		{name: "native nothing → None", in: routing.LocationInput{Kind: routing.NativeDialer},
			source: routing.SourceNone, path: "operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := routing.ResolveLocation(tt.in)
			if l.Source != tt.source || l.Path != tt.path || l.Method != tt.method || l.AddressID != tt.id || l.Radius != tt.radius {
				t.Fatalf("ResolveLocation = %+v; want source %s path %s method %q id %q radius %v",
					l, tt.source, tt.path, tt.method, tt.id, tt.radius)
			}
			if l.Unknown() != (tt.source == routing.SourceNone) {
				t.Errorf("Unknown() = %v", l.Unknown())
			}
			switch l.Source {
			case routing.SourceNone:
				if l.Civic != nil || l.Point != nil {
					t.Errorf("None carries a location: %+v", l)
				}
			case routing.SourceGPS, routing.SourceCell:
				if l.Civic != nil || l.Point == nil {
					t.Errorf("%s: want a point and no civic: %+v", l.Source, l)
				}
			default:
				if l.Civic == nil || l.Civic.A3 != tt.id {
					t.Errorf("civic = %+v, want the address %s", l.Civic, tt.id)
				}
			}
		})
	}
}

func TestResolveLocationPoint(t *testing.T) {
	st := &routing.EmergencyAddress{ID: "hq", Lat: 47.6423, Lon: -122.1391, HasCoords: true}
	l := routing.ResolveLocation(routing.LocationInput{Kind: routing.TeamsDesktop, Static: st})
	if l.Point == nil || *l.Point != (routing.GeoPoint{Lat: 47.6423, Lon: -122.1391}) || l.Radius != 0 {
		t.Fatalf("static point = %+v", l)
	}
	l.Civic.A3 = "changed" // the result must not alias the input address
	if st.Civic.A3 != "" {
		t.Fatal("Location.Civic aliases the input address")
	}
	cell := &routing.CellSite{ID: "c", GeoPoint: routing.GeoPoint{Lat: 47.61, Lon: -122.2}, Radius: 800}
	l = routing.ResolveLocation(routing.LocationInput{Kind: routing.NativeDialer, Cell: cell})
	if l.Point == nil || *l.Point != cell.GeoPoint {
		t.Fatalf("cell point = %+v", l)
	}
}
