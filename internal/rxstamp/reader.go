package rxstamp

import (
	"net"
	"time"
)

// Reader reads datagrams with how long each waited in the socket's
// receive buffer, where the system gives receive times. One goroutine at
// a time may read.
type Reader struct {
	conn net.PacketConn
	udp  *net.UDPConn // nil: no receive times
	oob  []byte
}

// NewReader asks the kernel to stamp what conn receives (Enable) and
// reads from it.
func NewReader(conn net.PacketConn) *Reader {
	r := &Reader{conn: conn}
	if c, ok := conn.(*net.UDPConn); ok && Enable(c) {
		r.udp, r.oob = c, make([]byte, Space)
	}
	return r
}

// ReadFrom reads one datagram into b; waited is how long it was in the
// buffer, and ok false when that is not known.
func (r *Reader) ReadFrom(b []byte) (n int, addr net.Addr, waited time.Duration, ok bool, err error) {
	if r.udp == nil {
		n, addr, err = r.conn.ReadFrom(b)
		return n, addr, 0, false, err
	}
	n, oobn, _, from, err := r.udp.ReadMsgUDP(b, r.oob)
	if err != nil {
		return 0, nil, 0, false, err
	}
	at, ok := Arrival(r.oob[:oobn])
	if ok {
		waited = max(time.Since(at), 0)
	}
	return n, from, waited, ok, nil
}
