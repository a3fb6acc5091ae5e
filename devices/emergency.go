package devices

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/pidf"
	"ocmsim/routing"
)

// Where is what a device reports about where it is when it places an
// emergency call. A native dialer sends its serving cell in
// P-Access-Network-Info and its GPS fix by value (a PIDF-LO Circle, RFC
// 6442); a Teams client sends its network identifiers (Wi-Fi BSSID, local
// address, switch, public address as the service sees it) and, by value,
// the address its user confirmed.
type Where struct {
	Cell     string     // utran-cell-id-3gpp value: MCC+MNC+TAC+ECI
	GPS      *GPSFix    // device-measured position
	LocalIP  netip.Addr // address on the local subnet
	BSSID    string     // Wi-Fi access point
	Chassis  string     // LLDP switch chassis id
	Port     string     // LLDP switch port
	PublicIP netip.Addr // as the Teams service sees it; unset: the packets' source
	// Confirmed is the address the user confirmed (civic, with its
	// coordinates when known); its Entity and Method are set on sending.
	Confirmed *pidf.Location
}

// GPSFix is a position with its horizontal uncertainty in metres.
type GPSFix struct {
	Lat, Lon, Accuracy float64
}

// report returns the P-Access-Network-Info header (nil when there is
// nothing to report) and the PIDF-LO to send by value (nil for none).
func (w *Where) report(kind Kind, entity string) (sip.Header, []byte, error) {
	if w == nil {
		return nil, nil, nil
	}
	var pani []string
	var loc *pidf.Location
	if kind == NativeDialer {
		if w.Cell != "" {
			pani = append(pani, "3GPP-E-UTRAN-FDD", "utran-cell-id-3gpp="+w.Cell)
		}
		if g := w.GPS; g != nil {
			loc = &pidf.Location{Entity: entity, Method: pidf.MethodGPS,
				Geo: &pidf.Geodetic{Shape: pidf.ShapeCircle, Lat: g.Lat, Lon: g.Lon, Radius: g.Accuracy}}
			if g.Accuracy <= 0 {
				loc.Geo.Shape, loc.Geo.Radius = pidf.ShapePoint, 0
			}
		}
	} else {
		access := "IEEE-802.3"
		if w.BSSID != "" {
			access = "IEEE-802.11"
		}
		params := []string{}
		if w.BSSID != "" {
			params = append(params, routing.PANIWLANNode+"="+strings.NewReplacer(":", "", "-", "").Replace(w.BSSID))
		}
		quoted := func(name, v string) {
			if v != "" {
				params = append(params, name+`="`+v+`"`)
			}
		}
		if w.LocalIP.IsValid() {
			quoted(routing.PANILocalIP, w.LocalIP.String())
		}
		if w.PublicIP.IsValid() {
			quoted(routing.PANIPublicIP, w.PublicIP.String())
		}
		quoted(routing.PANIChassis, w.Chassis)
		quoted(routing.PANIPort, w.Port)
		if len(params) > 0 {
			pani = append([]string{access}, params...)
		}
		if w.Confirmed != nil {
			c := *w.Confirmed
			c.Entity, c.Method = entity, pidf.MethodManual
			loc = &c
		}
	}
	var h sip.Header
	if len(pani) > 0 {
		h = sip.NewHeader("P-Access-Network-Info", strings.Join(pani, "; "))
	}
	if loc == nil {
		return h, nil, nil
	}
	doc, err := pidf.Build(*loc)
	if err != nil {
		return nil, nil, fmt.Errorf("devices: location by value: %w", err)
	}
	return h, doc, nil
}

// attachLocation makes req's body a multipart/mixed of its SDP and the
// PIDF-LO doc and points Geolocation at it (RFC 6442 §4.1).
func attachLocation(req *sip.Request, doc []byte, cid string) {
	ct, body := pidf.Multipart(req.Body(), doc, cid)
	req.RemoveHeader("Content-Type")
	req.AppendHeader(sip.NewHeader("Content-Type", ct))
	req.AppendHeader(sip.NewHeader("Geolocation", pidf.GeolocationHeader(cid)))
	req.SetBody(body)
}

// Emergency is what a simulated PSAP read from an emergency INVITE.
type Emergency struct {
	// From ocmsim's diagnostic header (routing.EmergencyHeader).
	Service, Dial, Source, Path, PSAP, Match string
	LocationKnown                            bool
	// From the standard headers.
	Priority           string // "emergency"
	Callback           string // user part of P-Asserted-Identity: the E.164 callback number
	Geolocation        string // the Geolocation header ("<cid:...>")
	GeolocationRouting string // "no"
	// Location is the PIDF-LO received; nil when none. LocationErr says
	// why a PIDF-LO that was sent could not be read.
	Location    *pidf.Location
	LocationErr error
}

// Test reports a test call (urn:service:test.sos, e.g. US 933).
func (e *Emergency) Test() bool { return strings.HasPrefix(e.Service, routing.ServiceTestSOS) }

// Echo is what a test-call echo service reads back: the callback number
// and the address it received.
func (e *Emergency) Echo() string {
	where := "no location"
	if l := e.Location; l != nil {
		switch {
		case l.Civic != nil:
			c := l.Civic
			where = strings.Join(nonEmpty(c.NAM, strings.TrimSpace(c.HNO+" "+c.RD), c.A3, c.A1, c.PC, c.Country), ", ")
		case l.Geo != nil:
			where = fmt.Sprintf("%.5f, %.5f +/- %.0f m", l.Geo.Lat, l.Geo.Lon, l.Geo.Radius)
		}
	}
	return fmt.Sprintf("callback %s; location %s (%s)", e.Callback, where, e.Source)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ParseEmergency reads an emergency INVITE as a PSAP does: the priority,
// the callback number, the PIDF-LO of the multipart body and ocmsim's
// diagnostic header.
func ParseEmergency(req *sip.Request) *Emergency {
	e := &Emergency{Priority: headerValue(req, "Priority"), Geolocation: headerValue(req, "Geolocation"),
		GeolocationRouting: headerValue(req, "Geolocation-Routing")}
	if pai := headerValue(req, "P-Asserted-Identity"); pai != "" {
		var u sip.Uri
		if err := sip.ParseUri(strings.Trim(strings.TrimSpace(pai), "<>"), &u); err == nil {
			e.Callback = u.User
		}
	}
	for part := range strings.SplitSeq(headerValue(req, routing.EmergencyHeader), ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "service":
			e.Service = v
		case "dial":
			e.Dial = v
		case "source":
			e.Source = v
		case "path":
			e.Path = v
		case "psap":
			e.PSAP = v
		case "match":
			e.Match = v
		case "location":
			e.LocationKnown = v == "known"
		}
	}
	if ct := req.ContentType(); ct != nil && strings.HasPrefix(strings.ToLower(ct.Value()), "multipart/") {
		_, doc, _, err := pidf.SplitMultipart(ct.Value(), req.Body())
		if err == nil {
			var loc pidf.Location
			if loc, err = pidf.Parse(doc); err == nil {
				e.Location = &loc
			}
		}
		e.LocationErr = err
	}
	return e
}

// offeredSDP is the SDP of an INVITE: its body, or the application/sdp
// part of a multipart body.
func offeredSDP(req *sip.Request) []byte {
	if ct := req.ContentType(); ct != nil && strings.HasPrefix(strings.ToLower(ct.Value()), "multipart/") {
		sdp, _, _, _ := pidf.SplitMultipart(ct.Value(), req.Body())
		return sdp
	}
	return req.Body()
}

func headerValue(req *sip.Request, name string) string {
	if h := req.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// EchoHeader carries, on a PSAP's 200 OK to a test call (933), what the
// echo service reads back to the caller: Emergency.Echo.
const EchoHeader = "X-Ocmsim-Echo"
