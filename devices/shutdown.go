package devices

import (
	"net"
	"time"

	"ocmsim/internal/rxstamp"
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
	f.conn.Close()
	<-f.served // the reader ended and terminated every transaction
	f.ua.Close()
	return nil
}

// countingConn counts the datagrams it sends and measures how late it
// reads those it receives.
type countingConn struct {
	net.PacketConn
	sends *sendLog
	reads *rxstamp.Reader
	lag   lagLog
}

// ReadFrom reads a datagram, logging how long it waited.
func (c *countingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, waited, ok, err := c.reads.ReadFrom(b)
	if ok {
		c.lag.add(waited)
	}
	return n, addr, err
}

// WriteTo sends a datagram and counts it.
func (c *countingConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(b, addr)
	if err == nil {
		c.sends.sent(b[:n], time.Now())
	}
	return n, err
}
