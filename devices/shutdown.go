package devices

import (
	"net"
	"sync/atomic"
	"time"
)

// Close stops every device and call (no BYEs are sent), closes the socket
// and waits for every goroutine the fleet started. It is idempotent.
func (f *Fleet) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	devs := make([]*device, 0, len(f.devices))
	for _, d := range f.devices {
		devs = append(devs, d)
	}
	calls := make([]*Call, 0, len(f.calls))
	for _, c := range f.calls {
		calls = append(calls, c)
	}
	f.mu.Unlock()
	if f.stop != nil {
		f.stop()
	}
	for _, d := range devs {
		d.stopTimers()
	}
	for _, c := range calls {
		c.terminate()
	}
	f.wg.Wait()
	// sipgo handles each datagram on a goroutine of its own; one that finds
	// the socket gone from its pool opens a new one. Stop passing datagrams
	// on, let those already read finish, then close.
	f.conn.quiet.Store(true)
	time.Sleep(20 * time.Millisecond)
	f.conn.Close()
	<-f.served
	f.srv.Close()
	f.ua.Close()
	return nil
}

// quietConn drops every datagram once quiet is set, and counts those it
// sends.
type quietConn struct {
	net.PacketConn
	quiet atomic.Bool
	sends *sendLog
}

// WriteTo sends a datagram and counts it.
func (c *quietConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(b, addr)
	if err == nil {
		c.sends.sent(b[:n], time.Now())
	}
	return n, err
}

// ReadFrom reads the next datagram, dropping them all once quiet.
func (c *quietConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.quiet.Load() {
			return n, addr, err
		}
	}
}
