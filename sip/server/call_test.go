package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"ocmsim/sip/proxy"
)

// completedElsewhere is the Reason on the losing branches' CANCELs.
const completedElsewhere = `SIP;cause=200;text="Call completed elsewhere"`

// devices registers a phone for each device id and returns them by id.
func devices(t *testing.T, ts *testServer, ids ...string) map[string]*phone {
	t.Helper()
	out := map[string]*phone{}
	for _, id := range ids {
		p := newPhone(t, id)
		p.mustRegister(t, ts)
		out[id] = p
	}
	return out
}

// TestInboundCallForks places trunk calls to tenant numbers: the policy
// decides which of the user's registered devices ring in parallel; the
// first to answer wins, the others get CANCEL with "completed elsewhere",
// and ACK and BYE follow the Record-Route through the proxy.
func TestInboundCallForks(t *testing.T) {
	cases := []struct {
		name     string
		number   string
		register []string // devices registered
		ring     []string // devices that must ring
		silent   []string // registered devices that must not ring
		answer   string
		policy   string
		fallback bool
	}{
		{
			name: "TeamsFirst rings Teams app and desktop, not the native dialer", number: benNumber,
			register: []string{"ben-teams", "ben-native", "ben-desk"},
			ring:     []string{"ben-teams", "ben-desk"}, silent: []string{"ben-native"},
			answer: "ben-teams", policy: "TeamsFirst",
		},
		{
			name: "NativeFirst rings native dialer and desktop, not the Teams app", number: annNumber,
			register: []string{"ann-teams", "ann-native", "ann-desk"},
			ring:     []string{"ann-native", "ann-desk"}, silent: []string{"ann-teams"},
			answer: "ann-desk", policy: "NativeFirst",
		},
		{
			name: "Teams app not registered: the native dialer rings instead", number: benNumber,
			register: []string{"ben-native", "ben-desk"},
			ring:     []string{"ben-native", "ben-desk"},
			answer:   "ben-native", policy: "TeamsFirst", fallback: true,
		},
		{
			name: "tel: Request-URI", number: "tel:" + annNumber,
			register: []string{"ann-native", "ann-desk"},
			ring:     []string{"ann-native", "ann-desk"},
			answer:   "ann-native", policy: "NativeFirst",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t)
			phones := devices(t, ts, tc.register...)
			pstn := newPhone(t, "pstn")
			var c *call
			if strings.HasPrefix(tc.number, "tel:") {
				c = pstn.dialURI(t, ts, "+12065550000", tc.number)
			} else {
				c = pstn.dial(t, ts, "+12065550000", tc.number)
			}
			rung := map[string]*incoming{}
			for _, id := range tc.ring {
				rung[id] = phones[id].ringing(t)
			}
			rung[tc.answer].respond(200)
			if res := c.final(t); res.StatusCode != 200 {
				t.Fatalf("caller got %d %s, want 200", res.StatusCode, res.Reason)
			}
			for _, id := range tc.ring {
				if id == tc.answer {
					continue
				}
				cancel := next(t, id, "CANCEL", phones[id].cancels)
				if got := header(cancel, "Reason"); got != completedElsewhere {
					t.Errorf("%s: CANCEL Reason %q, want %q", id, got, completedElsewhere)
				}
			}
			// In-dialog requests pass the proxy along the Record-Route.
			if err := c.sess.Ack(ctxFor(t)); err != nil {
				t.Fatalf("ACK: %v", err)
			}
			next(t, tc.answer, "ACK", phones[tc.answer].acks)
			if err := c.sess.Bye(ctxFor(t)); err != nil {
				t.Fatalf("BYE: %v", err)
			}
			next(t, tc.answer, "BYE", phones[tc.answer].byes)

			rec := ts.waitCall(t)
			if rec.Outcome != proxy.OutcomeAnswered || rec.AnsweredBy != tc.answer {
				t.Errorf("call record: outcome %s by %q, want answered by %s", rec.Outcome, rec.AnsweredBy, tc.answer)
			}
			if rec.Labels["policy"] != tc.policy || (rec.Labels["fallback"] == "true") != tc.fallback {
				t.Errorf("labels %v, want policy %s, fallback %v", rec.Labels, tc.policy, tc.fallback)
			}
			if got := branchDevices(rec); !sameSet(got, tc.ring) {
				t.Errorf("branches %v, want %v", got, tc.ring)
			}
			for _, id := range tc.silent {
				phones[id].silent(t)
			}
		})
	}
}

// TestInboundRefusals: numbers that cannot ring are refused with a code
// and a Reason (and Warning) naming the cause.
func TestInboundRefusals(t *testing.T) {
	cases := []struct {
		name   string
		number string
		status int
		reason string // substring of the Reason header
		code   string // routing code in the Warning, "" for none
	}{
		{"porting", portingNumber, 480, "ported", "number-porting"},
		{"suspended operator", suspendedNumber, 403, "suspended", "operator-suspended"},
		{"unknown number", unknownNumber, 404, "not found", ""},
		{"unassigned number", unassigned, 404, "not assigned", "number-unassigned"},
		{"no registered device", annNumber, 480, "No device", ""},
	}
	ts := startServer(t)
	pstn := newPhone(t, "pstn")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := pstn.dial(t, ts, "+12065550000", tc.number).final(t)
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s, want %d", res.StatusCode, res.Reason, tc.status)
			}
			reason := header(res, "Reason")
			if !strings.HasPrefix(reason, "SIP;cause=") || !strings.Contains(strings.ToLower(reason), strings.ToLower(tc.reason)) {
				t.Errorf("Reason %q, want one naming %q", reason, tc.reason)
			}
			if w := header(res, "Warning"); tc.code != "" && !strings.Contains(w, tc.code) {
				t.Errorf("Warning %q, want it to name %s", w, tc.code)
			}
			rec := ts.waitCall(t)
			if rec.Outcome != proxy.OutcomeRefused || rec.Status != tc.status {
				t.Errorf("call record: %s %d, want refused %d", rec.Outcome, rec.Status, tc.status)
			}
		})
	}
}

// TestDeviceCalls: a device's INVITE is challenged with 407, then routed
// like a trunk call (to a tenant number or user) or to the outbound trunk,
// with the caller's number asserted in P-Asserted-Identity.
func TestDeviceCalls(t *testing.T) {
	const annPAI = "<sip:" + annNumber + "@ocm.test;user=phone>"
	cases := []struct {
		name   string
		to     string
		ring   []string // tenant devices, or "trunk"
		answer string
		user   string // Request-URI user the answering side sees ("" any)
	}{
		{"to a tenant number", benNumber, []string{"ben-teams", "ben-desk"}, "ben-desk", ""},
		{"to a tenant user by name", "ben", []string{"ben-teams", "ben-desk"}, "ben-teams", ""},
		{"to an outside number via the outbound trunk", outsideNumber, []string{"trunk"}, "trunk", outsideNumber},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			trunk := newPhone(t, "trunk")
			ts := startServer(t, func(c *Config) { c.OutboundTrunk = trunk.addr })
			phones := devices(t, ts, "ben-teams", "ben-desk")
			phones["trunk"] = trunk
			desk := newPhone(t, "ann-desk")
			c := desk.dial(t, ts, "ann-desk", tc.to, "ann-desk", "desk-secret")
			rung := map[string]*incoming{}
			for _, id := range tc.ring {
				in := phones[id].ringing(t)
				rung[id] = in
				if got := header(in.req, "P-Asserted-Identity"); got != annPAI {
					t.Errorf("%s: P-Asserted-Identity %q, want %q", id, got, annPAI)
				}
				if tc.user != "" && in.req.Recipient.User != tc.user {
					t.Errorf("%s: Request-URI %s, want user %s", id, in.req.Recipient.String(), tc.user)
				}
			}
			rung[tc.answer].respond(200)
			if res := c.final(t); res.StatusCode != 200 {
				t.Fatalf("caller got %d %s, want 200", res.StatusCode, res.Reason)
			}
			seen := slices.DeleteFunc(c.seen(), func(s int) bool { return s < 200 })
			if !slices.Equal(seen, []int{407, 200}) {
				t.Errorf("final responses %v, want a 407 challenge, then 200", seen)
			}
			if err := c.sess.Ack(ctxFor(t)); err != nil {
				t.Fatal(err)
			}
			next(t, tc.answer, "ACK", phones[tc.answer].acks)
			if err := c.sess.Bye(ctxFor(t)); err != nil {
				t.Fatal(err)
			}
			next(t, tc.answer, "BYE", phones[tc.answer].byes)
			rec := ts.waitCall(t)
			if rec.AnsweredBy != tc.answer {
				t.Errorf("answered by %q, want %s", rec.AnsweredBy, tc.answer)
			}
		})
	}
}

// TestDeviceCallWrongPassword: a device that cannot authenticate never
// gets past the 407.
func TestDeviceCallWrongPassword(t *testing.T) {
	ts := startServer(t)
	ben := devices(t, ts, "ben-desk")["ben-desk"]
	desk := newPhone(t, "ann-desk")
	res := desk.dial(t, ts, "ann-desk", benNumber, "ann-desk", "wrong").final(t)
	if res.StatusCode != 407 {
		t.Fatalf("got %d %s, want 407", res.StatusCode, res.Reason)
	}
	ben.silent(t)
}

func branchDevices(rec proxy.CallRecord) []string {
	var out []string
	for _, b := range rec.Branches {
		if !slices.Contains(out, b.Device) {
			out = append(out, b.Device)
		}
	}
	return out
}

// dialURI sends an INVITE for a raw Request-URI (e.g. tel:) to the server.
func (p *phone) dialURI(t *testing.T, ts *testServer, fromUser, uri string) *call {
	t.Helper()
	var u sip.Uri
	if err := sip.ParseUri(uri, &u); err != nil {
		t.Fatal(err)
	}
	return p.dialTo(t, ts, fromUser, u)
}
