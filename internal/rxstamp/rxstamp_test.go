package rxstamp

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// TestReceiveLag proves the Reader reads the kernel's receive time from
// a datagram's ancillary data: one that waited 50 ms in the buffer lags
// at least that much, and comes with its sender and bytes.
func TestReceiveLag(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("receive times are read on Linux only")
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := NewReader(c)
	if r.udp == nil {
		t.Fatal("SO_TIMESTAMPNS refused")
	}
	buf := make([]byte, 16)
	// Linux turns stamping on a moment after the first socket asks for it
	// (until then a datagram reads as stamped when read): wait for a probe
	// that shows its wait.
	for try := 0; ; try++ {
		if try == 200 {
			t.Fatal("no datagram stamped on arrival after 200 probes")
		}
		if _, err := c.WriteTo([]byte("probe"), c.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
		if _, _, lag, _, err := r.ReadFrom(buf); err != nil {
			t.Fatal(err)
		} else if lag >= time.Millisecond {
			break
		}
	}
	if _, err := c.WriteTo([]byte("x"), c.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	const waited = 50 * time.Millisecond
	time.Sleep(waited) // the wait is what is measured
	n, from, lag, ok, err := r.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("no receive time in the ancillary data")
	}
	if lag < waited || lag > 10*time.Second {
		t.Fatalf("lag %v, want at least %v", lag, waited)
	}
	if string(buf[:n]) != "x" || from.String() != c.LocalAddr().String() {
		t.Fatalf("read %q from %v, want \"x\" from %v", buf[:n], from, c.LocalAddr())
	}
	if _, ok := Arrival(r.oob[:3]); ok {
		t.Fatal("a truncated control message gave a time")
	}
}
