package server

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/pidf"
	"ocmsim/internal/psap"
	"ocmsim/routing"
	"ocmsim/sip/proxy"
)

// emergency plans an emergency call placed by dev, reporting false when the
// Request-URI is not an emergency number or service of the caller's country.
// Licences, policies and suspensions are not checked (PRODUCT.md §3).
func (s *Server) emergency(req *sip.Request, dev routing.Device) (proxy.Plan, bool) {
	dialled := requestNumber(req)
	if _, _, ok := s.dir.EmergencyService(dev.ID, dialled); !ok {
		return proxy.Plan{}, false
	}
	call := routing.EmergencyCall{Device: dev.ID, Dialled: dialled, PublicIP: sourceAddr(req)}
	reportedNetwork(req, &call)
	sdp := req.Body()
	if ct := req.ContentType(); ct != nil && strings.HasPrefix(strings.ToLower(ct.Value()), "multipart/") {
		sdp = byValueLocation(ct.Value(), req.Body(), dev.Kind, &call)
	}
	dec, err := s.dir.Emergency(call)
	if err != nil {
		return refusal(500, "Emergency call not resolved", string(routing.ErrorCode(err))), true
	}
	loc := dec.Location
	p, match, ok := s.selectPSAP(dec)
	if !ok {
		s.m.Emergency.WithLabelValues(string(loc.Source), "none").Inc()
		plan := refusal(503, "No PSAP for "+dec.Country, "")
		plan.Refusal.Warning = "no PSAP serves " + dec.Country
		if dec.Country == "" {
			plan.Refusal.Reason = "No PSAP: the caller's country is unknown"
			plan.Refusal.Warning = "the calling user has no phone number and the location gives no country"
		}
		return plan, true
	}
	uri, dest, err := s.psapTarget(p)
	if err != nil {
		s.m.Emergency.WithLabelValues(string(loc.Source), p.ID).Inc()
		plan := refusal(503, "PSAP unreachable", "")
		plan.Refusal.Warning = err.Error()
		return plan, true
	}
	known := "known"
	if loc.Unknown() {
		known = "unknown"
	}
	diag := fmt.Sprintf("service=%s;dial=%s;source=%s;path=%s;psap=%s;match=%s;location=%s",
		dec.Service, dec.Dial, loc.Source, loc.Path, p.ID, match, known)
	br := proxy.Branch{Device: p.ID, Kind: "psap", URI: uri, Destination: dest, Headers: []sip.Header{
		sip.NewHeader("Priority", "emergency"),
		sip.NewHeader(routing.EmergencyHeader, diag),
	}}
	if doc, err := s.locationDocument(dec); err == nil {
		cid := "loc-" + strconv.FormatUint(s.cids.Add(1), 10) + "@" + s.dir.Domain()
		br.ContentType, br.Body = pidf.Multipart(sdp, doc, cid)
		br.Headers = append(br.Headers, sip.NewHeader("Geolocation", pidf.GeolocationHeader(cid)),
			sip.NewHeader("Geolocation-Routing", "no"))
	} else if !loc.Unknown() {
		s.log.Warn("emergency location not encoded", "device", dev.ID, "error", err)
	}
	s.m.Emergency.WithLabelValues(string(loc.Source), p.ID).Inc()
	s.log.Info("emergency call", "device", dev.ID, "service", dec.Service, "source", loc.Source,
		"path", loc.Path, "psap", p.ID, "match", match)
	return proxy.Plan{Branches: []proxy.Branch{br}, Labels: map[string]string{
		"policy": "emergency", "source": string(loc.Source), "psap": p.ID, "path": loc.Path, "user": dec.User,
	}}, true
}

// sourceAddr is the address the request came from (the client's public IP
// as the service sees it, unless the client reports another).
func sourceAddr(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// reportedNetwork reads the P-Access-Network-Info headers: the serving cell
// of a 3GPP access, the Wi-Fi BSSID, and ocmsim's Teams-client parameters.
// A header that does not parse is ignored: an emergency call is never
// refused for it.
func reportedNetwork(req *sip.Request, call *routing.EmergencyCall) {
	for _, h := range req.Headers() {
		if !strings.EqualFold(h.Name(), "P-Access-Network-Info") {
			continue
		}
		ai, err := routing.ParsePANI(h.Value())
		if err != nil {
			continue
		}
		if k := ai.CellKey(); k != "" {
			call.CellKey = k
		}
		if ai.BSSID != "" {
			call.Network.BSSID = ai.BSSID
		}
		if v, ok := ai.Param(routing.PANILocalIP); ok {
			if a, err := netip.ParseAddr(strings.Trim(v, `"`)); err == nil {
				call.Network.LocalIP = a
			}
		}
		if v, ok := ai.Param(routing.PANIPublicIP); ok {
			if a, err := netip.ParseAddr(strings.Trim(v, `"`)); err == nil {
				call.PublicIP = a
			}
		}
		if v, ok := ai.Param(routing.PANIChassis); ok {
			call.Network.Chassis = strings.Trim(v, `"`)
		}
		if v, ok := ai.Param(routing.PANIPort); ok {
			call.Network.Port = strings.Trim(v, `"`)
		}
	}
}

// byValueLocation reads a location the device sent by value (RFC 6442): a
// geodetic shape is a device GPS fix; a civic address from a Teams client
// is the address its user confirmed. It returns the SDP part (the whole
// body when it is not a multipart with a PIDF-LO).
func byValueLocation(contentType string, body []byte, kind routing.DeviceKind, call *routing.EmergencyCall) []byte {
	sdp, doc, _, err := pidf.SplitMultipart(contentType, body)
	if err != nil {
		return body
	}
	loc, err := pidf.Parse(doc)
	if err != nil {
		return sdp
	}
	if g := loc.Geo; g != nil && !kind.Teams() {
		call.GPS = &routing.GPSFix{GeoPoint: routing.GeoPoint{Lat: g.Lat, Lon: g.Lon}, Uncertainty: g.Radius}
	}
	if c := loc.Civic; c != nil && kind.Teams() {
		a := routing.EmergencyAddress{ID: "user-confirmed", Civic: c.Routing(), Validated: true}
		if g := loc.Geo; g != nil {
			a.Lat, a.Lon, a.HasCoords = g.Lat, g.Lon, true
		}
		call.UserConfirmed = &a
	}
	return sdp
}

// selectPSAP chooses the PSAP for a resolved call: by point, by civic
// address, else the country's fallback (always for an unknown location).
func (s *Server) selectPSAP(dec routing.EmergencyDecision) (psap.PSAP, psap.Match, bool) {
	if s.cfg.PSAPs == nil {
		return psap.PSAP{}, "", false
	}
	return s.cfg.PSAPs.Select(psap.QueryFor(dec))
}

// psapTarget is the Request-URI and the destination of a PSAP's branch:
// PSAPProxy when set (every PSAP URI is sent there), else the URI's host,
// which must then be an IP address: ocmsim never resolves names for calls.
func (s *Server) psapTarget(p psap.PSAP) (sip.Uri, string, error) {
	var u sip.Uri
	if err := sip.ParseUri(p.URI, &u); err != nil || u.Host == "" {
		return u, "", fmt.Errorf("PSAP %s: URI %q does not parse", p.ID, p.URI)
	}
	if s.cfg.PSAPProxy != "" {
		return u, s.cfg.PSAPProxy, nil
	}
	if _, err := netip.ParseAddr(strings.Trim(u.Host, "[]")); err != nil {
		return u, "", fmt.Errorf("PSAP %s: host %q is a name and no PSAP proxy is set", p.ID, u.Host)
	}
	return u, "", nil
}

// locationDocument is the PIDF-LO of the resolved location (RFC 4119,
// RFC 5139 civic, RFC 5491 Point or Circle); an error for an unknown location.
func (s *Server) locationDocument(dec routing.EmergencyDecision) ([]byte, error) {
	l := dec.Location
	entity := "sip:" + dec.Device.Username + "@" + s.dir.Domain()
	if dec.Callback != "" {
		entity = "sip:" + dec.Callback + "@" + s.dir.Domain() + ";user=phone"
	}
	doc := pidf.Location{Entity: entity, Method: l.Method, ProvidedBy: s.dir.Domain(), Timestamp: s.now()}
	if l.Civic != nil {
		doc.Civic = pidf.CivicFrom(*l.Civic)
	}
	if l.Point != nil {
		doc.Geo = &pidf.Geodetic{Shape: pidf.ShapePoint, Lat: l.Point.Lat, Lon: l.Point.Lon}
		if l.Radius > 0 {
			doc.Geo.Shape, doc.Geo.Radius = pidf.ShapeCircle, l.Radius
		}
	}
	return pidf.Build(doc)
}
