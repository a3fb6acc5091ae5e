package proxy

import (
	"context"
	"strings"
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"
)

// FuzzHandleRequest feeds random bytes through sipgo's parser into the
// proxy's handlers. No socket is involved: branches are answered 486 by
// a fake requester and responses land in a recorder.
func FuzzHandleRequest(f *testing.F) {
	msg := func(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n\r\n" }
	f.Add(msg("INVITE sip:100@127.0.0.1:5060 SIP/2.0",
		"Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK.abc",
		"From: <sip:alice@127.0.0.2>;tag=1", "To: <sip:100@127.0.0.1>",
		"Call-ID: c1", "CSeq: 1 INVITE", "Max-Forwards: 70", "Content-Length: 0"))
	f.Add(msg("BYE sip:a@127.0.0.3:5070 SIP/2.0",
		"Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK.def",
		"Route: <sip:127.0.0.1:5060;lr>", "Route: <sip:127.0.0.4;lr>",
		"From: <sip:alice@127.0.0.2>;tag=1", "To: <sip:100@127.0.0.1>;tag=2",
		"Call-ID: c1", "CSeq: 2 BYE", "Max-Forwards: 0", "Content-Length: 0"))
	f.Add(msg("ACK sip:a@127.0.0.3 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK.x",
		"From: <sip:a@b>;tag=1", "To: <sip:c@d>;tag=2", "Call-ID: c", "CSeq: 1 ACK"))
	f.Add(msg("CANCEL sip:100@127.0.0.1 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK.x", "CSeq: 1 CANCEL"))
	f.Add(msg("INVITE sip:100@127.0.0.1 SIP/2.0",
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK.q.zz, SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK.w",
		"From: <sip:a@b>;tag=1", "To: <sip:c@d>", "Call-ID: c", "CSeq: 1 INVITE"))
	f.Add(msg("SIP/2.0 200 OK", "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK.x", "CSeq: 1 INVITE"))

	ua, err := sipgo.NewUA()
	if err != nil {
		f.Fatal(err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua, sipgo.WithClientAddr("127.0.0.1:5060"))
	if err != nil {
		f.Fatal(err)
	}
	client.TxRequester = &siptest.ClientTxRequesterResponder{OnRequest: func(req *sip.Request, w *siptest.ClientTxResponder) {
		if !req.IsAck() { // nobody reads an ACK's (fake) transaction
			w.Receive(sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
		}
	}}
	dev := func(name string) Branch {
		return Branch{Device: name, URI: sip.Uri{Scheme: "sip", User: name, Host: "127.0.0.1", Port: 5070}}
	}
	fallback := dev("teams")
	fallback.Fallback = []Branch{dev("native")}
	p := &Proxy{Client: client, Logger: testLogger(), Locator: LocatorFunc(func(context.Context, *sip.Request) Plan {
		return Plan{Branches: []Branch{fallback, dev("desk"), {Device: "empty"}}, Unanswered: []Branch{dev("vm")}}
	})}
	parser := sip.NewParser()

	f.Fuzz(func(t *testing.T, data string) {
		m, err := parser.ParseSIP([]byte(data))
		if err != nil {
			return
		}
		switch m := m.(type) {
		case *sip.Request:
			if _, err := sip.ServerTxKeyMake(m); err != nil {
				return // sipgo answers these 400 before any handler
			}
			tx := siptest.NewServerTxRecorder(m)
			defer tx.Terminate()
			p.Handler(m.Method)(m, tx)
		case *sip.Response:
			p.HandleUnmatchedResponse(m) // srv is nil: checks only, no I/O
		}
	})
}
