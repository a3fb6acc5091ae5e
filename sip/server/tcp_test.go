package server

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/sip/proxy"
)

// listenUDPAndTCP serves UDP and TCP (on the same port when it can).
func listenUDPAndTCP(c *Config) {
	c.Listen = []Listen{{"udp", "127.0.0.1:0"}, {"tcp", "127.0.0.1:0"}}
}

// TestTCPCalls: UDP sockets run on internal/uatx and TCP ones on sipgo;
// calls crossing between them, in both directions, ring the device over
// the transport it registered on (its own connection for TCP), reach the
// caller's 200 over the caller's, and their ACK and BYE reach the device
// through the proxy along the Record-Route.
func TestTCPCalls(t *testing.T) {
	type dev struct{ id, transport string }
	cases := []struct {
		name      string
		caller    string // the trunk caller's transport
		register  []dev  // in order
		answer    string
		cancelled []string // devices that ring and get CANCEL
	}{
		{
			name: "device on TCP, trunk call over UDP", caller: "udp",
			register: []dev{{"ben-desk", "tcp"}}, answer: "ben-desk",
		},
		{
			name: "device on UDP, trunk call over TCP", caller: "tcp",
			register: []dev{{"ben-desk", "udp"}}, answer: "ben-desk",
		},
		{
			name: "device on TCP, trunk call over TCP", caller: "tcp",
			register: []dev{{"ben-desk", "tcp"}}, answer: "ben-desk",
		},
		{
			name: "mixed fork: the UDP device answers, the TCP one is cancelled", caller: "udp",
			register: []dev{{"ben-teams", "udp"}, {"ben-desk", "tcp"}},
			answer:   "ben-teams", cancelled: []string{"ben-desk"},
		},
		{
			name: "mixed fork: the TCP device answers, the UDP one is cancelled", caller: "tcp",
			register: []dev{{"ben-teams", "udp"}, {"ben-desk", "tcp"}},
			answer:   "ben-desk", cancelled: []string{"ben-teams"},
		},
		{
			name: "fork to two TCP devices: each rings on its own connection", caller: "udp",
			register: []dev{{"ben-teams", "tcp"}, {"ben-desk", "tcp"}},
			answer:   "ben-teams", cancelled: []string{"ben-desk"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, listenUDPAndTCP)
			if ts.Addr("tcp") == "" {
				t.Fatal("the server does not listen on TCP")
			}
			phones := map[string]*phone{}
			var ring []string
			for _, d := range tc.register {
				p := newPhoneOn(t, d.id, d.transport)
				p.mustRegister(t, ts)
				phones[d.id] = p
				ring = append(ring, d.id)
				bs := ts.Bindings().Contacts(d.id, time.Now())
				if len(bs) != 1 || !strings.EqualFold(bs[0].Transport, d.transport) {
					t.Fatalf("%s: bindings %+v, want one over %s", d.id, bs, d.transport)
				}
			}
			pstn := newPhoneOn(t, "pstn", tc.caller)
			c := pstn.dial(t, ts, "+12065550000", benNumber)

			rung := map[string]*incoming{}
			for _, id := range ring {
				in := phones[id].ringing(t)
				rung[id] = in
				wantTransport(t, id, "INVITE", in.req, phones[id].transport)
				if in.req.Recipient.User != id {
					t.Errorf("%s got the INVITE for %s", id, in.req.Recipient.String())
				}
			}
			rung[tc.answer].respond(200)
			res := c.final(t)
			if res.StatusCode != 200 {
				t.Fatalf("caller got %d %s, want 200", res.StatusCode, res.Reason)
			}
			wantTransport(t, "caller", "200", res, tc.caller)
			for _, id := range tc.cancelled {
				cancel := next(t, id, "CANCEL", phones[id].cancels)
				wantTransport(t, id, "CANCEL", cancel, phones[id].transport)
				if got := header(cancel, "Reason"); got != completedElsewhere {
					t.Errorf("%s: CANCEL Reason %q, want %q", id, got, completedElsewhere)
				}
			}

			// In-dialog requests pass the proxy along the Record-Route.
			winner := phones[tc.answer]
			if rr := header(res, "Record-Route"); rr == "" {
				t.Fatal("the 200 has no Record-Route")
			}
			if err := c.sess.Ack(ctxFor(t)); err != nil {
				t.Fatalf("ACK: %v", err)
			}
			ack := next(t, tc.answer, "ACK", winner.acks)
			wantTransport(t, tc.answer, "ACK", ack, winner.transport)
			if err := c.sess.Bye(ctxFor(t)); err != nil {
				t.Fatalf("BYE: %v", err)
			}
			bye := next(t, tc.answer, "BYE", winner.byes)
			wantTransport(t, tc.answer, "BYE", bye, winner.transport)

			rec := ts.waitCall(t)
			if rec.Outcome != proxy.OutcomeAnswered || rec.AnsweredBy != tc.answer {
				t.Errorf("call record: outcome %s by %q, want answered by %s", rec.Outcome, rec.AnsweredBy, tc.answer)
			}
			if got := branchDevices(rec); !sameSet(got, ring) {
				t.Errorf("branches %v, want %v", got, ring)
			}
			for _, p := range phones {
				p.silent(t)
			}
		})
	}
}

// wantTransport checks the transport a message arrived on.
func wantTransport(t *testing.T, who, what string, msg sip.Message, transport string) {
	t.Helper()
	if got := msg.Transport(); !strings.EqualFold(got, transport) {
		t.Errorf("%s: %s arrived over %s, want %s", who, what, got, transport)
	}
}
