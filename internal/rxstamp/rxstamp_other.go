//go:build !linux

package rxstamp

import (
	"net"
	"time"
)

// Space is 0: receive times are read on Linux only.
var Space = 0

// Enable is false: the kernel's receive times are read on Linux only.
func Enable(*net.UDPConn) bool { return false }

// Arrival finds no receive time.
func Arrival([]byte) (time.Time, bool) { return time.Time{}, false }
