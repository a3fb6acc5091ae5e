package server

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"ocmsim/routing"
)

// FuzzGuard drives the guard's screening of datagrams: it never panics,
// never answers an ACK, answers only with a response that parses, and
// never refuses a request sipgo parses and the server could handle.
func FuzzGuard(f *testing.F) {
	for _, seed := range [][]byte{
		request(invite, nil, ""),
		request(invite, []string{"Content-Type: application/sdp"}, "v=0\r\n"),
		request("REGISTER sip:ocm.test SIP/2.0", []string{"Contact: <sip:a@127.0.0.1:5070>;expires=60"}, ""),
		request("ACK sip:x@127.0.0.1 SIP/2.0", nil, ""),
		request("INVITE sip:x@127.0.0.1 SIP/3.0", nil, ""),
		request(invite, []string{"CSeq: abc INVITE"}, ""),
		request(invite, []string{"v: garbage"}, ""),
		request(invite, []string{"Content-Length: 99"}, ""),
		request(invite, []string{"NoColon"}, ""),
		[]byte("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@b>;tag=1\r\nt: <sip:x@b>\r\ni: c\r\nCSeq: 1\r\n OPTIONS\r\nl: 0\r\n\r\n"),
		[]byte("SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h\r\n\r\n"),
		[]byte("\r\n\r\n"),
		[]byte("\x00garbage\xff"),
	} {
		f.Add(seed, 4096)
	}
	f.Fuzz(func(t *testing.T, data []byte, limit int) {
		limit = 64 + abs(limit)%8192
		v := screen(data, limit)
		if v.action != reply {
			if v.action == pass && v.status != 0 {
				t.Fatalf("pass with status %d", v.status)
			}
			return
		}
		if v.method == "ACK" {
			t.Fatal("answered an ACK")
		}
		if v.status != 400 && v.status != 413 && v.status != 505 {
			t.Fatalf("status %d", v.status)
		}
		res := statelessResponse(data, v.status, v.reason)
		if res == nil {
			return // no Via sipgo can parse: the guard drops it
		}
		msg, err := sip.ParseMessage(res)
		if err != nil {
			t.Fatalf("response does not parse: %v\n%q", err, res)
		}
		if r, ok := msg.(*sip.Response); !ok || r.StatusCode != v.status || r.Via() == nil {
			t.Fatalf("bad response %q", res)
		}
		if v.status == 400 && acceptable(data, limit) {
			t.Fatalf("refused %q (%s), which sipgo parses and the server handles", data, v.reason)
		}
	})
}

// acceptable reports whether sipgo parses data into a request the server
// could handle: SIP/2.0, within limit, the mandatory headers once each
// (Via at least once), a CSeq naming the method and a body no shorter than
// Content-Length.
func acceptable(data []byte, limit int) bool {
	if len(data) > limit {
		return false
	}
	msg, err := sip.ParseMessage(data)
	if err != nil {
		return false
	}
	req, ok := msg.(*sip.Request)
	if !ok || req.SipVersion != "SIP/2.0" || req.Via() == nil || req.CSeq() == nil || req.CSeq().MethodName != req.Method {
		return false
	}
	for _, name := range []string{"From", "To", "Call-ID", "CSeq"} {
		if len(req.GetHeaders(name)) != 1 {
			return false
		}
	}
	// sipgo takes header names and a CSeq method as they come; the guard
	// wants RFC 3261 tokens and a method spelled as in the request line.
	eoh := bytes.Index(data, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(data[:max(eoh, 0)]), "\r\n")[1:] {
		if line != "" && line[0] != ' ' && line[0] != '\t' {
			name, _, _ := strings.Cut(line, ":")
			if !isToken(bytes.TrimRight([]byte(name), " \t")) {
				return false
			}
		}
	}
	cl := req.ContentLength()
	return cl == nil || int(*cl) <= len(req.Body())
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// FuzzEmergency feeds what a device controls on an emergency INVITE (its
// P-Access-Network-Info, Content-Type and body) to the emergency planner:
// it never panics, and every call that resolves goes to a PSAP.
func FuzzEmergency(f *testing.F) {
	f.Add("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=310260000a1b2c3d", "application/sdp", []byte("v=0\r\n"))
	f.Add(`IEEE-802.11; i-wlan-node-id=001122334455; ocm-local-ip="10.1.2.3"; ocm-public-ip="::1"`, "", []byte(nil))
	f.Add("3GPP-NR-FDD; nrcgi=31026000000000001", "multipart/mixed; boundary=x",
		[]byte("--x\r\nContent-Type: application/pidf+xml\r\n\r\n<presence/>\r\n--x--\r\n"))
	f.Add(";;;=", "multipart/mixed", []byte("--"))
	ts := startServer(f, func(c *Config) { c.PSAPProxy = "127.0.0.1:9" })
	native, _ := ts.dir.Device("ann-native")
	desk, _ := ts.dir.Device("ann-desk")
	f.Fuzz(func(t *testing.T, pani, ct string, body []byte) {
		for _, device := range []routing.Device{native, desk} {
			req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "911", Host: "ocm.test"})
			req.SetSource("127.0.0.1:5999")
			req.AppendHeader(sip.NewHeader("P-Access-Network-Info", pani))
			if ct != "" {
				req.AppendHeader(sip.NewHeader("Content-Type", ct))
			}
			req.SetBody(body)
			plan, ok := ts.emergency(req, device)
			if !ok {
				t.Fatal("911 not taken as an emergency call")
			}
			if plan.Refusal == nil && (len(plan.Branches) != 1 || plan.Branches[0].Kind != "psap") {
				t.Fatalf("plan %+v", plan)
			}
		}
	})
}
