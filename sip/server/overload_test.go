package server

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestOverloadRefusesNewInvites proves that a new INVITE read later than
// OverloadLag (1 ns here: every datagram is that late) is refused with
// 503 and Retry-After through a transaction (its retransmission gets the
// same 503), while requests of a dialog, REGISTER and OPTIONS are served;
// and that without OverloadLag nothing is refused.
func TestOverloadRefusesNewInvites(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("receive times are read on Linux only")
	}
	ts := startServer(t, func(c *Config) { c.OverloadLag = time.Nanosecond })
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dst, _ := net.ResolveUDPAddr("udp", ts.addr)
	send := func(data []byte) {
		t.Helper()
		if _, err := conn.WriteTo(data, dst); err != nil {
			t.Fatal(err)
		}
	}

	inv := request(invite, []string{"Call-ID: shed-1"}, "")
	send(inv)
	res := readFinal(t, conn, "shed-1")
	if res.StatusCode != 503 || header(res, "Retry-After") != "1" {
		t.Fatalf("new INVITE: %d %s (Retry-After %q), want 503 with Retry-After 1", res.StatusCode, res.Reason, header(res, "Retry-After"))
	}
	tag := toTagOf(res)
	send(inv) // a retransmission: the transaction's 503 again
	if again := readFinal(t, conn, "shed-1"); again.StatusCode != 503 || toTagOf(again) != tag {
		t.Fatalf("retransmitted INVITE: %d tag %q, want the same 503 (tag %q)", again.StatusCode, toTagOf(again), tag)
	}

	// A re-INVITE (To-tag) is not refused; the proxy finds no dialog for
	// it and gives no answer, so the count below tells. The same reader
	// handles it before the OPTIONS after it.
	send(request(invite, []string{"Call-ID: shed-2", "To: <sip:" + annNumber + "@ocm.test>;tag=dialog1"}, ""))
	for _, tc := range []struct {
		name, callID string
		data         []byte
	}{
		{"OPTIONS", "shed-3", request("OPTIONS sip:127.0.0.1 SIP/2.0", []string{"Call-ID: shed-3"}, "")},
		{"REGISTER", "shed-4", request("REGISTER sip:ocm.test SIP/2.0", []string{"Call-ID: shed-4", "Contact: <sip:a@127.0.0.1:5070>"}, "")},
	} {
		send(tc.data)
		if res := readFinal(t, conn, tc.callID); res.StatusCode == 503 {
			t.Errorf("%s refused with 503", tc.name)
		}
	}
	if n := value(t, ts.m.Shed); n != 1 {
		t.Errorf("ocmsim_overload_rejected_total = %v, want 1", n)
	}
	if n := value(t, ts.m.Responses.WithLabelValues("INVITE", "503")); n != 1 {
		t.Errorf("responses{INVITE,503} = %v, want 1", n)
	}

	off := startServer(t)
	dst, _ = net.ResolveUDPAddr("udp", off.addr)
	send(request(invite, []string{"Call-ID: shed-5"}, ""))
	if res := readFinal(t, conn, "shed-5"); res.StatusCode == 503 {
		t.Fatalf("no OverloadLag, yet a new INVITE was refused: %d %s", res.StatusCode, res.Reason)
	}
}

func toTagOf(res *sip.Response) string {
	t, _ := res.To().Params.Get("tag")
	return t
}
