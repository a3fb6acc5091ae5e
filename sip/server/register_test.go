package server

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/explain"

	"ocmsim/internal/fakeclock"
)

// TestRegister registers devices with digest auth in both algorithms.
func TestRegister(t *testing.T) {
	for _, alg := range []string{"MD5", "SHA-256"} {
		t.Run(alg, func(t *testing.T) {
			ts := startServer(t, func(c *Config) { c.Algorithms = []string{alg} })
			desk := newPhone(t, "ann-desk")
			challenge, res := desk.register(t, ts, "ann-desk", "desk-secret")
			if challenge.StatusCode != 401 {
				t.Fatalf("first REGISTER: %d, want 401", challenge.StatusCode)
			}
			if h := header(challenge, "WWW-Authenticate"); !strings.Contains(h, "algorithm="+alg) {
				t.Errorf("challenge %q does not offer %s", h, alg)
			}
			if res.StatusCode != 200 {
				t.Fatalf("REGISTER with credentials: %d %s", res.StatusCode, res.Reason)
			}
			want := desk.contact()
			if got := contactURIs(res); !slices.Equal(got, []string{want.String()}) {
				t.Errorf("200 lists contacts %v, want %v", got, want.String())
			}
			regs := ts.Registrations()
			if len(regs) != 1 || regs[0].Device != "ann-desk" || regs[0].Kind != "teams-desktop" {
				t.Errorf("registrations = %+v, want ann-desk as teams-desktop", regs)
			}
		})
	}
}

// TestRegisterContacts: several contacts for one device, listed in every
// 200, and removed by Expires: 0 or by time.
func TestRegisterContacts(t *testing.T) {
	clk := fakeclock.New(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	ts := startServer(t, func(c *Config) { c.Now = clk.Now })
	a, b := newPhone(t, "ann-teams"), newPhone(t, "ann-teams-2")
	a.mustRegister(t, ts)
	_, res := b.register(t, ts, "ann-teams", password)
	ca, cb := a.contact(), b.contact()
	if got := contactURIs(res); !sameSet(got, []string{ca.String(), cb.String()}) {
		t.Fatalf("200 lists %v, want both contacts", got)
	}
	regs := ts.Registrations()
	if len(regs) != 2 || regs[0].Device != "ann-teams" || regs[1].Device != "ann-teams" || regs[0].Kind != "teams-mobile" {
		t.Fatalf("registrations = %+v, want two ann-teams contacts (teams-mobile)", regs)
	}

	// Expires: 0 removes one contact; the 200 lists the other.
	_, res = b.register(t, ts, "ann-teams", password, "<"+cb.String()+">;expires=0")
	if got := contactURIs(res); !slices.Equal(got, []string{ca.String()}) {
		t.Fatalf("after removing one: 200 lists %v, want %v", got, ca.String())
	}
	if got := expiresOf(res); got != "3600" {
		t.Errorf("remaining contact expires=%q, want 3600 (default)", got)
	}

	// Time passes beyond the expiry: the device is no longer reachable.
	clk.Advance(3601 * time.Second)
	if regs := ts.Registrations(); len(regs) != 0 {
		t.Errorf("after expiry: registrations = %+v, want none", regs)
	}
	if v := ts.Explain(annNumber); slices.ContainsFunc(v.Rings, func(d explain.Device) bool { return d.ID == "ann-teams" }) {
		t.Errorf("explain after expiry still rings ann-teams: %+v", v.Rings)
	}
}

// TestRegisterUnknownUserLooksLikeWrongPassword: the 401 for an unknown
// user is indistinguishable from the one for a wrong password.
func TestRegisterUnknownUserLooksLikeWrongPassword(t *testing.T) {
	ts := startServer(t)
	p := newPhone(t, "ann-desk")
	_, wrong := p.register(t, ts, "ann-desk", "not-the-password")
	_, unknown := p.register(t, ts, "mallory", "whatever")
	if wrong.StatusCode != 401 || unknown.StatusCode != 401 {
		t.Fatalf("statuses: wrong password %d, unknown user %d; want 401 both", wrong.StatusCode, unknown.StatusCode)
	}
	if wrong.Reason != unknown.Reason {
		t.Errorf("reason phrases differ: %q vs %q", wrong.Reason, unknown.Reason)
	}
	if w, u := shape(wrong), shape(unknown); w != u {
		t.Errorf("responses differ:\nwrong password: %s\nunknown user:   %s", w, u)
	}
}

// TestRegisterBadContact: a REGISTER whose Contact does not parse reaches
// the registrar (the transport leaves Contact alone) and gets 400 naming it,
// instead of being dropped.
func TestRegisterBadContact(t *testing.T) {
	ts := startServer(t)
	p := newPhone(t, "ben-desk")
	_, res := p.register(t, ts, "ben-desk", password, "<sip:ben-desk@")
	if res.StatusCode != 400 || !strings.Contains(res.Reason, "Contact") {
		t.Fatalf("got %d %s, want 400 naming the Contact", res.StatusCode, res.Reason)
	}
}

// shape renders a response's header names and challenges with the
// per-request values (tags, nonces, Call-ID, Via) blanked.
func shape(res *sip.Response) string {
	var b strings.Builder
	blank := regexp.MustCompile(`(nonce|opaque|tag|branch|received|rport)=("[^"]*"|[^;, ]*)`)
	for _, h := range res.Headers() {
		v := h.Value()
		switch strings.ToLower(h.Name()) {
		case "call-id", "from", "to", "via", "cseq", "content-length":
			v = "-"
		}
		b.WriteString(h.Name() + ": " + blank.ReplaceAllString(v, "$1=*") + "\n")
	}
	return b.String()
}

func contactURIs(res *sip.Response) []string {
	var out []string
	for _, h := range res.GetHeaders("Contact") {
		c := &sip.ContactHeader{}
		if _, err := sip.ParseAddressValue(h.Value(), &c.Address, &c.Params); err == nil {
			c.Address.UriParams = nil
			out = append(out, c.Address.String())
		}
	}
	return out
}

func expiresOf(res *sip.Response) string {
	for _, h := range res.GetHeaders("Contact") {
		c := &sip.ContactHeader{}
		if _, err := sip.ParseAddressValue(h.Value(), &c.Address, &c.Params); err == nil {
			v, _ := c.Params.Get("expires")
			return v
		}
	}
	return ""
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
