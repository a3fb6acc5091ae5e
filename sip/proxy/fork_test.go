package proxy

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestTryingSentAtOnce(t *testing.T) {
	a := newDevice(t, "a", behaviour{RingAfter: 300 * time.Millisecond})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch()}}})
	oc := newCaller(t).invite(t, "100", e.addr())

	// TestMain sets sipgo's Timer_1xx to a minute: this 100 is the proxy's.
	res := oc.next(t)
	must(t, res.StatusCode == 100, "first response %d, want 100", res.StatusCode)
	must(t, len(a.trace()) == 0 || a.trace()[0] == "<-INVITE", "device trace %v", a.trace())
	oc.cancel(t)
	e.waitCall(t)
}

func TestRingingRelayedWithOwnToTags(t *testing.T) {
	a := newDevice(t, "a", behaviour{})
	b := newDevice(t, "b", behaviour{})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), b.branch()}}})
	oc := newCaller(t).invite(t, "100", e.addr())

	tags := map[string]bool{}
	for len(tags) < 2 {
		res := oc.next(t)
		if res.StatusCode == 180 {
			must(t, toTag(res) != "", "180 without To-tag")
			tags[toTag(res)] = true
		}
	}
	oc.cancel(t)
	rec := e.waitCall(t)
	must(t, rec.PostDialDelay > 0, "post-dial delay %v", rec.PostDialDelay)
}

func TestFirstAnswerWinsOthersCancelledCompletedElsewhere(t *testing.T) {
	a := newDevice(t, "a", behaviour{AnswerAfter: 60 * time.Millisecond})
	b := newDevice(t, "b", behaviour{})
	c := newDevice(t, "c", behaviour{})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), b.branch(), c.branch()}, Labels: map[string]string{"policy": "teams"}}})
	oc := newCaller(t).invite(t, "100", e.addr())

	res, prov := oc.final(t)
	must(t, res.StatusCode == 200, "final %d", res.StatusCode)
	must(t, res.Contact().Address.User == "a", "answered by %s", res.Contact().Address.User)
	rung := 0
	for _, p := range prov {
		if p.StatusCode == 180 {
			rung++
		}
	}
	must(t, rung == 3, "caller got %d 180s, want 3", rung)
	for _, d := range []*device{b, c} {
		cancel := d.wait(t, sip.CANCEL)
		must(t, header(cancel, "Reason") == CompletedElsewhere, "%s: Reason %q", d.name, header(cancel, "Reason"))
	}
	oc.ack(t, res)
	a.wait(t, sip.ACK)
	bye := oc.request(t, res, sip.BYE)
	must(t, bye.StatusCode == 200, "BYE %d", bye.StatusCode)
	a.wait(t, sip.BYE)
	must(t, a.count(sip.CANCEL) == 0, "winner got a CANCEL")

	rec := e.waitCall(t)
	must(t, rec.Outcome == OutcomeAnswered && rec.AnsweredBy == "a" && rec.Status == 200, "record %+v", rec)
	must(t, rec.Labels["policy"] == "teams", "labels %v", rec.Labels)
	must(t, rec.AnswerDelay >= rec.PostDialDelay && rec.PostDialDelay > 0, "delays %v %v", rec.PostDialDelay, rec.AnswerDelay)
	for _, name := range []string{"b", "c"} {
		br := branchRec(t, rec, name)
		must(t, br.CancelReason == CompletedElsewhere && br.CancelSent && br.Status == 487, "%s: %+v", name, br)
	}
	must(t, branchRec(t, rec, "a").CancelledAt.IsZero(), "winner marked cancelled")
	must(t, len(e.Recent(10)) == 1, "recent %d", len(e.Recent(10)))
	must(t, len(e.branches) == 3, "observer saw %d ended branches, want 3", len(e.branches))
}

func TestLateSecondAnswerRelayedAndReachable(t *testing.T) {
	a := newDevice(t, "a", behaviour{AnswerAfter: 30 * time.Millisecond})
	// b sends no provisional, so its CANCEL stays queued and its 200 wins the race.
	b := newDevice(t, "b", behaviour{RingAfter: -1, AnswerAfter: 150 * time.Millisecond})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), b.branch()}}})
	oc := newCaller(t).invite(t, "100", e.addr())

	first, _ := oc.final(t)
	must(t, first.StatusCode == 200 && first.Contact().Address.User == "a", "first final %v", first.StartLine())
	second, _ := oc.final(t)
	must(t, second.StatusCode == 200 && second.Contact().Address.User == "b", "second final %v", second.StartLine())
	must(t, toTag(first) != toTag(second), "same To-tag on both 2xx")

	for _, x := range []struct {
		d   *device
		res *sip.Response
	}{{a, first}, {b, second}} {
		oc.ack(t, x.res)
		ack := x.d.wait(t, sip.ACK)
		must(t, toTag(ack) == toTag(x.res), "%s: ACK To-tag %q", x.d.name, toTag(ack))
		bye := oc.request(t, x.res, sip.BYE)
		must(t, bye.StatusCode == 200, "%s: BYE %d", x.d.name, bye.StatusCode)
		x.d.wait(t, sip.BYE)
	}
	must(t, b.count(sip.CANCEL) == 0, "b got a CANCEL without a provisional")
	br := branchRec(t, e.waitCall(t), "b")
	must(t, !br.CancelledAt.IsZero() && !br.CancelSent && br.Status == 200, "b: %+v", br)
}

func TestGlobalFailureCancelsAllAndIsRelayed(t *testing.T) {
	a := newDevice(t, "a", behaviour{Reject: 603, RejectAfter: 40 * time.Millisecond})
	b := newDevice(t, "b", behaviour{})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), b.branch()}}})
	oc := newCaller(t).invite(t, "100", e.addr())

	res, _ := oc.final(t)
	must(t, res.StatusCode == 603, "final %d", res.StatusCode)
	cancel := b.wait(t, sip.CANCEL)
	must(t, header(cancel, "Reason") == `SIP;cause=603;text="Test 603"`, "Reason %q", header(cancel, "Reason"))
	rec := e.waitCall(t)
	must(t, rec.Outcome == OutcomeFailed && rec.Status == 603, "record %+v", rec)
}

func TestBestFinalResponseWhenAllFail(t *testing.T) {
	tests := []struct {
		name   string
		finals []behaviour
		want   int
	}{
		{"lowest class wins", []behaviour{{Reject: 503, RejectAfter: 10 * time.Millisecond}, {Reject: 486, RejectAfter: 40 * time.Millisecond}}, 486},
		{"503 becomes 500", []behaviour{{Reject: 503, RejectAfter: 10 * time.Millisecond}}, 500},
		{"preferred 4xx", []behaviour{{Reject: 486, RejectAfter: 10 * time.Millisecond}, {Reject: 484, RejectAfter: 40 * time.Millisecond}}, 484},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var branches []Branch
			for i, b := range tt.finals {
				branches = append(branches, newDevice(t, string(rune('a'+i)), b).branch())
			}
			e := newTestProxy(t, plans{"100": {Branches: branches}})
			res, _ := newCaller(t).invite(t, "100", e.addr()).final(t)
			must(t, res.StatusCode == tt.want, "final %d, want %d", res.StatusCode, tt.want)
			e.waitCall(t)
		})
	}
}

func TestAuthChallengesMerged(t *testing.T) {
	a := newDevice(t, "a", behaviour{Reject: 401, RejectAfter: 10 * time.Millisecond,
		Headers: []sip.Header{sip.NewHeader("WWW-Authenticate", `Digest realm="a", nonce="1"`)}})
	b := newDevice(t, "b", behaviour{Reject: 407, RejectAfter: 30 * time.Millisecond,
		Headers: []sip.Header{sip.NewHeader("Proxy-Authenticate", `Digest realm="b", nonce="2"`)}})
	c := newDevice(t, "c", behaviour{Reject: 486, RejectAfter: 20 * time.Millisecond})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), b.branch(), c.branch()}}})
	res, _ := newCaller(t).invite(t, "100", e.addr()).final(t)
	// 401 and 407 tie (both preferred); the earlier arrival wins.
	must(t, res.StatusCode == 401 || res.StatusCode == 407, "final %d", res.StatusCode)
	must(t, header(res, "WWW-Authenticate") != "" && header(res, "Proxy-Authenticate") != "",
		"challenges not merged: %s", res)
	e.waitCall(t)
}

func TestNoCancelBeforeProvisional(t *testing.T) {
	t.Run("queued until 180", func(t *testing.T) {
		a := newDevice(t, "a", behaviour{AnswerAfter: 20 * time.Millisecond})
		b := newDevice(t, "b", behaviour{RingAfter: 150 * time.Millisecond})
		e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), b.branch()}}})
		oc := newCaller(t).invite(t, "100", e.addr())
		res, _ := oc.final(t)
		oc.ack(t, res)
		b.wait(t, sip.CANCEL)
		tr := b.trace()
		must(t, len(tr) >= 3 && tr[0] == "<-INVITE" && tr[1] == "180" && tr[2] == "<-CANCEL", "b trace %v", tr)
		br := branchRec(t, e.waitCall(t), "b")
		must(t, br.CancelledAt.Before(br.ProvisionalAt) && br.CancelSent, "b: %+v", br)
		oc.request(t, res, sip.BYE)
	})
	t.Run("never sent when the branch ends first", func(t *testing.T) {
		a := newDevice(t, "a", behaviour{AnswerAfter: 20 * time.Millisecond})
		b := newDevice(t, "b", behaviour{RingAfter: -1, Reject: 486, RejectAfter: 100 * time.Millisecond})
		e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), b.branch()}}})
		oc := newCaller(t).invite(t, "100", e.addr())
		res, _ := oc.final(t)
		oc.ack(t, res)
		br := branchRec(t, e.waitCall(t), "b")
		must(t, !br.CancelSent && br.Status == 486, "b: %+v", br)
		must(t, b.count(sip.CANCEL) == 0, "b got a CANCEL")
		oc.request(t, res, sip.BYE)
	})
}

func TestCallerCancelCancelsAllWithoutCompletedElsewhere(t *testing.T) {
	a := newDevice(t, "a", behaviour{})
	b := newDevice(t, "b", behaviour{RingAfter: 20 * time.Millisecond})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch(), b.branch()}}})
	oc := newCaller(t).invite(t, "100", e.addr())
	for n := 0; n < 2; {
		if oc.next(t).StatusCode == 180 {
			n++
		}
	}
	oc.cancel(t)
	res, _ := oc.final(t)
	must(t, res.StatusCode == 487, "final %d", res.StatusCode)
	for _, d := range []*device{a, b} {
		c := d.wait(t, sip.CANCEL)
		must(t, header(c, "Reason") == "", "%s: Reason %q", d.name, header(c, "Reason"))
	}
	rec := e.waitCall(t)
	must(t, rec.Outcome == OutcomeCancelled && rec.Status == 487, "record %+v", rec)
}

func TestFallbackOnFastFailure(t *testing.T) {
	teams := newDevice(t, "teams", behaviour{Reject: 480, RejectAfter: 20 * time.Millisecond})
	native := newDevice(t, "native", behaviour{AnswerAfter: 20 * time.Millisecond})
	br := teams.branch()
	br.Fallback = []Branch{native.branch()}
	e := newTestProxy(t, plans{"100": {Branches: []Branch{br}}})
	oc := newCaller(t).invite(t, "100", e.addr())
	res, _ := oc.final(t)
	must(t, res.StatusCode == 200 && res.Contact().Address.User == "native", "final %s", res.StartLine())
	oc.ack(t, res)
	native.wait(t, sip.ACK)
	rec := e.waitCall(t)
	must(t, branchRec(t, rec, "teams").FellBack, "teams not marked fell back")
	nb := branchRec(t, rec, "native")
	must(t, nb.Role == RoleFallback && nb.FallbackOf == "teams", "native: %+v", nb)
	oc.request(t, res, sip.BYE)
}

func TestFallbackOnTimeout(t *testing.T) {
	dead := newNode(t) // never served: requests to it go unanswered
	t.Cleanup(func() { dead.ua.Close(); dead.conn.Close() })
	native := newDevice(t, "native", behaviour{AnswerAfter: 10 * time.Millisecond})
	br := Branch{Device: "teams", URI: dead.uri("teams"), Fallback: []Branch{native.branch()}}
	e := newTestProxy(t, plans{"100": {Branches: []Branch{br}}})
	oc := newCaller(t).invite(t, "100", e.addr())
	res, _ := oc.final(t) // after Timer B (64*T1)
	must(t, res.StatusCode == 200 && res.Contact().Address.User == "native", "final %s", res.StartLine())
	oc.ack(t, res)
	rec := e.waitCall(t)
	tb := branchRec(t, rec, "teams")
	must(t, tb.Status == 408 && tb.FellBack && tb.Error != "", "teams: %+v", tb)
	oc.request(t, res, sip.BYE)
}

func TestAnswerAfterCallerCancelIsHungUp(t *testing.T) {
	// No provisional: the proxy must hold the CANCEL, so the 200 comes first.
	a := newDevice(t, "a", behaviour{RingAfter: -1, AnswerAfter: 120 * time.Millisecond})
	e := newTestProxy(t, plans{"100": {Branches: []Branch{a.branch()}}})
	oc := newCaller(t).invite(t, "100", e.addr())
	must(t, oc.next(t).StatusCode == 100, "no 100")
	oc.cancel(t)
	res, _ := oc.final(t)
	must(t, res.StatusCode == 487, "final %d", res.StatusCode)
	ack := a.wait(t, sip.ACK)
	bye := a.wait(t, sip.BYE)
	must(t, toTag(ack) != "" && toTag(ack) == toTag(bye), "ACK/BYE To-tags %q %q", toTag(ack), toTag(bye))
	must(t, a.count(sip.CANCEL) == 0, "CANCEL sent without a provisional")
	rec := e.waitCall(t)
	must(t, rec.Outcome == OutcomeCancelled && branchRec(t, rec, "a").Status == 200, "record %+v", rec)
}
