package registrar

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	icdigest "github.com/icholy/digest"

	"ocmsim/sip/digest"
)

const (
	contactA = "<sip:alice@127.0.0.1:6001>"
	contactB = "<sip:alice@127.0.0.1:6002>"
	contactC = "<sip:alice@127.0.0.1:6003>"
)

func wantStatus(t *testing.T, res *sip.Response, code int) {
	t.Helper()
	if res.StatusCode != code {
		t.Fatalf("status = %d %s, want %d", res.StatusCode, res.Reason, code)
	}
}

func wantContacts(t *testing.T, res *sip.Response, want string) {
	t.Helper()
	if got := contactSummary(res); got != want {
		t.Fatalf("contacts = %q, want %q", got, want)
	}
}

func challenges(t *testing.T, res *sip.Response) []*icdigest.Challenge {
	t.Helper()
	var out []*icdigest.Challenge
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		ch, err := icdigest.ParseChallenge(h.Value())
		if err != nil {
			t.Fatalf("bad challenge %q: %v", h.Value(), err)
		}
		out = append(out, ch)
	}
	if len(out) == 0 {
		t.Fatalf("%d response without WWW-Authenticate", res.StatusCode)
	}
	return out
}

// shape describes a response without its random parts: status, header
// names and challenge fields other than the nonce.
func shape(t *testing.T, res *sip.Response) string {
	var names []string
	for _, h := range res.Headers() {
		names = append(names, h.Name())
	}
	var chs []string
	for _, ch := range challenges(t, res) {
		chs = append(chs, fmt.Sprintf("%s/%s/%v/%v/%s", ch.Realm, ch.Algorithm, ch.QOP, ch.Stale, ch.Opaque))
	}
	return fmt.Sprintf("%d %s %v %v", res.StatusCode, res.Reason, names, chs)
}

func TestRegister(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*Registrar)
		run       func(t *testing.T, h *harness)
	}{
		{name: "401 then 200 with contacts", run: func(t *testing.T, h *harness) {
			req := h.request("alice", contactA)
			res := h.send(req)
			wantStatus(t, res, 401)
			algs := []string{}
			for _, ch := range challenges(t, res) {
				algs = append(algs, ch.Algorithm)
			}
			if fmt.Sprint(algs) != "[MD5 SHA-256]" {
				t.Fatalf("offered %v, want MD5 first then SHA-256", algs)
			}
			res, err := h.client.DoDigestAuth(h.ctx(), req, res, sipgo.DigestAuth{Username: "alice", Password: "secret"})
			if err != nil {
				t.Fatal(err)
			}
			wantStatus(t, res, 200)
			wantContacts(t, res, "127.0.0.1:6001 3600")
			if d := headerValue(res, "Date"); d != "Sun, 01 Mar 2026 12:00:00 GMT" {
				t.Fatalf("Date = %q", d)
			}
			if got := h.events.take(); fmt.Sprint(got) != "[registered alice-desk teams-desktop]" {
				t.Fatalf("events = %q", got)
			}
			b := h.reg.Bindings.Contacts("alice-desk", h.clock.Now())
			if len(b) != 1 || b[0].AOR != "sip:alice@ocm.test" || b[0].Transport != "UDP" || !strings.HasPrefix(b[0].Source, "127.0.0.1:") {
				t.Fatalf("stored binding = %+v", b)
			}
		}},
		{name: "wrong password and unknown user get the same 401", run: func(t *testing.T, h *harness) {
			wrong := h.register(h.request("alice", contactA), "alice", "nope")
			unknown := h.register(h.request("mallory", contactA), "mallory", "secret")
			wantStatus(t, wrong, 401)
			if a, b := shape(t, wrong), shape(t, unknown); a != b {
				t.Fatalf("responses differ:\nwrong password: %s\nunknown user:   %s", a, b)
			}
			if challenges(t, wrong)[0].Nonce == challenges(t, unknown)[0].Nonce {
				t.Fatal("nonces repeat")
			}
			if h.reg.Bindings.Len() != 0 {
				t.Fatal("failed authentication stored a binding")
			}
		}},
		{name: "stale nonce", run: func(t *testing.T, h *harness) {
			req := h.request("alice", contactA)
			res := h.send(req)
			wantStatus(t, res, 401)
			h.clock.Advance(digest.DefaultNonceTTL + time.Second)
			res, err := h.client.DoDigestAuth(h.ctx(), req, res, sipgo.DigestAuth{Username: "alice", Password: "secret"})
			if err != nil {
				t.Fatal(err)
			}
			wantStatus(t, res, 401)
			if !challenges(t, res)[0].Stale {
				t.Fatal("challenge after a stale nonce lacks stale=true")
			}
		}},
		{name: "replayed nonce count", run: func(t *testing.T, h *harness) {
			req := h.request("alice", contactA)
			wantStatus(t, h.register(req, "alice", "secret"), 200)
			res := h.resend(req) // same Authorization, same nc
			wantStatus(t, res, 401)
			if !challenges(t, res)[0].Stale {
				t.Fatal("replay challenge lacks stale=true")
			}
		}},
		{name: "sha-256", configure: func(r *Registrar) { r.Auth.Algorithms = []string{"SHA-256"} }, run: func(t *testing.T, h *harness) {
			res := h.register(h.request("alice", contactA), "alice", "secret")
			wantStatus(t, res, 200)
		}},
		{name: "several contacts per device", run: func(t *testing.T, h *harness) {
			wantStatus(t, h.register(h.request("alice", contactA, contactB), "alice", "secret"), 200)
			res := h.register(h.request("alice", contactC+";expires=600"), "alice", "secret")
			wantStatus(t, res, 200)
			wantContacts(t, res, "127.0.0.1:6001 3600, 127.0.0.1:6002 3600, 127.0.0.1:6003 600")
		}},
		{name: "same instance and reg-id replaces", run: func(t *testing.T, h *harness) {
			inst := `;+sip.instance="<urn:uuid:00000000-0000-0000-0000-00000000000a>";reg-id=1`
			wantStatus(t, h.register(h.request("alice", contactA+inst), "alice", "secret"), 200)
			res := h.register(h.request("alice", contactB+inst), "alice", "secret")
			wantStatus(t, res, 200)
			wantContacts(t, res, "127.0.0.1:6002 3600")
			got := h.events.take()
			if fmt.Sprint(got) != "[registered alice-desk teams-desktop refreshed alice-desk teams-desktop]" {
				t.Fatalf("events = %q", got)
			}
			if c := contacts(res)[0]; c.Params.GetOr("reg-id", "") != "1" || !strings.Contains(c.Params.GetOr("+sip.instance", ""), "urn:uuid") {
				t.Fatalf("200 contact lacks instance/reg-id: %s", c.Value())
			}
		}},
		{name: "expires header and parameter", run: func(t *testing.T, h *harness) {
			req := h.request("alice", contactA, contactB+";expires=120", contactC+";expires=99999")
			req.AppendHeader(sip.NewHeader("Expires", "300"))
			res := h.register(req, "alice", "secret")
			wantStatus(t, res, 200)
			wantContacts(t, res, "127.0.0.1:6001 300, 127.0.0.1:6002 120, 127.0.0.1:6003 3600")
		}},
		{name: "interval too brief", run: func(t *testing.T, h *harness) {
			res := h.register(h.request("alice", contactA+";expires=30"), "alice", "secret")
			wantStatus(t, res, 423)
			if got := headerValue(res, "Min-Expires"); got != "60" {
				t.Fatalf("Min-Expires = %q, want 60", got)
			}
		}},
		{name: "expires 0 removes one", run: func(t *testing.T, h *harness) {
			wantStatus(t, h.register(h.request("alice", contactA, contactB), "alice", "secret"), 200)
			res := h.register(h.request("alice", contactA+";expires=0"), "alice", "secret")
			wantStatus(t, res, 200)
			wantContacts(t, res, "127.0.0.1:6002 3600")
			if got := h.events.take(); got[len(got)-1] != "removed alice-desk teams-desktop" {
				t.Fatalf("events = %q", got)
			}
		}},
		{name: "star removes all", run: func(t *testing.T, h *harness) {
			wantStatus(t, h.register(h.request("alice", contactA, contactB), "alice", "secret"), 200)
			bad := h.request("alice", "*")
			bad.AppendHeader(sip.NewHeader("Expires", "300"))
			wantStatus(t, h.register(bad, "alice", "secret"), 400)
			req := h.request("alice", "*")
			req.AppendHeader(sip.NewHeader("Expires", "0"))
			res := h.register(req, "alice", "secret")
			wantStatus(t, res, 200)
			wantContacts(t, res, "")
			if h.reg.Bindings.Registered("alice-desk", h.clock.Now()) {
				t.Fatal("still registered after *")
			}
		}},
		{name: "expiry by clock", run: func(t *testing.T, h *harness) {
			wantStatus(t, h.register(h.request("alice", contactA+";expires=60", contactB+";expires=120"), "alice", "secret"), 200)
			h.clock.Advance(61 * time.Second)
			if got := h.reg.Bindings.Contacts("alice-desk", h.clock.Now()); len(got) != 1 {
				t.Fatalf("live contacts after 61 s = %d, want 1", len(got))
			}
			if n := h.reg.Bindings.Prune(h.clock.Now()); n != 1 {
				t.Fatalf("Prune = %d, want 1", n)
			}
			if got := h.events.take(); got[len(got)-1] != "expired alice-desk teams-desktop" {
				t.Fatalf("events = %q", got)
			}
			res := h.register(h.request("alice"), "alice", "secret") // query
			wantStatus(t, res, 200)
			wantContacts(t, res, "127.0.0.1:6002 59")
		}},
		{name: "gruu", run: func(t *testing.T, h *harness) {
			inst := `;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"`
			req := h.request("alice", contactA+inst)
			req.AppendHeader(sip.NewHeader("Supported", "path, gruu"))
			res := h.register(req, "alice", "secret")
			wantStatus(t, res, 200)
			c := contacts(res)[0]
			// sipgo's parser splits quoted parameters on ';', so read the text.
			pub, temp := quotedParam(c.Value(), "pub-gruu"), quotedParam(c.Value(), "temp-gruu")
			if pub != "sip:alice@ocm.test;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6" {
				t.Fatalf("pub-gruu = %q", pub)
			}
			if !strings.HasPrefix(temp, "sip:tgruu.") || !strings.HasSuffix(temp, "@ocm.test;gr") {
				t.Fatalf("temp-gruu = %q", temp)
			}
			for _, g := range []string{pub, temp} {
				var u sip.Uri
				if err := sip.ParseUri(g, &u); err != nil {
					t.Fatal(err)
				}
				if b, ok := h.reg.Bindings.ByGRUU(u, h.clock.Now()); !ok || b.URI.Port != 6001 {
					t.Fatalf("ByGRUU(%s) = %v, %v", g, b.Contact, ok)
				}
			}
			// A refresh in the same Call-ID keeps the temporary GRUU.
			h.reauth(req, "secret", 2)
			res = h.resend(req)
			wantStatus(t, res, 200)
			if got := quotedParam(contacts(res)[0].Value(), "temp-gruu"); got != temp {
				t.Fatalf("temp-gruu changed on refresh: %q -> %q", temp, got)
			}
		}},
		{name: "path stored and echoed", run: func(t *testing.T, h *harness) {
			req := h.request("alice", contactA)
			req.AppendHeader(sip.NewHeader("Path", "<sip:edge1@10.0.0.1;lr>, <sip:edge2@10.0.0.2:5070;lr>"))
			req.AppendHeader(sip.NewHeader("Supported", "path"))
			res := h.register(req, "alice", "secret")
			wantStatus(t, res, 200)
			if got := headerValue(res, "Path"); got != "<sip:edge1@10.0.0.1;lr>, <sip:edge2@10.0.0.2:5070;lr>" {
				t.Fatalf("Path echoed = %q", got)
			}
			b := h.reg.Bindings.Contacts("alice-desk", h.clock.Now())[0]
			if len(b.Path) != 2 || b.Path[0].Host != "10.0.0.1" || b.Path[1].Port != 5070 {
				t.Fatalf("stored Path = %v", b.Path)
			}
			// Without Supported: path it is stored but not echoed.
			req = h.request("alice", contactB)
			req.AppendHeader(sip.NewHeader("Path", "<sip:edge1@10.0.0.1;lr>"))
			res = h.register(req, "alice", "secret")
			wantStatus(t, res, 200)
			if got := headerValue(res, "Path"); got != "" {
				t.Fatalf("Path echoed without Supported: path: %q", got)
			}
		}},
		{name: "strict path needs supported", configure: func(r *Registrar) { r.Path = PathStrict }, run: func(t *testing.T, h *harness) {
			req := h.request("alice", contactA)
			req.AppendHeader(sip.NewHeader("Path", "<sip:edge1@10.0.0.1;lr>"))
			res := h.register(req, "alice", "secret")
			wantStatus(t, res, 421)
			if got := headerValue(res, "Require"); got != "path" {
				t.Fatalf("Require = %q", got)
			}
		}},
		{name: "unknown required extension", run: func(t *testing.T, h *harness) {
			req := h.request("alice", contactA)
			req.AppendHeader(sip.NewHeader("Require", "path, foo, 100rel"))
			res := h.send(req)
			wantStatus(t, res, 420)
			if got := headerValue(res, "Unsupported"); got != "foo, 100rel" {
				t.Fatalf("Unsupported = %q", got)
			}
		}},
		{name: "to user mismatch", run: func(t *testing.T, h *harness) {
			req := h.request("alice", contactA)
			req.To().Address.User = "bob"
			wantStatus(t, h.register(req, "alice", "secret"), 403)
		}},
		{name: "account aor", run: func(t *testing.T, h *harness) {
			res := h.register(h.request("+14255550100", "<sip:bob@127.0.0.1:7000>"), "bob", "hunter2")
			wantStatus(t, res, 200)
			if b := h.reg.Bindings.Contacts("bob-phone", h.clock.Now()); len(b) != 1 || b[0].AOR != "sip:+14255550100@ocm.test" {
				t.Fatalf("bindings = %+v", b)
			}
		}},
		{name: "malformed contact", run: func(t *testing.T, h *harness) {
			for contact, reason := range map[string]string{
				contactA + ";expires=abc":  `Bad Contact: invalid expires "abc"`,
				contactA + ";q=2":          `Bad Contact: invalid q "2"`,
				"<tel:+14255550100>":       `Bad Contact: unsupported URI scheme "tel"`,
				contactA + ";reg-id=1":     "Bad Contact: reg-id without +sip.instance",
				"<sip:alice@127.0.0.1>;q=": `Bad Contact: invalid q ""`,
			} {
				res := h.register(h.request("alice", contact), "alice", "secret")
				if res.StatusCode != 400 || res.Reason != reason {
					t.Errorf("Contact %s: %d %q, want 400 %q", contact, res.StatusCode, res.Reason, reason)
				}
			}
			if h.reg.Bindings.Len() != 0 {
				t.Fatal("a refused REGISTER stored bindings")
			}
		}},
		{name: "out-of-order cseq", run: func(t *testing.T, h *harness) {
			req := h.request("alice", contactA)
			wantStatus(t, h.register(req, "alice", "secret"), 200) // CSeq 2 after the 401
			for i, step := range []struct {
				cseq uint32
				want int
			}{{2, 400}, {1, 400}, {3, 200}} {
				req.CSeq().SeqNo = step.cseq - 1 // resend adds one
				h.reauth(req, "secret", i+2)
				res := h.resend(req)
				wantStatus(t, res, step.want)
				if step.want == 400 && res.Reason != "Out-of-order CSeq" {
					t.Fatalf("reason = %q", res.Reason)
				}
			}
		}},
		{name: "retransmission answered again", run: func(t *testing.T, h *harness) {
			req := h.request("alice", contactA)
			wantStatus(t, h.register(req, "alice", "secret"), 200)
			h.reauth(req, "secret", 2)
			wantStatus(t, h.resend(req), 200) // CSeq 3, a new branch
			// The 200 was "lost": the same REGISTER again (same CSeq, Via
			// branch and credentials, nonce count included), from another
			// socket so that the test reads the answer. The transaction is
			// gone; the registrar must answer it as the transaction would.
			res := h.raw(req)
			wantStatus(t, res, 200)
			if got := contactSummary(res); !strings.Contains(got, "127.0.0.1:6001") {
				t.Fatalf("contacts %s", got)
			}
			// The same CSeq with another branch is a new request: out of order.
			via := req.Via()
			via.Params.Add("branch", sip.GenerateBranch())
			wantStatus(t, h.raw(req), 401) // its nonce count was used: stale, asked to authenticate again
			if h.reg.Bindings.Len() != 1 {
				t.Fatalf("%d bindings, want 1", h.reg.Bindings.Len())
			}
		}},
		{name: "kind feature tag", configure: func(r *Registrar) {
			r.TrustKind = func(a Account, kind string) (string, bool) {
				return kind, kind == "native-dialer" || kind == "teams-mobile"
			}
		}, run: func(t *testing.T, h *harness) {
			wantStatus(t, h.register(h.request("alice", contactA+`;+g.ocm.kind="native-dialer"`), "alice", "secret"), 200)
			b := h.reg.Bindings.Contacts("alice-desk", h.clock.Now())[0]
			if v, _ := b.Feature(KindTag); b.Kind != "native-dialer" || v != "native-dialer" {
				t.Fatalf("kind = %q, tag = %q", b.Kind, v)
			}
			res := h.register(h.request("alice", contactB+`;+g.ocm.kind="toaster"`), "alice", "secret")
			wantStatus(t, res, 403)
		}},
		{name: "auth disabled", configure: func(r *Registrar) { r.DisableAuth = true }, run: func(t *testing.T, h *harness) {
			wantStatus(t, h.send(h.request("alice", contactA)), 200)
			wantStatus(t, h.send(h.request("mallory", contactA)), 404)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.configure)
			tc.run(t, h)
		})
	}
}

// TestRegisterMalformedContactParser checks that with HeadersParsers a
// Contact sipgo cannot parse still gets a 400 instead of silence.
func TestRegisterMalformedContactParser(t *testing.T) {
	parser := sip.NewParser(sip.WithHeadersParsers(HeadersParsers()))
	h := newHarness(t, nil, sipgo.WithUserAgentParser(parser))
	for contact, reason := range map[string]string{
		"garbage":                 "Bad Contact: missing protocol scheme",
		"<sip:127.0.0.1:6001>, *": "Bad Contact: * must be the only Contact",
		"<>":                      "Bad Contact: empty URI",
	} {
		res := h.register(h.request("alice", contact), "alice", "secret")
		if res.StatusCode != 400 || res.Reason != reason {
			t.Errorf("Contact %s: %d %q, want 400 %q", contact, res.StatusCode, res.Reason, reason)
		}
	}
	res := h.register(h.request("alice", contactA+", "+contactB+";expires=60"), "alice", "secret")
	wantStatus(t, res, 200)
	wantContacts(t, res, "127.0.0.1:6001 3600, 127.0.0.1:6002 60")
}

// quotedParam returns the quoted value of parameter name in a header value.
func quotedParam(value, name string) string {
	_, rest, ok := strings.Cut(value, ";"+name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}
