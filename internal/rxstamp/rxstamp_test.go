package rxstamp

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// TestReceiveLag proves the kernel's receive time is read from a
// datagram's ancillary data: one that waited 50 ms in the buffer lags at
// least that much.
func TestReceiveLag(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("receive times are read on Linux only")
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !Enable(c) {
		t.Fatal("SO_TIMESTAMPNS refused")
	}
	if _, err := c.WriteTo([]byte("x"), c.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	const waited = 50 * time.Millisecond
	time.Sleep(waited) // the wait is what is measured
	buf, oob := make([]byte, 16), make([]byte, Space)
	_, oobn, _, _, err := c.ReadMsgUDP(buf, oob)
	if err != nil {
		t.Fatal(err)
	}
	at, ok := Arrival(oob[:oobn])
	if !ok {
		t.Fatal("no receive time in the ancillary data")
	}
	if lag := time.Since(at); lag < waited || lag > 10*time.Second {
		t.Fatalf("lag %v, want at least %v", lag, waited)
	}
	if _, ok := Arrival(oob[:3]); ok {
		t.Fatal("a truncated control message gave a time")
	}
}
