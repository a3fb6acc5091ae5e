package registrar

import (
	"testing"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/fakeclock"
)

// FuzzRegister feeds arbitrary Contact, Path, Expires and Supported values
// through the REGISTER procedure (authentication off): it must never panic
// and must answer with a final status.
func FuzzRegister(f *testing.F) {
	f.Add(`<sip:a@1.2.3.4>;expires=60;+sip.instance="<urn:uuid:1>";reg-id=1`, `<sip:p@x;lr>`, "300", "path, gruu")
	f.Add(`*`, ``, "0", "")
	f.Add(`"x" <sip:a@[::1]:5070>;q=0.5, <sip:b@h>;expires=abc`, `<sip:p@x;lr>, garbage`, "x", "gruu")
	f.Add(`<tel:+1>;+g.ocm.kind="native-dialer"`, `<>`, "99999999999", "k")
	parsers := HeadersParsers()
	f.Fuzz(func(t *testing.T, contact, path, expires, supported string) {
		msg := "REGISTER sip:ocm.test SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n" +
			"From: <sip:alice@ocm.test>;tag=1\r\nTo: <sip:alice@ocm.test>\r\n" +
			"Call-ID: fuzz\r\nCSeq: 1 REGISTER\r\n" +
			"Contact: " + contact + "\r\nPath: " + path + "\r\n" +
			"Expires: " + expires + "\r\nSupported: " + supported + "\r\n" +
			"Content-Length: 0\r\n\r\n"
		m, err := sip.NewParser(sip.WithHeadersParsers(parsers)).ParseSIP([]byte(msg))
		if err != nil {
			return
		}
		req, ok := m.(*sip.Request)
		if !ok {
			return
		}
		r := &Registrar{Accounts: testAccounts, DisableAuth: true, Logger: discard, Now: fakeclock.New(t0).Now}
		r.init()
		res := r.register(req)
		if res == nil || res.StatusCode < 200 {
			t.Fatalf("no final response for %q", msg)
		}
	})
}
