package server

import (
	"context"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// inboundInvite is a trunk INVITE for ann (NativeFirst: her native dialer
// and her desktop ring), as it arrives on the wire.
var inboundInvite = []byte("INVITE sip:+14255550100@127.0.0.1:5060;user=phone SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-bench-1;rport\r\n" +
	"Max-Forwards: 70\r\n" +
	"From: <sip:+12065550123@127.0.0.1>;tag=abc123\r\n" +
	"To: <sip:+14255550100@ocm.test;user=phone>\r\n" +
	"Call-ID: bench-call@127.0.0.1\r\n" +
	"CSeq: 1 INVITE\r\n" +
	"Contact: <sip:+12065550123@127.0.0.1:5999>\r\n" +
	"Content-Type: application/sdp\r\n" +
	"Content-Length: " + "71" + "\r\n\r\n" +
	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")

// BenchmarkParseLocate is the server's per-call work before forking: parse
// the INVITE, tell trunk from device, route by the user's policy against
// live registrations and build the branches (one per contact).
func BenchmarkParseLocate(b *testing.B) {
	ts := startServer(b)
	for _, id := range []string{"ann-teams", "ann-native", "ann-desk"} {
		newPhone(b, id).mustRegister(b, ts)
	}
	parser := sip.NewParser()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m, err := parser.ParseSIP(inboundInvite)
		if err != nil {
			b.Fatal(err)
		}
		req := m.(*sip.Request)
		req.SetSource("127.0.0.1:5999")
		if ok, res := ts.admit(req); !ok {
			b.Fatalf("not admitted: %v", res)
		}
		if plan := ts.locate(ctx, req); len(plan.Branches) != 2 {
			b.Fatalf("plan %+v, want 2 branches", plan)
		}
	}
}

// BenchmarkScreenInvite is the guard's check of every datagram before
// sipgo parses it (size, version, header syntax).
func BenchmarkScreenInvite(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if v := screen(inboundInvite, DefaultMaxMessageSize); v.action != pass {
			b.Fatalf("%+v", v)
		}
	}
}
