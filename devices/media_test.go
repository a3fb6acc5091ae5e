package devices_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/devices"
)

// hold is how long the media tests keep a call up.
const hold = 300 * time.Millisecond

func TestMediaBothWays(t *testing.T) {
	_, fl := setup(t)
	c, err := fl.Dial(ctxFor(t), devices.CallRequest{From: pstnFrom, To: annNumber, Media: true})
	must(t, err)
	if final := wait(t, c, devices.CallerIs(devices.Final), "caller final"); final.Code != 200 {
		t.Fatalf("final %d\n%s", final.Code, timeline(c))
	}
	time.Sleep(hold) // the call's hold time: media flows meanwhile
	must(t, c.Hangup(ctxFor(t)))
	callee := wait(t, c, devices.Is(devices.MediaEnded, "ann-desk"), "ann-desk media").Media
	caller, ok := c.Media()
	if !ok {
		t.Fatal("no caller media stats after Hangup")
	}
	t.Logf("caller received %+v", caller)
	t.Logf("ann-desk received %+v", *callee)
	if !devices.BothWays(caller, *callee) {
		t.Fatal("media did not flow both ways")
	}
	for name, s := range map[string]devices.MediaStats{"caller": caller, "ann-desk": *callee} {
		if s.Received < 10 || s.Lost != 0 || s.LossRate() != 0 {
			t.Errorf("%s: %+v, want >= 10 packets and no loss", name, s)
		}
		if s.JitterMs > 20 {
			t.Errorf("%s: jitter %.1f ms on loopback", name, s.JitterMs)
		}
	}
	if n := len(c.Events(devices.Is(devices.MediaEnded, "ann-native"))); n != 0 {
		t.Error("the cancelled device had media")
	}
}

// TestPSAPAndVoicemail calls a PSAP and a voicemail device of one fleet
// directly from another fleet (no proxy): both answer at once, and the
// PSAP keeps the INVITE's headers and body.
func TestPSAPAndVoicemail(t *testing.T) {
	targets, err := devices.NewFleet(devices.Config{Proxy: "127.0.0.1:9", Logger: testLogger()})
	must(t, err)
	t.Cleanup(func() { targets.Close() })
	must(t, targets.Add(devices.Spec{ID: "psap-king", Kind: devices.PSAP}))
	must(t, targets.Add(devices.Spec{ID: "voicemail", Kind: devices.Voicemail,
		Behaviour: devices.Behaviour{RingAfter: time.Hour}})) // ignored: answers at once
	callers, err := devices.NewFleet(devices.Config{Proxy: targets.Addr(), Logger: testLogger()})
	must(t, err)
	t.Cleanup(func() { callers.Close() })

	for _, to := range []string{"psap-king", "voicemail"} {
		c, err := callers.Dial(ctxFor(t), devices.CallRequest{From: "+14255550100", To: to, Media: true,
			Headers: []sip.Header{sip.NewHeader("Priority", "emergency")}})
		must(t, err)
		if final := wait(t, c, devices.CallerIs(devices.Final), to+" answers"); final.Code != 200 {
			t.Fatalf("%s: final %d", to, final.Code)
		}
		e, err := targets.Wait(ctxFor(t), func(e devices.Event) bool {
			return e.Type == devices.InviteReceived && e.CallID == c.ID
		})
		must(t, err)
		if e.Device != to {
			t.Errorf("INVITE for %s went to %s", to, e.Device)
		}
		if h := e.Request.GetHeader("Priority"); h == nil || h.Value() != "emergency" {
			t.Errorf("%s: Priority header not kept: %v", to, h)
		}
		if !strings.Contains(string(e.Request.Body()), "m=audio") {
			t.Errorf("%s: SDP body not kept", to)
		}
		if n := len(targets.Events(func(e devices.Event) bool { return e.Type == devices.RingingSent && e.CallID == c.ID })); n != 0 {
			t.Errorf("%s rang before answering", to)
		}
		time.Sleep(60 * time.Millisecond)
		must(t, c.Hangup(ctxFor(t)))
		if s, _ := c.Media(); s.Received == 0 {
			t.Errorf("%s: no media from the target", to)
		}
	}
}

// TestCloseReleasesSockets checks that a fleet that carried a call with
// media leaves no socket open (goroutines are checked by goleak).
func TestCloseReleasesSockets(t *testing.T) {
	before, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	a, err := devices.NewFleet(devices.Config{Proxy: "127.0.0.1:9", Logger: testLogger()})
	must(t, err)
	must(t, a.Add(devices.Spec{ID: "voicemail", Kind: devices.Voicemail}))
	b, err := devices.NewFleet(devices.Config{Proxy: a.Addr(), Logger: testLogger()})
	must(t, err)
	c, err := b.Dial(ctxFor(t), devices.CallRequest{From: "+1", To: "voicemail", Media: true})
	must(t, err)
	wait(t, c, devices.CallerIs(devices.Final), "answer")
	// No hangup: Close must end the call, its media and the sockets.
	must(t, b.Close())
	must(t, a.Close())
	after, _ := os.ReadDir("/proc/self/fd")
	if len(after) > len(before) {
		t.Errorf("%d file descriptors before, %d after Close", len(before), len(after))
	}
}
