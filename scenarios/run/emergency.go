package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"ocmsim/devices"
	"ocmsim/internal/pidf"
	"ocmsim/scenarios"
)

// startPSAPs starts the simulated PSAPs of the tenant (devices.NewPSAPs);
// the in-process proxy sends every PSAP call there.
func (e *env) startPSAPs(t *scenarios.Tenant, log *slog.Logger) (err error) {
	if e.psapDir, err = t.PSAPDirectory(); err != nil {
		return fmt.Errorf("psaps: %w", err)
	}
	e.psaps, err = devices.NewPSAPs(e.psapDir.PSAPs(), log)
	return err
}

// psapAddr is where the in-process proxy sends PSAP calls; "" without PSAPs.
func (e *env) psapAddr() string {
	if e.psaps == nil {
		return ""
	}
	return e.psaps.Addr()
}

// fleetOf is the fleet a device or service lives in.
func (e *env) fleetOf(id string) *devices.Fleet {
	for _, f := range e.services() {
		if slices.Contains(f.IDs(), id) {
			return f
		}
	}
	return e.fleet
}

// emergency has a device dial an emergency number, reporting where it is
// as the device would (P-Access-Network-Info, a PIDF-LO by value).
func (r *runner) emergency(ctx context.Context, st *scenarios.Step, a *scenarios.EmergencyStep) error {
	if !r.env.simulated[a.From] {
		return fmt.Errorf("emergency calls from %s: it is not simulated (realSoftphone, or not in the tenant): %w", a.From, errUnsupported)
	}
	where, err := r.deviceWhere(a.From)
	if err != nil {
		return err
	}
	cs := &callState{id: a.ID, rings: map[string]string{},
		rep: &CallReport{ID: a.ID, From: a.From, To: a.Dial, Step: st.Index + 1, Line: st.Line, Policy: "emergency"}}
	c, err := r.env.fleet.Dial(ctx, devices.CallRequest{Device: a.From, To: a.Dial, Media: r.wantsMedia(), Where: where})
	if err != nil {
		return err
	}
	cs.c = c
	r.calls[a.ID], r.last = cs, cs
	r.order = append(r.order, cs)
	// A PSAP answers at once: the step ends with the call's final response,
	// so that a scenario ending here does not cancel it.
	_, err = r.waitCall(ctx, cs, 0, devices.CallerIs(devices.Final), "the emergency call's final response")
	return err
}

// deviceWhere is what a device reports on an emergency call.
func (r *runner) deviceWhere(id string) (*devices.Where, error) {
	w := r.env.where[id]
	out := &devices.Where{Cell: w.Cell, LocalIP: w.LocalIP(), BSSID: w.BSSID, Chassis: w.Chassis, Port: w.Port, PublicIP: w.PublicIP}
	if g := w.GPS; g != nil {
		out.GPS = &devices.GPSFix{Lat: g.Lat, Lon: g.Lon, Accuracy: g.Accuracy}
	}
	if w.ConfirmedAddress != "" {
		a, ok := r.env.dir.Address(w.ConfirmedAddress)
		if !ok {
			return nil, fmt.Errorf("confirmedAddress of %s: no emergency address %q", id, w.ConfirmedAddress)
		}
		out.Confirmed = &pidf.Location{Civic: pidf.CivicFrom(a.Civic)}
		if a.HasCoords {
			out.Confirmed.Geo = &pidf.Geodetic{Shape: pidf.ShapePoint, Lat: a.Lat, Lon: a.Lon}
		}
	}
	return out, nil
}

// psapReceived waits for the INVITE of the call at a PSAP.
func (r *runner) psapReceived(ctx context.Context, cs *callState) (devices.Event, error) {
	if r.env.psaps == nil {
		return devices.Event{}, errors.New("no simulated PSAP (the tenant has no psaps:, or the proxy is external)")
	}
	wctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	ev, err := r.env.psaps.Wait(wctx, func(e devices.Event) bool {
		return e.Type == devices.InviteReceived && e.CallID == cs.c.ID
	})
	if err != nil {
		return ev, fmt.Errorf("no PSAP got the call within %v (caller: %s)", r.opts.Timeout, r.callerState(cs))
	}
	return ev, nil
}

// checkEmergency checks psap, callback, path and location against what
// the PSAP received.
func (r *runner) checkEmergency(ctx context.Context, st *scenarios.Step, cs *callState) {
	e := st.Expect
	ev, err := r.psapReceived(ctx, cs)
	if err != nil {
		for _, name := range []string{"psap", "callback", "path", "location"} {
			r.check(st, name, false, "the call reaches a PSAP", err.Error())
		}
		return
	}
	em := ev.Emergency
	if e.PSAP != "" {
		r.check(st, "psap", ev.Device == e.PSAP, e.PSAP, ev.Device+" ("+em.Match+" match)")
	}
	if e.Callback != "" {
		r.check(st, "callback", em.Callback == e.Callback, e.Callback+" in P-Asserted-Identity", orNone(em.Callback))
	}
	if e.Path != "" {
		r.check(st, "path", em.Path == e.Path, e.Path, orNone(em.Path))
	}
	if l := e.Location; l != nil {
		ok, want, got := locationMatches(l, em)
		r.check(st, "location", ok, want, got)
	}
}

// locationMatches compares the expected location with the PIDF-LO the
// PSAP received.
func locationMatches(l *scenarios.LocationExpect, em *devices.Emergency) (ok bool, want, got string) {
	got = describeLocation(em)
	var wants []string
	ok = true
	loc := em.Location
	if l.Method != "" {
		wants = append(wants, "method "+l.Method)
		have := "Unknown"
		if loc != nil {
			have = loc.Method
		}
		ok = ok && strings.EqualFold(have, l.Method)
	}
	if l.Near != nil {
		radius := l.Radius
		if radius <= 0 {
			radius = DefaultNearRadius
		}
		wants = append(wants, fmt.Sprintf("within %.0f m of %.5f,%.5f", radius, l.Near.Lat, l.Near.Lon))
		if loc == nil || loc.Geo == nil {
			ok = false
		} else if d := distance(loc.Geo.Lat, loc.Geo.Lon, l.Near.Lat, l.Near.Lon); d > radius {
			ok = false
			got += fmt.Sprintf(" — %.0f m away", d)
		}
	}
	if c := l.Civic; c != nil {
		fields := [][3]string{{"country", c.Country, ""}, {"A1", c.A1, ""}, {"A2", c.A2, ""}, {"A3", c.A3, ""},
			{"RD", c.RD, ""}, {"HNO", c.HNO, ""}, {"PC", c.PC, ""}, {"NAM", c.NAM, ""}}
		if loc != nil && loc.Civic != nil {
			rc := loc.Civic.Routing()
			for i, v := range []string{rc.Country, rc.A1, rc.A2, rc.A3, rc.RD, rc.HNO, rc.PC, rc.NAM} {
				fields[i][2] = v
			}
		}
		for _, f := range fields {
			if f[1] == "" {
				continue
			}
			wants = append(wants, f[0]+" "+f[1])
			ok = ok && strings.EqualFold(strings.TrimSpace(f[1]), strings.TrimSpace(f[2]))
		}
	}
	return ok, strings.Join(wants, ", "), got
}

// DefaultNearRadius is how far from `near:` a location may be when the
// expectation gives no radius, in metres.
const DefaultNearRadius = 100

// describeLocation is one line about the location a PSAP received.
func describeLocation(em *devices.Emergency) string {
	loc := em.Location
	if loc == nil {
		s := "no location (source " + orNone(em.Source) + ")"
		if em.LocationErr != nil {
			s += ": " + em.LocationErr.Error()
		}
		return s
	}
	var parts []string
	if loc.Civic != nil {
		parts = append(parts, "civic "+loc.Civic.Routing().Summary())
	}
	if g := loc.Geo; g != nil {
		p := fmt.Sprintf("%s %.5f,%.5f", g.Shape, g.Lat, g.Lon)
		if g.Shape == pidf.ShapeCircle {
			p += fmt.Sprintf(" r=%.0f m", g.Radius)
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("method %s, %s (source %s)", loc.Method, strings.Join(parts, "; "), em.Source)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// distance is the great-circle distance in metres (haversine, mean Earth radius).
func distance(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// emergencyReport is what the PSAP received for the call; nil when no PSAP
// got it.
func (r *runner) emergencyReport(cs *callState) *EmergencyReport {
	if r.env.psaps == nil {
		return nil
	}
	evs := r.env.psaps.Events(func(e devices.Event) bool { return e.Type == devices.InviteReceived && e.CallID == cs.c.ID })
	if len(evs) == 0 || evs[0].Emergency == nil {
		return nil
	}
	em := evs[0].Emergency
	rep := &EmergencyReport{PSAP: evs[0].Device, Match: em.Match, Service: em.Service, Source: em.Source, Path: em.Path,
		Callback: em.Callback, Location: describeLocation(em)}
	if em.Test() {
		rep.Echo = em.Echo()
	}
	return rep
}
