package proxy

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestUnansweredDelay(t *testing.T) {
	t.Run("forks to the unanswered target", func(t *testing.T) {
		a := newDevice(t, "a", behaviour{})
		b := newDevice(t, "b", behaviour{})
		vm := newDevice(t, "vm", behaviour{AnswerAfter: 10 * time.Millisecond})
		e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), b.branch()},
			UnansweredDelay: 80 * time.Millisecond, Unanswered: []Branch{vm.branch()}}})
		oc := newCaller(t).invite(t, "100", e.addr())
		res, _ := oc.final(t)
		must(t, res.StatusCode == 200 && res.Contact().Address.User == "vm", "final %s", res.StartLine())
		for _, d := range []*device{a, b} {
			c := d.wait(t, sip.CANCEL)
			must(t, header(c, "Reason") == "", "%s: Reason %q", d.name, header(c, "Reason"))
		}
		oc.ack(t, res)
		vm.wait(t, sip.ACK)
		rec := e.waitCall(t)
		must(t, rec.AnsweredBy == "vm" && branchRec(t, rec, "vm").Role == RoleUnanswered, "record %+v", rec)
		oc.request(t, res, sip.BYE)
	})
	t.Run("answers 480 without a target", func(t *testing.T) {
		a := newDevice(t, "a", behaviour{})
		e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch()}, UnansweredDelay: 50 * time.Millisecond}})
		res, _ := newCaller(t).invite(t, "100", e.addr()).final(t)
		must(t, res.StatusCode == 480, "final %d", res.StatusCode)
		c := a.wait(t, sip.CANCEL)
		must(t, header(c, "Reason") == "", "Reason %q", header(c, "Reason"))
		rec := e.waitCall(t)
		must(t, rec.Outcome == OutcomeUnanswered && rec.Status == 480, "record %+v", rec)
	})
}

func TestInDialogRequestsFollowRecordRoute(t *testing.T) {
	a := newDevice(t, "a", behaviour{AnswerAfter: 10 * time.Millisecond})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch()}}})
	oc := newCaller(t).invite(t, "100", e.addr())
	res, _ := oc.final(t)
	rr := res.RecordRoute()
	must(t, rr != nil && rr.Address.Port == e.node.port && rr.Address.UriParams.Has("lr"), "Record-Route %v", rr)

	oc.ack(t, res)
	passed := func(req *sip.Request) {
		t.Helper()
		must(t, len(req.GetHeaders("Via")) == 2, "%s did not pass the proxy: Via %v", req.Method, req.GetHeaders("Via"))
		must(t, req.Route() == nil, "%s still carries Route %v", req.Method, req.Route())
	}
	passed(a.wait(t, sip.ACK))
	for _, m := range []sip.RequestMethod{sip.INVITE, sip.UPDATE, sip.INFO} {
		r := oc.request(t, res, m)
		must(t, r.StatusCode == 200, "%s: %d", m, r.StatusCode)
		passed(a.wait(t, m))
		if m == sip.INVITE {
			oc.ack(t, res)
			passed(a.wait(t, sip.ACK))
		}
	}
	must(t, oc.request(t, res, sip.BYE).StatusCode == 200, "BYE")
	passed(a.wait(t, sip.BYE))
	e.waitCall(t)
}

func TestCalleeByeReachesCaller(t *testing.T) {
	a := newDevice(t, "a", behaviour{AnswerAfter: 10 * time.Millisecond})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch()}}})
	cl := newCaller(t)
	oc := cl.invite(t, "100", e.addr())
	res, _ := oc.final(t)
	oc.ack(t, res)
	a.wait(t, sip.ACK)
	must(t, a.bye(t).StatusCode == 200, "callee BYE")
	select {
	case bye := <-cl.byes:
		must(t, len(bye.GetHeaders("Via")) == 2, "BYE did not pass the proxy: Via %v", bye.GetHeaders("Via"))
	case <-time.After(waitFor):
		t.Fatal("caller got no BYE")
	}
	e.waitCall(t)
}

func TestInDialogReachesDeviceBehindNAT(t *testing.T) {
	private := newNode(t) // bound, never read: the device's unroutable contact
	t.Cleanup(func() { private.conn.Close(); private.ua.Close() })
	contact := private.uri("a")
	a := newDevice(t, "a", behaviour{AnswerAfter: 10 * time.Millisecond, Contact: &contact})
	br := Branch{Device: "a", URI: contact, Destination: a.addr}
	e := newTestProxy(t, plans{"100": {Branches: []Branch{br}}})
	cl := newCaller(t)
	oc := cl.invite(t, "100", e.addr())
	res, _ := oc.final(t)
	must(t, res.StatusCode == 200 && res.Contact().Address.Port == private.port, "final %s", res.StartLine())
	oc.ack(t, res)
	a.wait(t, sip.ACK)
	must(t, oc.request(t, res, sip.INFO).StatusCode == 200, "INFO")
	a.wait(t, sip.INFO)
	must(t, a.bye(t).StatusCode == 200, "callee BYE")
	select {
	case <-cl.byes:
	case <-time.After(waitFor):
		t.Fatal("caller got no BYE")
	}
	e.waitCall(t)
}

func TestMaxForwards(t *testing.T) {
	a := newDevice(t, "a", behaviour{Reject: 486})
	b := newDevice(t, "b", behaviour{Reject: 486})
	c := newDevice(t, "c", behaviour{Reject: 486})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), b.branch(), c.branch()}}})
	cl := newCaller(t)

	zero := sip.MaxForwardsHeader(0)
	res, _ := cl.invite(t, "100", e.addr(), &zero).final(t)
	must(t, res.StatusCode == 483, "Max-Forwards 0: %d", res.StatusCode)

	ten := sip.MaxForwardsHeader(10)
	res, _ = cl.invite(t, "100", e.addr(), &ten).final(t)
	must(t, res.StatusCode == 486, "final %d", res.StatusCode)
	for _, d := range []*device{a, b, c} {
		got := d.wait(t, sip.INVITE).MaxForwards().Val()
		must(t, got == 9, "%s: Max-Forwards %d, want 9 on every branch", d.name, got)
	}
	e.waitCall(t)
}

func TestLoopDetected(t *testing.T) {
	a := newDevice(t, "a", behaviour{AnswerAfter: 10 * time.Millisecond})
	// Same Request-URI back to ourselves: a loop. A new one: a spiral.
	loc := LocatorFunc(func(_ context.Context, req *sip.Request) Plan {
		self := func(user string) Branch {
			u := req.Recipient
			u.User = user
			return Branch{Device: "proxy", URI: u}
		}
		switch req.Recipient.User {
		case "loop":
			return Plan{Branches: []Branch{self("loop")}}
		case "100":
			return Plan{Branches: []Branch{self("spiral")}}
		case "spiral":
			return Plan{Branches: []Branch{a.branch()}}
		}
		return Plan{}
	})
	e := newTestProxy(t, loc)

	cl := newCaller(t)
	res, _ := cl.invite(t, "loop", e.addr()).final(t)
	must(t, res.StatusCode == 482, "loop: %d", res.StatusCode)

	oc := cl.invite(t, "100", e.addr())
	res, _ = oc.final(t)
	must(t, res.StatusCode == 200, "spiral: %d", res.StatusCode)
	must(t, len(res.GetHeaders("Record-Route")) == 2, "spiral Record-Route %v", res.GetHeaders("Record-Route"))
	oc.ack(t, res)
	a.wait(t, sip.ACK)
	must(t, oc.request(t, res, sip.BYE).StatusCode == 200, "BYE")
}

func TestRefusals(t *testing.T) {
	loc := plans{
		"suspended": {Refusal: &Refusal{Status: 403, Reason: "Operator suspended", Warning: "tenant contoso suspended"}},
		"empty":     {},
	}
	e := newTestProxy(t, loc)
	noLoc := newTestProxy(t, nil)
	cl := newCaller(t)
	tests := []struct {
		name, number, addr string
		status             int
		reason             string
	}{
		{"refusal with reason and warning", "suspended", e.addr(), 403, `SIP;cause=403;text="Operator suspended"`},
		{"unknown number", "999", e.addr(), 404, `SIP;cause=404;text="Number not found"`},
		{"no branches", "empty", e.addr(), 480, `SIP;cause=480;text="Temporarily Unavailable"`},
		{"no locator", "100", noLoc.addr(), 404, `SIP;cause=404;text="Not Found"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := cl.invite(t, tt.number, tt.addr).final(t)
			must(t, res.StatusCode == tt.status, "status %d, want %d", res.StatusCode, tt.status)
			must(t, header(res, "Reason") == tt.reason, "Reason %q, want %q", header(res, "Reason"), tt.reason)
		})
	}
	res, _ := cl.invite(t, "suspended", e.addr()).final(t)
	must(t, res.Reason == "Operator suspended", "reason phrase %q", res.Reason)
	must(t, strings.Contains(header(res, "Warning"), `"tenant contoso suspended"`), "Warning %q", header(res, "Warning"))
}

func TestRetransmitted2xxRelayed(t *testing.T) {
	a := newDevice(t, "a", behaviour{AnswerAfter: 10 * time.Millisecond, Retransmit2xx: 2})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch()}}})
	oc := newCaller(t).invite(t, "100", e.addr())
	res, _ := oc.final(t)
	for range 2 {
		again, _ := oc.final(t)
		must(t, again.StatusCode == 200 && toTag(again) == toTag(res), "retransmission %s", again.StartLine())
	}
	oc.ack(t, res)
	oc.request(t, res, sip.BYE)
	e.waitCall(t)
}

func TestTimerC(t *testing.T) {
	a := newDevice(t, "a", behaviour{})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch()}}}, func(p *Proxy) { p.TimerC = 100 * time.Millisecond })
	res, _ := newCaller(t).invite(t, "100", e.addr()).final(t)
	must(t, res.StatusCode == 408, "final %d", res.StatusCode)
	c := a.wait(t, sip.CANCEL)
	must(t, header(c, "Reason") == "", "Reason %q", header(c, "Reason"))
	e.waitCall(t)
}

// TestTimerCPerBranch: one Timer C per call still runs from each branch's
// own last progress: the silent branch ends 408 at Timer C, the one that
// rang later is cancelled later.
func TestTimerCPerBranch(t *testing.T) {
	const timerC = 150 * time.Millisecond
	ringing := newDevice(t, "ringing", behaviour{RingAfter: 80 * time.Millisecond})
	silent := newDevice(t, "silent", behaviour{RingAfter: -1})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{ringing.branch(), silent.branch()}}},
		func(p *Proxy) { p.TimerC = timerC })
	res, _ := newCaller(t).invite(t, "100", e.addr()).final(t)
	must(t, res.StatusCode == 408, "final %d", res.StatusCode)
	ringing.wait(t, sip.CANCEL)
	rec := e.waitCall(t)
	must(t, len(rec.Branches) == 2, "branches %+v", rec.Branches)
	r, s := rec.Branches[0], rec.Branches[1]
	must(t, s.Status == 408 && s.CancelledAt.IsZero(), "silent branch %+v", s)
	must(t, r.CancelSent && r.CancelledAt.Sub(r.ProvisionalAt) >= timerC, "ringing branch %+v", r)
	must(t, r.CancelledAt.After(s.FinalAt), "ringing branch cancelled at %v, before the silent one ended at %v", r.CancelledAt, s.FinalAt)
}

func TestAdmitHook(t *testing.T) {
	a := newDevice(t, "a", behaviour{})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch()}}}, func(p *Proxy) {
		p.Admit = func(req *sip.Request) (bool, *sip.Response) {
			res := sip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
			res.AppendHeader(sip.NewHeader("Proxy-Authenticate", `Digest realm="ocm", nonce="n"`))
			return false, res
		}
	})
	res, _ := newCaller(t).invite(t, "100", e.addr()).final(t)
	must(t, res.StatusCode == 407 && header(res, "Proxy-Authenticate") != "", "final %s", res.StartLine())
	must(t, a.count(sip.INVITE) == 0 && len(e.Recent(10)) == 0, "admission failure forked or was recorded")
}

func TestRecentIsBoundedNewestFirst(t *testing.T) {
	e := newTestProxy(t, plans{}, func(p *Proxy) { p.RecentSize = 2 })
	cl := newCaller(t)
	var ids []string
	for range 3 {
		oc := cl.invite(t, "404", e.addr())
		oc.final(t)
		ids = append(ids, e.waitCall(t).CallID)
	}
	got := e.Recent(10)
	must(t, len(got) == 2 && got[0].CallID == ids[2] && got[1].CallID == ids[1], "recent %v, ids %v", got, ids)
}

func TestStrayRequests(t *testing.T) {
	e := newTestProxy(t, plans{})
	cl := newCaller(t)
	do := func(req *sip.Request) int {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		res, err := cl.client.Do(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", req.Method, err)
		}
		return res.StatusCode
	}
	self := e.node.uri("")
	cancelReq := sip.NewRequest(sip.CANCEL, self)
	must(t, do(cancelReq) == 481, "unmatched CANCEL")
	must(t, do(sip.NewRequest(sip.OPTIONS, self)) == 200, "OPTIONS to the proxy")
	must(t, do(sip.NewRequest(sip.MESSAGE, e.node.uri("100"))) == 404, "out-of-dialog MESSAGE")
	bye := sip.NewRequest(sip.BYE, self)
	to := &sip.ToHeader{Address: self}
	to.Params.Add("tag", "x")
	bye.AppendHeader(to)
	must(t, do(bye) == 481, "in-dialog BYE for us")
}

func TestMalformedInputIsSurvived(t *testing.T) {
	a := newDevice(t, "a", behaviour{AnswerAfter: 5 * time.Millisecond})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), {Device: "bad"}}}})
	conn, err := net.Dial("udp", e.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, msg := range []string{
		"\x00\x01garbage",
		"INVITE sip:100@127.0.0.1 SIP/2.0\r\n\r\n",
		"INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK.x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
		"ACK sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK.y\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK.z\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
	} {
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	// Still serving; the branch without a URI fails as a transport error.
	oc := newCaller(t).invite(t, "100", e.addr())
	res, _ := oc.final(t)
	must(t, res.StatusCode == 200, "final %d", res.StatusCode)
	oc.ack(t, res)
	oc.request(t, res, sip.BYE)
	must(t, branchRec(t, e.waitCall(t), "bad").Status == 503, "bad branch")
}
