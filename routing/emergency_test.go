package routing_test

import (
	"net/netip"
	"testing"

	"ocmsim/routing"
)

const (
	cellRedmond = "310260000a1b2c3d" // MCC 310, MNC 26, TAC 0, ECI a1b2c3d
	bssidFloor2 = "00:11:22:33:44:55"
)

// emergencyTenant is the fixture tenant plus a cell, a trusted range, LIS
// entries and a geocoded address.
func emergencyTenant(t *testing.T) *routing.Directory {
	t.Helper()
	d, _ := newTenant(t)
	must(t, d.AddEmergencyAddress(routing.EmergencyAddress{ID: "bldg2", Validated: true, HasCoords: true, Lat: 47.64, Lon: -122.13,
		Civic: routing.Civic{Country: "US", A1: "WA", A3: "Redmond", RD: "NE 36th St", HNO: "2"}}))
	must(t, d.AddEmergencyAddress(routing.EmergencyAddress{ID: "floor2", Validated: true, HasCoords: true, Lat: 47.65, Lon: -122.14,
		Civic: routing.Civic{Country: "US", A1: "WA", A3: "Redmond", NAM: "Floor 2"}}))
	must(t, d.AddCell(routing.CellSite{ID: "310260000A1B2C3D", GeoPoint: routing.GeoPoint{Lat: 47.61, Lon: -122.20}, Radius: 800}))
	must(t, d.AddTrustedIP(netip.MustParsePrefix("203.0.113.0/24")))
	must(t, d.AddLocation(routing.LISEntry{Subnet: netip.MustParsePrefix("10.1.2.0/24"), Address: "bldg2"}))
	must(t, d.AddLocation(routing.LISEntry{BSSID: bssidFloor2, Address: "floor2"}))
	return d
}

func TestEmergency(t *testing.T) {
	trusted, untrusted := netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("198.51.100.7")
	confirmed := &routing.EmergencyAddress{ID: "home", Civic: routing.Civic{Country: "US", A3: "Kirkland"}}
	cases := []struct {
		name   string
		setup  func(*routing.Directory)
		call   routing.EmergencyCall
		source routing.LocationSource
		path   string
		addr   string // Location.AddressID
		svc    string
	}{
		{"native dialer by its serving cell", nil,
			routing.EmergencyCall{Device: "alice-native", Dialled: "911", CellKey: cellRedmond},
			routing.SourceCell, routing.PathOperator, cellRedmond, routing.ServiceSOS},
		{"native dialer: a GPS fix better than the cell wins", nil,
			routing.EmergencyCall{Device: "alice-native", Dialled: "911", CellKey: cellRedmond,
				GPS: &routing.GPSFix{GeoPoint: routing.GeoPoint{Lat: 47.6, Lon: -122.3}, Uncertainty: 15}},
			routing.SourceGPS, routing.PathOperator, "", routing.ServiceSOS},
		{"native dialer never uses the Teams sources", nil,
			routing.EmergencyCall{Device: "alice-native", Dialled: "911", PublicIP: trusted,
				Network: routing.NetworkIDs{LocalIP: netip.MustParseAddr("10.1.2.3")}},
			routing.SourceNone, routing.PathOperator, "", routing.ServiceSOS},
		{"native dialer on an unknown cell: location unknown", nil,
			routing.EmergencyCall{Device: "alice-native", Dialled: "911", CellKey: "3102600001234567"},
			routing.SourceNone, routing.PathOperator, "", routing.ServiceSOS},
		{"Teams: the number's static address", nil,
			routing.EmergencyCall{Device: "alice-desktop", Dialled: "911"},
			routing.SourceStatic, routing.PathTeams, "hq", routing.ServiceSOS},
		{"Teams: a dynamic subnet from a trusted IP beats the static address", nil,
			routing.EmergencyCall{Device: "alice-desktop", Dialled: "911", PublicIP: trusted,
				Network: routing.NetworkIDs{LocalIP: netip.MustParseAddr("10.1.2.33")}},
			routing.SourceDynamic, routing.PathTeams, "bldg2", routing.ServiceSOS},
		{"Teams: the BSSID beats the subnet", nil,
			routing.EmergencyCall{Device: "alice-teams", Dialled: "911", PublicIP: trusted,
				Network: routing.NetworkIDs{LocalIP: netip.MustParseAddr("10.1.2.33"), BSSID: "00-11-22-33-44-55"}},
			routing.SourceDynamic, routing.PathTeams, "floor2", routing.ServiceSOS},
		{"Teams: an untrusted IP ignores the dynamic match", nil,
			routing.EmergencyCall{Device: "alice-desktop", Dialled: "911", PublicIP: untrusted,
				Network: routing.NetworkIDs{LocalIP: netip.MustParseAddr("10.1.2.33")}},
			routing.SourceStatic, routing.PathTeams, "hq", routing.ServiceSOS},
		{"Teams: a user-confirmed address beats the static one", nil,
			routing.EmergencyCall{Device: "alice-desktop", Dialled: "911", UserConfirmed: confirmed},
			routing.SourceUserConfirmed, routing.PathTeams, "home", routing.ServiceSOS},
		{"Teams: a user without an address: location unknown", nil,
			routing.EmergencyCall{Device: "bob-teams", Dialled: "911"},
			routing.SourceNone, routing.PathTeams, "", routing.ServiceSOS},
		{"933 is the US test service", nil,
			routing.EmergencyCall{Device: "alice-desktop", Dialled: "sip:933@contoso.com;user=phone"},
			routing.SourceStatic, routing.PathTeams, "hq", routing.ServiceTestSOS},
		{"urn:service:sos.police as Request-URI", nil,
			routing.EmergencyCall{Device: "alice-desktop", Dialled: "urn:service:sos.police"},
			routing.SourceStatic, routing.PathTeams, "hq", routing.ServicePolice},
		{"no licences, suspended operator: still routed", func(d *routing.Directory) {
			must(t, d.SuspendOperator(opFabrikam, "US"))
			must(t, d.SetLicenses("alice", nil))
		}, routing.EmergencyCall{Device: "alice-native", Dialled: "911", CellKey: cellRedmond},
			routing.SourceCell, routing.PathOperator, cellRedmond, routing.ServiceSOS},
		{"a tenant override of the US dial strings", func(d *routing.Directory) {
			must(t, d.SetEmergencyNumbers("US", map[string]string{"911": routing.ServiceSOS, "922": routing.ServiceFire}))
		}, routing.EmergencyCall{Device: "alice-desktop", Dialled: "922"},
			routing.SourceStatic, routing.PathTeams, "hq", routing.ServiceFire},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := emergencyTenant(t)
			if tc.setup != nil {
				tc.setup(d)
			}
			dec, err := d.Emergency(tc.call)
			must(t, err)
			l := dec.Location
			if l.Source != tc.source || l.Path != tc.path || l.AddressID != tc.addr || dec.Service != tc.svc {
				t.Fatalf("got source %s path %s address %q service %s, want %s %s %q %s",
					l.Source, l.Path, l.AddressID, dec.Service, tc.source, tc.path, tc.addr, tc.svc)
			}
			if dec.Callback != numAlice && dec.User == "alice" {
				t.Errorf("callback = %q, want %s", dec.Callback, numAlice)
			}
			if dec.Country != "US" {
				t.Errorf("country = %q, want US", dec.Country)
			}
		})
	}
}

func TestEmergencyRefusals(t *testing.T) {
	d := emergencyTenant(t)
	_, err := d.Emergency(routing.EmergencyCall{Device: "nobody", Dialled: "911"})
	wantErr(t, err, routing.CodeNotFound, "nobody")
	_, err = d.Emergency(routing.EmergencyCall{Device: "alice-native", Dialled: "+14255550101"})
	wantErr(t, err, routing.CodeInvalid, "+14255550101")
	_, err = d.Emergency(routing.EmergencyCall{Device: "alice-native", Dialled: "999"}) // GB's, not US
	wantErr(t, err, routing.CodeInvalid, "999")
}

func TestEmergencyConfigRules(t *testing.T) {
	d := emergencyTenant(t)
	cases := []struct {
		name string
		act  func() error
		code routing.Code
		want string
	}{
		{"cell id of no 3GPP form", func() error {
			return d.AddCell(routing.CellSite{ID: "12345", GeoPoint: routing.GeoPoint{Lat: 1, Lon: 1}, Radius: 100})
		}, routing.CodeInvalid, "12345"},
		{"cell without radius", func() error {
			return d.AddCell(routing.CellSite{ID: "3102600001234567", GeoPoint: routing.GeoPoint{Lat: 1, Lon: 1}})
		}, routing.CodeInvalid, "radius"},
		{"cell twice", func() error {
			return d.AddCell(routing.CellSite{ID: cellRedmond, GeoPoint: routing.GeoPoint{Lat: 1, Lon: 1}, Radius: 10})
		}, routing.CodeExists, cellRedmond},
		{"LIS entry on an unknown address", func() error {
			return d.AddLocation(routing.LISEntry{BSSID: "aa:bb", Address: "mars"})
		}, routing.CodeNotFound, "mars"},
		{"LIS entry on an address not validated", func() error {
			return d.AddLocation(routing.LISEntry{BSSID: "aa:bb", Address: "draft"})
		}, routing.CodeAddressNotValidated, "draft"},
		{"LIS entry on an address without coordinates", func() error {
			return d.AddLocation(routing.LISEntry{BSSID: "aa:bb", Address: "hq"})
		}, routing.CodeInvalid, "coordinates"},
		{"LIS entry with two identifiers", func() error {
			return d.AddLocation(routing.LISEntry{BSSID: "aa:bb", Chassis: "sw1", Address: "bldg2"})
		}, routing.CodeInvalid, "exactly one"},
		{"a port without its switch", func() error {
			return d.AddLocation(routing.LISEntry{Subnet: netip.MustParsePrefix("10.9.0.0/16"), Port: "g1/0/1", Address: "bldg2"})
		}, routing.CodeInvalid, "chassis"},
		{"dial string with letters", func() error {
			return d.SetEmergencyNumbers("US", map[string]string{"9a1": routing.ServiceSOS})
		}, routing.CodeInvalid, "9a1"},
		{"dial string to a non-emergency URN", func() error {
			return d.SetEmergencyNumbers("US", map[string]string{"911": "urn:service:pizza"})
		}, routing.CodeInvalid, "pizza"},
		{"emergency numbers of a bad country", func() error {
			return d.SetEmergencyNumbers("usa", map[string]string{"911": routing.ServiceSOS})
		}, routing.CodeInvalid, "usa"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, unchanged(t, d, tc.act), tc.code, tc.want)
		})
	}
	if _, ok := d.Cell("310260000A1B2C3D"); !ok {
		t.Error("Cell does not find the cell by an upper-case key")
	}
}
