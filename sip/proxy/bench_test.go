package proxy

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// BenchmarkForkAnswerBye is the full path over loopback UDP: INVITE, fork
// to 3 devices, 180s, one 200 (the other two cancelled), ACK, BYE.
func BenchmarkForkAnswerBye(b *testing.B) {
	a := newDevice(b, "a", behaviour{AnswerAfter: time.Microsecond})
	d2 := newDevice(b, "b", behaviour{})
	d3 := newDevice(b, "c", behaviour{})
	e := newTestProxy(b, plans{"100": {Branches: []Branch{a.branch(), d2.branch(), d3.branch()}}})
	cl := newCaller(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		oc := cl.invite(b, "100", e.addr())
		res, _ := oc.final(b)
		if res.StatusCode != 200 {
			b.Fatalf("final %d", res.StatusCode)
		}
		oc.ack(b, res)
		if r := oc.request(b, res, sip.BYE); r.StatusCode != 200 {
			b.Fatalf("BYE %d", r.StatusCode)
		}
		oc.tx.Terminate()
	}
}
