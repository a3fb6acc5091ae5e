package uatx

import "net"

// Receive hands one datagram to the layer as its reader would.
func (l *Layer) Receive(data []byte, src net.Addr) { l.receive(data, src) }

// Transactions returns how many server and client transactions are alive.
func (l *Layer) Transactions() (server, client int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.servers), len(l.clients)
}
