package devices_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"ocmsim/devices"
)

func TestNativeFirstAnsweredElsewhere(t *testing.T) {
	_, fl := setup(t)
	c, err := fl.Dial(ctxFor(t), devices.CallRequest{From: pstnFrom, To: annNumber})
	if err != nil {
		t.Fatal(err)
	}
	final := wait(t, c, devices.CallerIs(devices.Final), "caller final")
	if final.Code != 200 {
		t.Fatalf("final %d, want 200\n%s", final.Code, timeline(c))
	}
	wait(t, c, devices.Is(devices.AnsweredElsewhere, "ann-native"), "ann-native answered elsewhere")
	wait(t, c, devices.Is(devices.AckReceived, "ann-desk"), "ann-desk ACK")

	got := slices.Sorted(maps.Keys(rang(c)))
	if want := []string{"ann-desk", "ann-native"}; !slices.Equal(got, want) {
		t.Errorf("rang %v, want %v\n%s", got, want, timeline(c))
	}
	ring := c.Events(devices.Is(devices.RingingSent, "ann-desk"))
	ans := c.Events(devices.Is(devices.Answered, "ann-desk"))
	if len(ring) != 1 || len(ans) != 1 || ans[0].At.Sub(ring[0].At) < 50*time.Millisecond {
		t.Errorf("ann-desk should answer 50 ms after ringing\n%s", timeline(c))
	}
	cancelled := c.Events(devices.Is(devices.Cancelled, "ann-native"))
	if len(cancelled) != 1 || !strings.Contains(cancelled[0].Reason, "Call completed elsewhere") {
		t.Errorf("ann-native cancel: %v", cancelled)
	}
	if n := len(c.Events(devices.Is(devices.MissedCall, ""))); n != 0 {
		t.Errorf("%d missed calls, want none", n)
	}
	if final.ToTag != ans[0].ToTag {
		t.Errorf("caller's dialog %q is not ann-desk's %q", final.ToTag, ans[0].ToTag)
	}

	if err := c.Hangup(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	wait(t, c, devices.Is(devices.ByeReceived, "ann-desk"), "ann-desk BYE")
	if bye := wait(t, c, devices.CallerIs(devices.ByeSent), "caller BYE"); bye.Code != 200 {
		t.Errorf("BYE answered %d", bye.Code)
	}
}

func TestCallerCancelIsMissedCall(t *testing.T) {
	_, fl := setup(t)
	c, err := fl.Dial(ctxFor(t), devices.CallRequest{From: pstnFrom, To: benNumber})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, c, devices.Is(devices.RingingSent, "ben-teams"), "ben-teams rings")
	wait(t, c, devices.Is(devices.RingingSent, "ben-desk"), "ben-desk rings")
	if err := c.Hangup(ctxFor(t)); err != nil { // still ringing: CANCEL
		t.Fatal(err)
	}
	for _, id := range []string{"ben-teams", "ben-desk"} {
		e := wait(t, c, devices.Is(devices.Cancelled, id), id+" cancelled")
		if strings.Contains(e.Reason, "elsewhere") {
			t.Errorf("%s: caller's CANCEL carried %q", id, e.Reason)
		}
		wait(t, c, devices.Is(devices.MissedCall, id), id+" missed call")
	}
	if final := wait(t, c, devices.CallerIs(devices.Final), "caller final"); final.Code != 487 {
		t.Errorf("final %d, want 487", final.Code)
	}
	if got := slices.Sorted(maps.Keys(rang(c))); !slices.Equal(got, []string{"ben-desk", "ben-teams"}) {
		t.Errorf("rang %v", got)
	}
}

func TestRejectWhileAnotherAnswers(t *testing.T) {
	_, fl := setup(t)
	must(t, fl.SetBehaviour("ben-teams", devices.Behaviour{Reject: 486}))
	must(t, fl.SetBehaviour("ben-desk", devices.Behaviour{RingAfter: 5 * time.Millisecond, Answer: devices.Answer{After: 40 * time.Millisecond}}))
	c, err := fl.Dial(ctxFor(t), devices.CallRequest{From: pstnFrom, To: benNumber})
	must(t, err)
	if e := wait(t, c, devices.Is(devices.Rejected, "ben-teams"), "ben-teams rejects"); e.Code != 486 {
		t.Errorf("rejected with %d", e.Code)
	}
	if final := wait(t, c, devices.CallerIs(devices.Final), "caller final"); final.Code != 200 {
		t.Errorf("final %d, want 200\n%s", final.Code, timeline(c))
	}
	wait(t, c, devices.Is(devices.AckReceived, "ben-desk"), "ben-desk ACK")
	// The device hangs up this time.
	must(t, fl.Hangup(ctxFor(t), "ben-desk", c.ID))
	wait(t, c, devices.CallerIs(devices.ByeReceived), "caller gets BYE")
	if e := wait(t, c, devices.Is(devices.ByeSent, "ben-desk"), "device BYE"); e.Code != 200 {
		t.Errorf("device BYE answered %d", e.Code)
	}
}

func TestManualAnswer(t *testing.T) {
	_, fl := setup(t)
	c, err := fl.Dial(ctxFor(t), devices.CallRequest{From: pstnFrom, To: benNumber})
	must(t, err)
	wait(t, c, devices.Is(devices.RingingSent, "ben-teams"), "ben-teams rings")
	must(t, fl.Answer("ben-teams", c.ID))
	if final := wait(t, c, devices.CallerIs(devices.Final), "caller final"); final.Code != 200 {
		t.Fatalf("final %d\n%s", final.Code, timeline(c))
	}
	wait(t, c, devices.Is(devices.AnsweredElsewhere, "ben-desk"), "ben-desk answered elsewhere")
	must(t, c.Hangup(ctxFor(t)))
	wait(t, c, devices.Is(devices.ByeReceived, "ben-teams"), "ben-teams BYE")
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
