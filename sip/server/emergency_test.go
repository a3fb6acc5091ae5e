package server

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/pidf"
	"ocmsim/routing"
)

const testSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"

// TestEmergencyCalls has devices dial emergency numbers: the proxy resolves
// the location, picks the PSAP and forwards the INVITE to it with
// Priority, the callback number, Geolocation and a PIDF-LO (RFC 6442).
func TestEmergencyCalls(t *testing.T) {
	gps := func(r *sip.Request) {
		doc, err := pidf.Build(pidf.Location{Entity: "sip:ann-native@ocm.test", Method: pidf.MethodGPS,
			Geo: &pidf.Geodetic{Shape: pidf.ShapeCircle, Lat: 47.5, Lon: -122.3, Radius: 12}})
		if err != nil {
			t.Fatal(err)
		}
		ct, body := pidf.Multipart([]byte(testSDP), doc, "gps@ann")
		r.AppendHeader(sip.NewHeader("Geolocation", pidf.GeolocationHeader("gps@ann")))
		r.RemoveHeader("Content-Type")
		r.AppendHeader(sip.NewHeader("Content-Type", ct))
		r.SetBody(body)
	}
	pani := func(v string) func(*sip.Request) {
		return func(r *sip.Request) { r.AppendHeader(sip.NewHeader("P-Access-Network-Info", v)) }
	}
	cases := []struct {
		name, device, dial string
		tweak              func(*sip.Request)
		psap, source, path string
		callback           string
		method             string // PIDF-LO method; "" for no location
		shape              pidf.ShapeKind
		civic              bool
	}{
		{"native dialer by its serving cell", "ann-native", "911", pani("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=310260000A1B2C3D"),
			"psap-king", "Cell", "operator", "+14255550100", "Cell", pidf.ShapeCircle, false},
		{"native dialer by a GPS fix sent by value", "ann-native", "911", gps,
			"psap-king", "GPS", "operator", "+14255550100", "GPS", pidf.ShapeCircle, false},
		{"Teams desktop: the number's static address", "ann-desk", "911", nil,
			"psap-king", "Static", "teams", "+14255550100", "Manual", pidf.ShapePoint, true},
		{"933 test call by service URN", "ann-desk", "urn:service:test.sos", nil,
			"psap-king", "Static", "teams", "+14255550100", "Manual", pidf.ShapePoint, true},
		{"no location: the national fallback PSAP", "ben-desk", "911", nil,
			"psap-us", "None", "teams", "+14255550101", "", "", false},
		{"suspended operator: the call still goes through", "dan-teams", "911", nil,
			"psap-ca", "None", "teams", "+16045550100", "", "", false},
		{"a lower-case P-Asserted-Identity from the device is replaced", "ben-native", "911", func(r *sip.Request) {
			r.AppendHeader(sip.NewHeader("p-asserted-identity", "<sip:+19995550000@evil.test>"))
		}, "psap-us", "None", "operator", "+14255550101", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			psap := newPhone(t, "psap")
			ts := startServer(t, func(c *Config) { c.PSAPProxy = psap.addr })
			caller := newPhone(t, tc.device)
			caller.mustRegister(t, ts)
			uri := ts.uri(tc.dial)
			if strings.HasPrefix(tc.dial, "urn:") {
				uri = sip.Uri{Scheme: "urn", Host: strings.TrimPrefix(tc.dial, "urn:")}
			}
			tweak := func(r *sip.Request) {
				r.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
				r.SetBody([]byte(testSDP))
				if tc.tweak != nil {
					tc.tweak(r)
				}
			}
			c := caller.dialWith(t, ts, tc.device, uri, tweak, tc.device, passwordOf(tc.device))
			in := psap.ringing(t)
			req := in.req
			if req.Recipient.User != tc.psap {
				t.Errorf("Request-URI %s, want PSAP %s", req.Recipient.String(), tc.psap)
			}
			if got := header(req, "Priority"); got != "emergency" {
				t.Errorf("Priority = %q, want emergency", got)
			}
			if got := header(req, "P-Asserted-Identity"); !strings.Contains(got, tc.callback) || len(req.GetHeaders("P-Asserted-Identity")) != 1 {
				t.Errorf("P-Asserted-Identity = %q (%d), want one with %s", got, len(req.GetHeaders("P-Asserted-Identity")), tc.callback)
			}
			diag := header(req, routing.EmergencyHeader)
			for _, want := range []string{"source=" + tc.source, "path=" + tc.path, "psap=" + tc.psap} {
				if !strings.Contains(diag, want) {
					t.Errorf("%s = %q, want %s", routing.EmergencyHeader, diag, want)
				}
			}
			checkLocation(t, req, tc.method, tc.shape, tc.civic)
			in.respond(200)
			if res := c.final(t); res.StatusCode != 200 {
				t.Fatalf("final %d, want 200", res.StatusCode)
			}
			rec := ts.waitCall(t)
			if rec.Labels["psap"] != tc.psap || rec.Labels["source"] != tc.source {
				t.Errorf("call record labels %v", rec.Labels)
			}
			if n := value(t, ts.m.Emergency.WithLabelValues(tc.source, tc.psap)); n != 1 {
				t.Errorf("ocmsim_emergency_calls_total{source=%q,psap=%q} = %v, want 1", tc.source, tc.psap, n)
			}
		})
	}
}

// checkLocation checks the Geolocation headers and the PIDF-LO of an
// INVITE forwarded to a PSAP; method "" means no location.
func checkLocation(t *testing.T, req *sip.Request, method string, shape pidf.ShapeKind, civic bool) {
	t.Helper()
	geo := header(req, "Geolocation")
	if method == "" {
		if geo != "" || !strings.Contains(header(req, routing.EmergencyHeader), "location=unknown") {
			t.Errorf("unknown location: Geolocation %q, %s %q", geo, routing.EmergencyHeader, header(req, routing.EmergencyHeader))
		}
		return
	}
	if !strings.HasPrefix(geo, "<cid:") || header(req, "Geolocation-Routing") != "no" {
		t.Fatalf("Geolocation %q, Geolocation-Routing %q", geo, header(req, "Geolocation-Routing"))
	}
	sdp, doc, cid, err := pidf.SplitMultipart(header(req, "Content-Type"), req.Body())
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	if "<cid:"+cid+">" != geo {
		t.Errorf("Content-ID %q does not match Geolocation %q", cid, geo)
	}
	if !strings.Contains(string(sdp), "m=audio") {
		t.Errorf("the SDP part is lost: %q", sdp)
	}
	loc, err := pidf.Parse(doc)
	if err != nil {
		t.Fatalf("PIDF-LO: %v\n%s", err, doc)
	}
	if loc.Method != method || (loc.Geo == nil) != (shape == "") || loc.Geo != nil && loc.Geo.Shape != shape || (loc.Civic != nil) != civic {
		t.Errorf("PIDF-LO method %q geo %+v civic %+v, want %s %s civic=%v", loc.Method, loc.Geo, loc.Civic, method, shape, civic)
	}
}

// TestEmergencyWithoutPSAPs answers 503 naming the country when no PSAP
// serves it, and never resolves a PSAP host name.
func TestEmergencyWithoutPSAPs(t *testing.T) {
	ts := startServer(t) // no PSAPProxy: psap.test is a name
	caller := newPhone(t, "ann-desk")
	caller.mustRegister(t, ts)
	c := caller.dial(t, ts, "ann-desk", "911", "ann-desk", "desk-secret")
	res := c.final(t)
	if res.StatusCode != 503 || !strings.Contains(header(res, "Warning"), "psap.test") {
		t.Fatalf("got %d Warning %q, want 503 naming the PSAP host", res.StatusCode, header(res, "Warning"))
	}
}
