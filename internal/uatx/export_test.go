package uatx

import "net"

// Receive hands one datagram to the layer as its reader would.
func (l *Layer) Receive(data []byte, src net.Addr) { l.receive(data, src) }
