//go:build !linux

package server

import (
	"net"
	"time"
)

// stampSpace is 0: receive times are read on Linux only.
var stampSpace = 0

// enableStamps is false: without the kernel's receive times the guard
// cannot tell how far behind it is, and never sheds.
func enableStamps(*net.UDPConn) bool { return false }

func arrival([]byte) (time.Time, bool) { return time.Time{}, false }
