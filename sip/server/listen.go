package server

import (
	"fmt"
	"net"
	"net/url"
	"ocmsim/internal/uatx"
	"strings"

	"ocmsim/sip/proxy"
)

// Listen is one SIP listening address: transport "udp" or "tcp", and "host:port".
type Listen struct {
	Transport string
	Addr      string
}

// DefaultListen is where `ocmsim serve` listens without --sip.
var DefaultListen = []Listen{{"udp", "127.0.0.1:5060"}, {"tcp", "127.0.0.1:5060"}}

// ParseListen parses "udp://127.0.0.1:5060,tcp://127.0.0.1:5060".
func ParseListen(s string) ([]Listen, error) {
	var out []Listen
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		u, err := url.Parse(part)
		if err != nil || u.Host == "" || u.Path != "" {
			return nil, fmt.Errorf("listen address %q: want udp://host:port or tcp://host:port", part)
		}
		tr := strings.ToLower(u.Scheme)
		if tr != "udp" && tr != "tcp" {
			return nil, fmt.Errorf("listen address %q: transport %q is not udp or tcp", part, u.Scheme)
		}
		if _, _, err := net.SplitHostPort(u.Host); err != nil {
			return nil, fmt.Errorf("listen address %q: %w", part, err)
		}
		out = append(out, Listen{tr, u.Host})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no listen address in %q", s)
	}
	return out, nil
}

// socket is an open listener.
type socket struct {
	Listen
	udp   *net.UDPConn
	layer *uatx.Layer // serves udp
	tcp   net.Listener
}

func (s *socket) addr() string {
	if s.udp != nil {
		return s.udp.LocalAddr().String()
	}
	return s.tcp.Addr().String()
}

func (s *socket) close() error {
	if s.udp != nil {
		return s.udp.Close()
	}
	return s.tcp.Close()
}

// open opens the sockets; a TCP port 0 after a UDP one reuses the UDP port
// when it can, so one "host:port" serves both transports.
func open(listens []Listen) ([]*socket, error) {
	var out []*socket
	closeAll := func() {
		for _, s := range out {
			s.close()
		}
	}
	for _, l := range listens {
		s := &socket{Listen: l}
		var err error
		switch l.Transport {
		case "udp":
			s.udp, err = proxy.ListenUDP(l.Addr)
		case "tcp":
			s.tcp, err = listenTCP(l.Addr, out)
		default:
			err = fmt.Errorf("transport %q is not udp or tcp", l.Transport)
		}
		if err != nil {
			closeAll()
			return nil, err
		}
		s.Addr = s.addr()
		out = append(out, s)
	}
	return out, nil
}

func listenTCP(addr string, opened []*socket) (net.Listener, error) {
	host, port, _ := net.SplitHostPort(addr)
	if port == "0" {
		for _, s := range opened {
			if h, p, _ := net.SplitHostPort(s.Addr); s.udp != nil && h == host {
				if l, err := net.Listen("tcp", net.JoinHostPort(host, p)); err == nil {
					return l, nil
				}
			}
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen tcp %q: %w", addr, err)
	}
	return l, nil
}
