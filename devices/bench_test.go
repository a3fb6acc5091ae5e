package devices_test

import (
	"testing"

	"ocmsim/devices"
)

// BenchmarkFleetCall is one load-test call through the in-process proxy
// over loopback UDP, both sides simulated by one fleet: INVITE forked to
// ben-teams (answers at once) and ben-desk (rings, then cancelled), 200,
// ACK, BYE. Allocations count the proxy's and the fleet's.
func BenchmarkFleetCall(b *testing.B) {
	_, fl := setup(b)
	for _, id := range []string{"ben-teams", "ben-desk"} {
		bh := devices.Behaviour{Answer: devices.Answer{Never: id == "ben-desk"}}
		if err := fl.SetBehaviour(id, bh); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		c, err := fl.Dial(ctxFor(b), devices.CallRequest{From: pstnFrom, To: benNumber})
		if err != nil {
			b.Fatal(err)
		}
		if final := wait(b, c, devices.CallerIs(devices.Final), "caller final"); final.Code != 200 {
			b.Fatalf("final %d\n%s", final.Code, timeline(c))
		}
		if err := c.Hangup(ctxFor(b)); err != nil {
			b.Fatal(err)
		}
		fl.Forget(c.ID)
	}
}
