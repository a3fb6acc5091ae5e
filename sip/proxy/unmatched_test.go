package proxy

import (
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TestHandleUnmatchedResponse relays a late 2xx to an INVITE statelessly,
// our own Via popped, over the transport of the next Via (the caller's
// side, not the device's); anything else is dropped.
func TestHandleUnmatchedResponse(t *testing.T) {
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	client, err := NewClient(ua, "127.0.0.1:5099")
	if err != nil {
		t.Fatal(err)
	}
	const own = "SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-own"
	cases := []struct {
		name          string
		status        int
		method        string
		vias          []string
		wantTransport string // "" when nothing is relayed
	}{
		{"to a UDP caller", 200, "INVITE", []string{own, "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-c"}, "UDP"},
		{"to a TCP caller", 200, "INVITE", []string{own, "SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-c"}, "TCP"},
		{"not through us", 200, "INVITE", []string{"SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bK-x", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-c"}, ""},
		{"no Via left once ours is popped", 200, "INVITE", []string{own}, ""},
		{"not a 2xx", 486, "INVITE", []string{own, "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-c"}, ""},
		{"not to an INVITE", 200, "BYE", []string{own, "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-c"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var sent []*sip.Response
			p := &Proxy{Client: client, OwnPorts: []int{5099}, Logger: testLogger(),
				WriteResponse: func(r *sip.Response) error { sent = append(sent, r); return nil }}
			res := sip.NewResponse(tc.status, "Late")
			for _, v := range tc.vias {
				res.AppendHeader(sip.NewHeader("Via", v))
			}
			res.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.RequestMethod(tc.method)})
			res, err := reparse(res)
			if err != nil {
				t.Fatal(err)
			}
			res.SetTransport("UDP") // as the transport layer marks it: the device's side
			p.HandleUnmatchedResponse(res)
			if tc.wantTransport == "" {
				if len(sent) != 0 {
					t.Fatalf("relayed %s, want it dropped", sent[0].StartLine())
				}
				return
			}
			if len(sent) != 1 {
				t.Fatalf("relayed %d responses, want 1", len(sent))
			}
			got := sent[0]
			if n := len(got.GetHeaders("Via")); n != len(tc.vias)-1 {
				t.Errorf("%d Via left, want %d", n, len(tc.vias)-1)
			}
			if got.Transport() != tc.wantTransport {
				t.Errorf("relayed over %q, want %q", got.Transport(), tc.wantTransport)
			}
		})
	}
}

// reparse turns a built response into a parsed one (typed Via headers).
func reparse(res *sip.Response) (*sip.Response, error) {
	m, err := sip.NewParser().ParseSIP([]byte(res.String()))
	if err != nil {
		return nil, err
	}
	return m.(*sip.Response), nil
}
