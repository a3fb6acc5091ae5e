package scenarios

import (
	"net/netip"

	"ocmsim/routing"
)

// Whereabouts is what a simulated device reports about where it is when it
// places an emergency call: the serving cell and GPS fix of a native
// dialer; the local subnet address, Wi-Fi access point, switch and public
// address of a Teams client, and the address its user confirmed.
type Whereabouts struct {
	Cell    string // serving cell id (one of the tenant's cells:)
	GPS     *GPS
	Subnet  netip.Prefix // the device's local address with its prefix length: 10.1.2.33/24
	BSSID   string       // Wi-Fi access point
	Chassis string       // LLDP switch chassis id
	Port    string       // LLDP switch port
	// PublicIP is the address the Teams service sees; unset: the address
	// its SIP packets come from.
	PublicIP netip.Addr
	// ConfirmedAddress is the tenant emergency address the user confirmed
	// for the current network (sent by value with the call).
	ConfirmedAddress string
}

// LocalIP is the device's address on its subnet: the address given with
// the prefix, or the subnet's first host when only the network was given.
func (w Whereabouts) LocalIP() netip.Addr {
	if !w.Subnet.IsValid() {
		return netip.Addr{}
	}
	if a := w.Subnet.Addr(); a != w.Subnet.Masked().Addr() {
		return a
	}
	return w.Subnet.Masked().Addr().Next()
}

// Merge returns w with every field set in o applied (a network step's
// fields on a device's).
func (w Whereabouts) Merge(o Whereabouts) Whereabouts {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&w.Cell, o.Cell)
	set(&w.BSSID, o.BSSID)
	set(&w.Chassis, o.Chassis)
	set(&w.Port, o.Port)
	set(&w.ConfirmedAddress, o.ConfirmedAddress)
	if o.GPS != nil {
		w.GPS = o.GPS
	}
	if o.Subnet.IsValid() {
		w.Subnet = o.Subnet
	}
	if o.PublicIP.IsValid() {
		w.PublicIP = o.PublicIP
	}
	return w
}

// parseWhere reads the whereabouts keys of a device behaviour or a network
// step: cell, gps, subnet, bssid, chassis, port, publicIP, confirmedAddress.
func (d *decoder) parseWhere(f *fields, ix *index) Whereabouts {
	var w Whereabouts
	w.Cell = f.str("cell")
	if ix != nil && w.Cell != "" && !ix.cells[w.Cell] {
		d.codef(f.v("cell"), routing.CodeNotFound, "cell: unknown cell %q (not under tenant cells:)", w.Cell)
	}
	if f.has("gps") {
		if gf, ok := d.fields(f.v("gps"), "gps", gpsKeys); ok && gf.require("gps", "lat", "lon") {
			g := &GPS{}
			g.Lat, _ = gf.float("lat")
			g.Lon, _ = gf.float("lon")
			g.Accuracy, _ = gf.float("accuracy")
			switch {
			case !validLatLon(g.Lat, g.Lon):
				d.codef(gf.node, routing.CodeInvalid, "gps: coordinates %v,%v are out of range", g.Lat, g.Lon)
			case g.Accuracy < 0:
				d.codef(gf.v("accuracy"), routing.CodeInvalid, "gps: accuracy must be a positive number of metres")
			}
			w.GPS = g
		}
	}
	if s := f.str("subnet"); s != "" {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			d.codef(f.v("subnet"), routing.CodeInvalid, "subnet: %q is not an address with its prefix like 10.1.2.33/24", s)
		} else {
			w.Subnet = p
		}
	}
	if s := f.str("publicIP"); s != "" {
		a, err := netip.ParseAddr(s)
		if err != nil {
			d.codef(f.v("publicIP"), routing.CodeInvalid, "publicIP: %q is not an IP address", s)
		}
		w.PublicIP = a
	}
	w.BSSID, w.Chassis, w.Port = f.str("bssid"), f.str("chassis"), f.str("port")
	if w.Port != "" && w.Chassis == "" {
		d.codef(f.v("port"), routing.CodeInvalid, "port: a switch port needs its chassis")
	}
	w.ConfirmedAddress = f.str("confirmedAddress")
	if ix != nil && w.ConfirmedAddress != "" && !ix.addresses[w.ConfirmedAddress] {
		d.codef(f.v("confirmedAddress"), routing.CodeNotFound, "confirmedAddress: unknown emergency address %q%s",
			w.ConfirmedAddress, didYouMean(w.ConfirmedAddress, ix.addressIDs))
	}
	return w
}

// EmergencyCall is what the proxy learns from device's emergency call to
// dial when the device reports w: the public address defaults to 127.0.0.1
// (where simulated devices send from); the confirmed address is looked up
// in dir.
func (w Whereabouts) EmergencyCall(device, dial string, dir *routing.Directory) routing.EmergencyCall {
	c := routing.EmergencyCall{Device: device, Dialled: dial, PublicIP: w.PublicIP, CellKey: w.Cell,
		Network: routing.NetworkIDs{LocalIP: w.LocalIP(), BSSID: w.BSSID, Chassis: w.Chassis, Port: w.Port}}
	if !c.PublicIP.IsValid() {
		c.PublicIP = netip.MustParseAddr("127.0.0.1")
	}
	if g := w.GPS; g != nil {
		c.GPS = &routing.GPSFix{GeoPoint: routing.GeoPoint{Lat: g.Lat, Lon: g.Lon}, Uncertainty: g.Accuracy}
	}
	if a, ok := dir.Address(w.ConfirmedAddress); ok && w.ConfirmedAddress != "" {
		c.UserConfirmed = &a
	}
	return c
}
