package server

import (
	"bytes"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// request builds a raw request: the start line, the usual headers with
// extra lines replacing ("Name: v") or removing ("-Name") them, a body.
func request(startLine string, extra []string, body string) []byte {
	hs := []string{
		"Via: SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bK-guard",
		"From: <sip:+12065550000@pstn.test>;tag=g1",
		"To: <sip:" + annNumber + "@ocm.test>",
		"Call-ID: guard-call",
		"CSeq: 1 " + strings.Fields(startLine)[0],
		"Max-Forwards: 70",
		"Content-Length: " + strconv.Itoa(len(body)),
	}
	for _, e := range extra {
		name, _, _ := strings.Cut(strings.TrimPrefix(e, "-"), ":")
		hs = slices.DeleteFunc(hs, func(h string) bool { return strings.HasPrefix(h, name+":") })
		if !strings.HasPrefix(e, "-") {
			hs = append(hs, e)
		}
	}
	return []byte(startLine + "\r\n" + strings.Join(hs, "\r\n") + "\r\n\r\n" + body)
}

const invite = "INVITE sip:" + annNumber + "@127.0.0.1 SIP/2.0"

// TestScreen: what the guard passes, answers and drops.
func TestScreen(t *testing.T) {
	big := strings.Repeat("a", DefaultMaxMessageSize)
	cases := []struct {
		name   string
		data   []byte
		action action
		status int
		reason string // substring of the reason phrase
	}{
		{"valid INVITE", request(invite, nil, ""), pass, 0, ""},
		{"valid with body", request(invite, []string{"Content-Type: application/sdp"}, "v=0\r\n"), pass, 0, ""},
		{"compact and folded headers", []byte("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nf: <sip:a@b>;tag=1\r\nt: <sip:x@b>\r\ni: c1\r\nCSeq: 1\r\n  OPTIONS\r\nl: 0\r\n\r\n"), pass, 0, ""},
		{"response", []byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n\r\n"), pass, 0, ""},
		{"keep-alive", []byte("\r\n\r\n"), pass, 0, ""},
		{"oversized", request(invite, nil, big), reply, 413, "Too Large"},
		{"SIP/3.0", request("INVITE sip:x@127.0.0.1 SIP/3.0", nil, ""), reply, 505, "Version"},
		{"header without colon", request(invite, []string{"NoColonHere"}, ""), reply, 400, "colon"},
		{"bad CSeq", request(invite, []string{"CSeq: abc INVITE"}, ""), reply, 400, "CSeq"},
		{"CSeq method mismatch", request(invite, []string{"CSeq: 1 BYE"}, ""), reply, 400, "CSeq"},
		{"bad Via", request(invite, []string{"v: garbage"}, ""), reply, 400, "Via"},
		{"bad only Via: nowhere to answer", request(invite, []string{"Via: garbage"}, ""), drop, 400, "Via"},
		{"bad From", request(invite, []string{"From: <sip:a@b;tag=1"}, ""), reply, 400, "From"},
		{"bad Max-Forwards", request(invite, []string{"Max-Forwards: x"}, ""), reply, 400, "Max-Forwards"},
		{"Content-Length beyond the body", request(invite, []string{"Content-Length: 10"}, ""), reply, 400, "Content-Length"},
		{"missing Call-ID", request(invite, []string{"-Call-ID"}, ""), reply, 400, "Call-ID"},
		{"empty Content-Type", request(invite, []string{"Content-Type: "}, ""), reply, 400, "Content-Type"},
		{"bad Route", request(invite, []string{"Route: bad"}, ""), reply, 400, "Route"},
		{"no Via to answer", request(invite, []string{"-Via"}, ""), drop, 400, ""},
		{"bad ACK is never answered", request("ACK sip:x@127.0.0.1 SIP/2.0", []string{"CSeq: x ACK"}, ""), drop, 400, ""},
		{"oversized ACK", request("ACK sip:x@127.0.0.1 SIP/2.0", nil, big), drop, 413, ""},
		{"garbage", []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), drop, 0, ""},
		{"HTTP", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), drop, 0, ""},
		{"LF only", []byte("OPTIONS sip:x@y SIP/2.0\nVia: SIP/2.0/UDP h\n\n"), drop, 0, ""},
		{"response of another version", []byte("SIP/3.0 200 OK\r\n\r\n"), drop, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := screen(tc.data, DefaultMaxMessageSize)
			if v.action != tc.action || (tc.status != 0 && v.status != tc.status) {
				t.Fatalf("screen = %+v, want action %d status %d", v, tc.action, tc.status)
			}
			if !strings.Contains(v.reason, tc.reason) {
				t.Errorf("reason %q does not name %q", v.reason, tc.reason)
			}
			if v.action != reply {
				return
			}
			res := statelessResponse(tc.data, v.status, v.reason)
			msg, err := sip.ParseMessage(res)
			if err != nil {
				t.Fatalf("response does not parse: %v\n%s", err, res)
			}
			r := msg.(*sip.Response)
			if r.StatusCode != tc.status || r.Via() == nil || (r.To() != nil && !r.To().Params.Has("tag")) {
				t.Errorf("response:\n%s", res)
			}
		})
	}
}

// TestGuardOverUDP sends raw datagrams to a running server: bad input gets
// the RFC 3261 answer or is dropped, and the server keeps serving.
func TestGuardOverUDP(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxMessageSize = 32 << 10 })
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dst, _ := net.ResolveUDPAddr("udp", ts.addr)
	cases := []struct {
		name   string
		data   []byte
		status int
		reason string // substring of the reason phrase
		header string // "Name: value" the response must carry
	}{
		// Over MaxMessageSize (32 KiB here).
		{"oversized", request(invite, nil, strings.Repeat("a", 40000)), 413, "Too Large", ""},
		{"SIP/3.0", request("INVITE sip:x@127.0.0.1 SIP/3.0", nil, ""), 505, "Version", ""},
		{"bad header", request(invite, []string{"CSeq: abc INVITE"}, ""), 400, "Bad CSeq", ""},
		{"unsupported URI scheme", request("INVITE http://example.com/x SIP/2.0", nil, ""), 416, "Unsupported URI Scheme", ""},
		{"unsupported URI scheme on REGISTER", request("REGISTER mailto:a@b SIP/2.0", nil, ""), 416, "", ""},
		{"Require an unknown extension", request(invite, []string{"Require: 100rel, frobnicate"}, ""), 420, "Bad Extension", "Unsupported: frobnicate"},
		{"Proxy-Require", request(invite, []string{"Proxy-Require: sec-agree"}, ""), 420, "", "Unsupported: sec-agree"},
		{"bad Contact", request(invite, []string{"Contact: <sip:a@"}, ""), 400, "Bad Contact", ""},
		{"a method the server does not handle", request("PUBLISH sip:x@127.0.0.1 SIP/2.0", nil, ""), 405, "Method Not Allowed",
			"Allow: INVITE, ACK, CANCEL, BYE, UPDATE, INFO, PRACK, REFER, MESSAGE, NOTIFY, SUBSCRIBE, OPTIONS, REGISTER"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.ReplaceAll(tc.data, []byte("guard-call"), []byte("guard-call-"+strconv.Itoa(i)))
			data = bytes.ReplaceAll(data, []byte("z9hG4bK-guard"), []byte("z9hG4bK-guard-"+strconv.Itoa(i)))
			if _, err := conn.WriteTo(data, dst); err != nil {
				t.Fatal(err)
			}
			res := readFinal(t, conn, "guard-call-"+strconv.Itoa(i))
			if res.StatusCode != tc.status || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("got %d %q, want %d naming %q", res.StatusCode, res.Reason, tc.status, tc.reason)
			}
			if tc.header != "" {
				name, want, _ := strings.Cut(tc.header, ": ")
				if got := header(res, name); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
		})
	}

	t.Run("garbage is dropped and the server still answers", func(t *testing.T) {
		before := ts.Dropped()
		for _, g := range [][]byte{[]byte("\x00\x01garbage\xff"), []byte("GET / HTTP/1.1\r\n\r\n")} {
			if _, err := conn.WriteTo(g, dst); err != nil {
				t.Fatal(err)
			}
		}
		// One socket, one reader: the OPTIONS is read after the garbage.
		if _, err := conn.WriteTo(request("OPTIONS sip:127.0.0.1 SIP/2.0", []string{"Call-ID: after-garbage"}, ""), dst); err != nil {
			t.Fatal(err)
		}
		if res := readFinal(t, conn, "after-garbage"); res.StatusCode != 200 {
			t.Fatalf("OPTIONS after garbage: %d %s", res.StatusCode, res.Reason)
		}
		if got := ts.Dropped() - before; got != 2 {
			t.Errorf("dropped %d datagrams, want 2", got)
		}
	})

	if n := value(t, ts.m.Responses.WithLabelValues("INVITE", "413")); n != 1 {
		t.Errorf("responses{INVITE,413} = %v, want 1", n)
	}
}

// readFinal reads responses on conn until a final one for callID; others
// (e.g. retransmitted finals of INVITEs the test never ACKs) are skipped.
func readFinal(t *testing.T, conn net.PacketConn, callID string) *sip.Response {
	t.Helper()
	buf := make([]byte, 1<<16)
	for {
		conn.SetReadDeadline(time.Now().Add(waitFor))
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no response: %v", err)
		}
		msg, err := sip.ParseMessage(buf[:n])
		if err != nil {
			t.Fatalf("unparsable response %v:\n%s", err, buf[:n])
		}
		if res, ok := msg.(*sip.Response); ok && !res.IsProvisional() && header(res, "Call-ID") == callID {
			return res
		}
	}
}
