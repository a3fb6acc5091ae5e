package devices_test

import (
	"testing"

	"ocmsim/devices"
)

// TestForkRaceEveryAnswerAckedAndHungUp answers on two devices at once:
// when both 200s win the race against the proxy's CANCEL, the caller gets
// two 2xx (one per To-tag) and must ACK and BYE each.
func TestForkRaceEveryAnswerAckedAndHungUp(t *testing.T) {
	_, fl := setup(t)
	for attempt := 1; attempt <= 10; attempt++ {
		c, err := fl.Dial(ctxFor(t), devices.CallRequest{From: pstnFrom, To: benNumber})
		must(t, err)
		wait(t, c, devices.Is(devices.RingingSent, "ben-teams"), "ben-teams rings")
		wait(t, c, devices.Is(devices.RingingSent, "ben-desk"), "ben-desk rings")
		must(t, fl.Answer("ben-teams", c.ID))
		if err := fl.Answer("ben-desk", c.ID); err != nil {
			// The CANCEL that ben-teams' answer set off can end ben-desk's
			// INVITE first; then the device has recorded it.
			wait(t, c, devices.Is(devices.Cancelled, "ben-desk"), "ben-desk cancelled ("+err.Error()+")")
		}
		wait(t, c, devices.CallerIs(devices.Final), "caller final")
		// Each device ends with an answer or a cancel.
		for _, id := range []string{"ben-teams", "ben-desk"} {
			wait(t, c, func(e devices.Event) bool {
				return e.Device == id && (e.Type == devices.AckReceived || e.Type == devices.Cancelled)
			}, id+" settles")
		}
		must(t, c.Hangup(ctxFor(t)))
		answered := c.Events(func(e devices.Event) bool { return e.Type == devices.Answered })
		for _, a := range answered {
			tag := a.ToTag
			wait(t, c, func(e devices.Event) bool { return e.Caller && e.Type == devices.Final && e.ToTag == tag }, "2xx of "+a.Device+" at the caller")
			wait(t, c, devices.Is(devices.AckReceived, a.Device), a.Device+" ACK")
			if bye := wait(t, c, func(e devices.Event) bool { return e.Caller && e.Type == devices.ByeSent && e.ToTag == tag }, "BYE to "+a.Device); bye.Code != 200 {
				t.Errorf("BYE to %s answered %d", a.Device, bye.Code)
			}
			wait(t, c, devices.Is(devices.ByeReceived, a.Device), a.Device+" BYE")
		}
		if len(answered) == 2 {
			t.Logf("fork race on attempt %d:\n%s", attempt, timeline(c))
			return
		}
	}
	t.Skip("no fork race in 10 attempts (both answers never beat the CANCEL)")
}
