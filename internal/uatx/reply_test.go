package uatx_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/uatx"
)

const replyInvite = "INVITE sip:alice@127.0.0.1:5070 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-proxy;rport\r\n" +
	"Via: SIP/2.0/UDP 10.0.0.9:5099;branch=z9hG4bK-caller;received=127.0.0.9\r\n" +
	"Record-Route: <sip:127.0.0.1:5060;lr>\r\n" +
	"Record-Route: <sip:10.1.1.1;lr;ftag=x>\r\n" +
	"From: \"Bob\" <sip:+12065550100@trunk.example>;tag=from1\r\n" +
	"To: <sip:+14255550101@tenant.example>\r\n" +
	"Call-ID: call-1@example\r\n" +
	"CSeq: 7 INVITE\r\n" +
	"Timestamp: 54\r\n" +
	"Max-Forwards: 69\r\n" +
	"Contact: <sip:bob@10.0.0.9:5099>\r\n" +
	"Content-Length: 0\r\n\r\n"

// TestBuildResponse proves that a response written straight from its
// request carries what sipgo's NewResponseFromRequest puts in one (the
// same headers with the same values, in the same order per name), with
// our To-tag, extra headers and body.
func TestBuildResponse(t *testing.T) {
	t.Parallel()
	withTag := strings.Replace(replyInvite, "To: <sip:+14255550101@tenant.example>", "To: <sip:+14255550101@tenant.example>;tag=old", 1)
	bye := strings.Replace(strings.Replace(replyInvite, "INVITE sip:", "BYE sip:", 1), "7 INVITE", "8 BYE", 1)
	register := strings.Replace(strings.Replace(replyInvite, "INVITE sip:", "REGISTER sip:", 1), "7 INVITE", "8 REGISTER", 1)
	v6 := strings.Replace(replyInvite, "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-proxy;rport", "Via: SIP/2.0/UDP [::1]:5060;branch=z9hG4bK-proxy", 1)
	body := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n")
	cases := []struct {
		name    string
		req     string
		r       uatx.Reply
		wantTag string // "" : r.ToTag
		rr      bool
	}{
		{name: "100 Trying: no tag, Timestamp", req: replyInvite, r: uatx.Reply{Code: 100, Reason: "Trying"}},
		{name: "180 with our tag", req: replyInvite, r: uatx.Reply{Code: 180, Reason: "Ringing", ToTag: "ours"}, rr: true},
		{name: "183 session progress", req: replyInvite, r: uatx.Reply{Code: 183, Reason: "Session Progress", ToTag: "ours"}, rr: true},
		{name: "200 with Contact and body", req: replyInvite, rr: true, r: uatx.Reply{Code: 200, Reason: "OK", ToTag: "ours", Body: body,
			Headers: []sip.Header{&sip.ContactHeader{Address: sip.Uri{User: "alice", Host: "127.0.0.1", Port: 5070}}, sip.NewHeader("Content-Type", "application/sdp")}}},
		{name: "486 without Record-Route", req: replyInvite, r: uatx.Reply{Code: 486, Reason: "Busy Here", ToTag: "ours"}},
		{name: "a To-tag already there stays", req: withTag, r: uatx.Reply{Code: 200, Reason: "OK", ToTag: "ours"}, wantTag: "old", rr: true},
		{name: "200 to BYE copies Record-Route", req: bye, r: uatx.Reply{Code: 200, Reason: "OK", ToTag: "ours"}, rr: true},
		{name: "200 to REGISTER does not", req: register, r: uatx.Reply{Code: 200, Reason: "OK", ToTag: "ours"}},
		{name: "IPv6 Via host", req: v6, r: uatx.Reply{Code: 180, Reason: "Ringing", ToTag: "ours"}, rr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := parse(t, []byte(tc.req)).(*sip.Request)
			req.SetSource("127.0.0.1:5060")
			w := uatx.BuildResponse(req, tc.r)
			got := parse(t, w.Bytes).(*sip.Response)

			want := sip.NewResponseFromRequest(req, tc.r.Code, tc.r.Reason, tc.r.Body)
			if tc.r.Code > 100 && tc.wantTag == "" {
				want.To().Params.Add("tag", tc.r.ToTag)
			}
			for _, h := range tc.r.Headers {
				want.AppendHeader(h)
			}
			want = parse(t, []byte(want.String())).(*sip.Response)

			if got.StatusCode != tc.r.Code || got.Reason != tc.r.Reason {
				t.Fatalf("status %d %q, want %d %q", got.StatusCode, got.Reason, tc.r.Code, tc.r.Reason)
			}
			if g, w := byName(got), byName(want); !mapsEqual(g, w) {
				t.Fatalf("headers differ\n got  %v\n want %v", g, w)
			}
			if string(got.Body()) != string(tc.r.Body) {
				t.Fatalf("body %q, want %q", got.Body(), tc.r.Body)
			}
			wantTag := tc.wantTag
			if wantTag == "" && tc.r.Code > 100 {
				wantTag = tc.r.ToTag
			}
			if toTag(got) != wantTag || w.ToTag != wantTag || w.Code != tc.r.Code {
				t.Fatalf("To-tag %q (Wire %q, code %d), want %q", toTag(got), w.ToTag, w.Code, wantTag)
			}
			if n := len(got.GetHeaders("Record-Route")); (n == 2) != tc.rr {
				t.Fatalf("%d Record-Route headers, want them copied: %v", n, tc.rr)
			}
		})
	}
}

// TestBuildResponseRport proves the top Via's empty rport is filled in
// with the request's source port and received (RFC 3581 §4), and that a
// random To-tag is picked when Reply has none.
func TestBuildResponseRport(t *testing.T) {
	t.Parallel()
	req := parse(t, []byte(replyInvite)).(*sip.Request)
	req.SetSource("127.0.0.5:40001")
	w := uatx.BuildResponse(req, uatx.Reply{Code: 180, Reason: "Ringing"})
	res := parse(t, w.Bytes).(*sip.Response)
	via := res.Via()
	if port, _ := via.Params.Get("rport"); port != "40001" {
		t.Fatalf("rport %q, want 40001", port)
	}
	if host, _ := via.Params.Get("received"); host != "127.0.0.5" {
		t.Fatalf("received %q, want 127.0.0.5", host)
	}
	if v, _ := req.Via().Params.Get("rport"); v != "" {
		t.Fatalf("the request's Via changed: rport=%q", v)
	}
	if len(w.ToTag) < 8 || toTag(res) != w.ToTag {
		t.Fatalf("To-tag %q (Wire %q): want a random one", toTag(res), w.ToTag)
	}
}

// BenchmarkBuildResponse compares the device's 180 built straight onto
// the wire with sipgo's response built and encoded.
func BenchmarkBuildResponse(b *testing.B) {
	req, err := sip.NewParser().ParseSIP([]byte(replyInvite))
	if err != nil {
		b.Fatal(err)
	}
	inv := req.(*sip.Request)
	inv.SetSource("127.0.0.1:5060")
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = uatx.BuildResponse(inv, uatx.Reply{Code: 180, Reason: "Ringing", ToTag: "ours"})
		}
	})
	b.Run("sipgo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res := sip.NewResponseFromRequest(inv, 180, "Ringing", nil)
			res.To().Params.Add("tag", "ours")
			_ = []byte(res.String())
		}
	})
}

func byName(m sip.Message) map[string][]string {
	out := map[string][]string{}
	for _, h := range m.(interface{ Headers() []sip.Header }).Headers() {
		name := strings.ToLower(h.Name())
		out[name] = append(out[name], h.Value())
	}
	return out
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
