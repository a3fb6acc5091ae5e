package devices_test

import (
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/emiago/sipgo/sip"

	"ocmsim/devices"
)

// TestForgetReleasesCall: the caller's INVITE transaction lingers for
// Timer M after its 2xx; a forgotten call must not stay reachable through
// it (a load run would keep every call of the last 32 s).
func TestForgetReleasesCall(t *testing.T) {
	old := sip.Timer_M
	sip.Timer_M = time.Minute // lingers past the test
	t.Cleanup(func() { sip.Timer_M = old })
	_, fl := setup(t)
	c, err := fl.Dial(ctxFor(t), devices.CallRequest{From: pstnFrom, To: annNumber})
	if err != nil {
		t.Fatal(err)
	}
	if final := wait(t, c, devices.CallerIs(devices.Final), "caller final"); final.Code != 200 {
		t.Fatalf("final %d, want 200", final.Code)
	}
	if err := c.Hangup(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	wait(t, c, devices.CallerIs(devices.ByeSent), "caller BYE")
	id, call := c.ID, weak.Make(c)
	fl.Forget(id)
	for deadline := time.Now().Add(waitFor); call.Value() != nil; {
		if time.Now().After(deadline) {
			t.Fatal("the forgotten call is still reachable")
		}
		runtime.GC() // goroutines of the call may still be ending
		time.Sleep(10 * time.Millisecond)
	}
}
