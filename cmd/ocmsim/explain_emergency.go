package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"ocmsim/internal/explain"
	"ocmsim/internal/psap"
	"ocmsim/routing"
	"ocmsim/scenarios"
)

// emergencyFlags are explain's flags for an emergency call: what is dialled,
// by which device, and what the device reports (overriding its scenario
// whereabouts).
type emergencyFlags struct {
	dial, device, cell, gps, subnet, bssid, publicIP, confirmed string
}

func (e *emergencyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.dial, "emergency", "", "explain an emergency call to this dial string (911, 112, urn:service:sos) instead of a number")
	fs.StringVar(&e.device, "device", "", "with --emergency: the calling device")
	fs.StringVar(&e.cell, "cell", "", "with --emergency: the serving cell the device reports")
	fs.StringVar(&e.gps, "gps", "", "with --emergency: the device's GPS fix LAT,LON[,METRES]")
	fs.StringVar(&e.subnet, "subnet", "", "with --emergency: the device's address on its subnet, e.g. 10.10.2.33/24")
	fs.StringVar(&e.bssid, "bssid", "", "with --emergency: the Wi-Fi access point the device reports")
	fs.StringVar(&e.publicIP, "public-ip", "", "with --emergency: the device's public address (default 127.0.0.1)")
	fs.StringVar(&e.confirmed, "confirmed", "", "with --emergency: the emergency address id the user confirmed")
}

// where is the device's scenario whereabouts with the flags applied.
func (e emergencyFlags) where(f *scenarios.File) (scenarios.Whereabouts, error) {
	w := f.Devices.For(e.device).Where
	if dev, ok := f.Directory.Device(e.device); ok && w.Cell == "" {
		w.Cell = dev.Cell
	}
	o := scenarios.Whereabouts{Cell: e.cell, BSSID: e.bssid, ConfirmedAddress: e.confirmed}
	if e.gps != "" {
		parts := strings.Split(e.gps, ",")
		var v [3]float64
		for i, p := range parts {
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || i > 2 {
				return w, fmt.Errorf("--gps %q: want LAT,LON[,METRES]", e.gps)
			}
			v[i] = x
		}
		if len(parts) < 2 {
			return w, fmt.Errorf("--gps %q: want LAT,LON[,METRES]", e.gps)
		}
		o.GPS = &scenarios.GPS{Lat: v[0], Lon: v[1], Accuracy: v[2]}
	}
	if e.subnet != "" {
		p, err := netip.ParsePrefix(e.subnet)
		if err != nil {
			return w, fmt.Errorf("--subnet %q: want an address with its prefix like 10.10.2.33/24", e.subnet)
		}
		o.Subnet = p
	}
	if e.publicIP != "" {
		a, err := netip.ParseAddr(e.publicIP)
		if err != nil {
			return w, fmt.Errorf("--public-ip %q: not an IP address", e.publicIP)
		}
		o.PublicIP = a
	}
	if e.confirmed != "" {
		if _, ok := f.Directory.Address(e.confirmed); !ok {
			return w, fmt.Errorf("--confirmed: unknown emergency address %q", e.confirmed)
		}
	}
	return w.Merge(o), nil
}

// explainEmergency prints the location decision and the PSAP of an
// emergency call, as the proxy would make them.
func explainEmergency(e emergencyFlags, file string, asJSON bool, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "ocmsim explain:", err)
		return exitBadArgs
	}
	if e.device == "" {
		return fail(fmt.Errorf("--emergency needs --device"))
	}
	f, err := loadTenant(file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadArgs
	}
	dir := f.Directory
	w, err := e.where(f)
	if err != nil {
		return fail(err)
	}
	call := w.EmergencyCall(e.device, e.dial, dir)
	dec, err := dir.Emergency(call)
	if err != nil {
		return fail(err)
	}
	psaps, err := f.Tenant.PSAPDirectory()
	if err != nil {
		return fail(err)
	}
	p, m, ok := psaps.Select(psap.QueryFor(dec))
	var static *routing.EmergencyAddress
	if n, found := dir.Number(dec.Callback); found && n.EmergencyAddress != "" {
		if a, found := dir.Address(n.EmergencyAddress); found {
			static = &a
		}
	}
	return printView(stdout, asJSON, explain.NewEmergencyView(call, dec, dir.TrustedIPs(), static, p, m, ok), explain.EmergencyText)
}
