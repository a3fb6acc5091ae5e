package devices_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"ocmsim/devices"
)

// TestDeviceCallsColleague: ann's desktop calls ben's number as itself;
// the proxy challenges it (407), routes it by ben's TeamsFirst policy and
// asserts ann's number to ben's devices.
func TestDeviceCallsColleague(t *testing.T) {
	_, fl := setup(t)
	c, err := fl.Dial(ctxFor(t), devices.CallRequest{Device: "ann-desk", To: benNumber, Media: true})
	must(t, err)
	wait(t, c, devices.Is(devices.RingingSent, "ben-teams"), "ben-teams rings")
	wait(t, c, devices.Is(devices.RingingSent, "ben-desk"), "ben-desk rings")
	if got := slices.Sorted(maps.Keys(rang(c))); !slices.Equal(got, []string{"ben-desk", "ben-teams"}) {
		t.Errorf("rang %v, want ben-desk and ben-teams\n%s", got, timeline(c))
	}
	for _, e := range c.Events(devices.Is(devices.InviteReceived, "")) {
		h := e.Request.GetHeader("P-Asserted-Identity")
		if h == nil || !strings.Contains(h.Value(), annNumber) {
			t.Errorf("%s: P-Asserted-Identity %v, want ann's number %s", e.Device, h, annNumber)
		}
		if from := e.Request.From(); from == nil || from.Address.User != "ann-desk" {
			t.Errorf("%s: From %v, want ann-desk's identity", e.Device, from)
		}
	}
	must(t, fl.Answer("ben-desk", c.ID))
	if final := wait(t, c, devices.CallerIs(devices.Final), "caller final"); final.Code != 200 {
		t.Fatalf("final %d, want 200\n%s", final.Code, timeline(c))
	}
	wait(t, c, devices.Is(devices.AckReceived, "ben-desk"), "ben-desk ACK")
	wait(t, c, devices.Is(devices.AnsweredElsewhere, "ben-teams"), "ben-teams answered elsewhere")
	must(t, c.Hangup(ctxFor(t)))
	wait(t, c, devices.Is(devices.ByeReceived, "ben-desk"), "ben-desk BYE")
	if bye := wait(t, c, devices.CallerIs(devices.ByeSent), "caller BYE"); bye.Code != 200 {
		t.Errorf("BYE answered %d", bye.Code)
	}
	if n := len(c.Events(devices.CallerIs(devices.Final))); n != 1 {
		t.Errorf("caller got %d final responses, want only the 200 (the 407 is absorbed)\n%s", n, timeline(c))
	}
}

// TestDeviceCallCancelled: a device's call is cancelled while ringing.
func TestDeviceCallCancelled(t *testing.T) {
	_, fl := setup(t)
	must(t, fl.SetBehaviour("ann-desk", devices.Behaviour{RingAfter: 5 * time.Millisecond, Answer: devices.Answer{Never: true}}))
	c, err := fl.Dial(ctxFor(t), devices.CallRequest{Device: "ben-desk", To: annNumber})
	must(t, err)
	wait(t, c, devices.Is(devices.RingingSent, "ann-native"), "ann-native rings")
	must(t, c.Cancel(ctxFor(t)))
	if final := wait(t, c, devices.CallerIs(devices.Final), "caller final"); final.Code != 487 {
		t.Errorf("final %d, want 487\n%s", final.Code, timeline(c))
	}
	wait(t, c, devices.Is(devices.MissedCall, "ann-native"), "ann-native missed call")
}

func TestDeviceCallUnknownDevice(t *testing.T) {
	_, fl := setup(t)
	if _, err := fl.Dial(ctxFor(t), devices.CallRequest{Device: "nobody", To: annNumber}); !errors.Is(err, devices.ErrUnknownDevice) {
		t.Errorf("Dial as an unknown device: %v, want ErrUnknownDevice", err)
	}
}
