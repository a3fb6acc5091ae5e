package rxstamp

import (
	"encoding/binary"
	"net"
	"syscall"
	"time"
)

// Space holds the ancillary data of one SCM_TIMESTAMPNS message.
var Space = syscall.CmsgSpace(16)

// Enable asks the kernel to stamp every datagram c receives with
// the time it arrived (SO_TIMESTAMPNS); false when it refuses.
func Enable(c *net.UDPConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return false
	}
	return true
}

// Arrival reads the kernel's receive time from a datagram's ancillary
// data; false when it carries none.
func Arrival(oob []byte) (time.Time, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, m := range msgs {
		if m.Header.Level != syscall.SOL_SOCKET || m.Header.Type != syscall.SCM_TIMESTAMPNS {
			continue
		}
		switch d := m.Data; len(d) { // a timespec of two C longs
		case 16:
			return time.Unix(int64(binary.NativeEndian.Uint64(d)), int64(binary.NativeEndian.Uint64(d[8:]))), true
		case 8:
			return time.Unix(int64(int32(binary.NativeEndian.Uint32(d))), int64(int32(binary.NativeEndian.Uint32(d[4:])))), true
		}
	}
	return time.Time{}, false
}
