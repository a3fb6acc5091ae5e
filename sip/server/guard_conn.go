package server

import (
	"bytes"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/metrics"
	"ocmsim/internal/rxstamp"
)

// statelessResponse builds the response to a request the guard refuses,
// from its raw Via, From, To, Call-ID and CSeq lines (RFC 3261 §8.2.6),
// leaving out those sipgo cannot parse. It returns nil when no Via is left
// to send it along: the guard then drops the request.
func statelessResponse(data []byte, status int, reason string) []byte {
	eol := bytes.Index(data, crlf)
	if eol < 0 {
		return nil
	}
	hs, _ := scanHeaders(data[eol+2:], true)
	var b bytes.Buffer
	b.WriteString("SIP/2.0 " + strconv.Itoa(status) + " " + reason + "\r\n")
	vias := 0
	for _, line := range hs.lines {
		colon := bytes.IndexByte(line, ':')
		name := canonical(bytes.TrimRight(line[:colon], " \t"))
		val := bytes.TrimSpace(line[colon+1:])
		switch name {
		case "Via", "From", "To", "Call-ID", "CSeq":
		default:
			continue
		}
		// One sipgo cannot parse is left out: the response must parse.
		val, ok := oneLine(val)
		if !ok || (name == "CSeq" && !validCSeq(val)) {
			continue
		}
		if _, err := sip.HeadersParser(sip.DefaultHeadersParser()).ParseHeader(nil, append([]byte(name+": "), val...)); err != nil {
			continue
		}
		b.WriteString(name + ": ")
		b.Write(val)
		switch name {
		case "Via":
			vias++
		case "To":
			if !bytes.Contains(bytes.ToLower(val), []byte(";tag=")) {
				b.WriteString(";tag=" + sip.GenerateTagN(10))
			}
		}
		b.WriteString("\r\n")
	}
	if vias == 0 {
		return nil
	}
	b.WriteString("Server: ocmsim\r\nContent-Length: 0\r\n\r\n")
	return b.Bytes()
}

// guardConn is the UDP socket sipgo serves: ReadFrom screens each datagram
// and only passes on what sipgo can handle.
type guardConn struct {
	net.PacketConn
	limit    int
	buf      []byte // only ReadFrom uses it; sipgo calls it from one goroutine
	log      *slog.Logger
	m        *metrics.Metrics
	dropped  *atomic.Uint64
	received *atomic.Uint64 // every datagram read
	quiet    *atomic.Bool   // set while shutting down: drop everything

	// reads measures how long each datagram waited in the socket's buffer
	// (the kernel's receive times, where the system gives them); lag is
	// that of the one ReadFrom returned last, 0 when unknown. Only the
	// reader goroutine reads it (the layer dispatches on it).
	reads *rxstamp.Reader
	lag   time.Duration
}

// read reads one datagram into g.buf and sets g.lag.
func (g *guardConn) read() (int, net.Addr, error) {
	n, addr, waited, ok, err := g.reads.ReadFrom(g.buf)
	g.lag = waited
	if ok {
		g.m.ReceiveLag.Observe(waited.Seconds())
	}
	return n, addr, err
}

func (g *guardConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := g.read()
		if err != nil {
			return 0, addr, err
		}
		g.received.Add(1)
		if g.quiet.Load() {
			continue
		}
		data := g.buf[:n]
		v := screen(data, min(g.limit, len(b)))
		switch v.action {
		case pass:
			return copy(b, data), addr, nil
		case reply:
			method := metricMethod(v.method)
			g.m.Requests.WithLabelValues(method).Inc()
			res := statelessResponse(data, v.status, v.reason)
			if res == nil {
				g.drop(addr, "no Via to answer: "+v.reason)
				continue
			}
			g.m.Responses.WithLabelValues(method, metrics.Code(v.status)).Inc()
			g.log.Debug("guard: refused datagram", "source", addr.String(), "status", v.status, "reason", v.reason)
			if _, err := g.PacketConn.WriteTo(res, addr); err != nil {
				g.log.Debug("guard: write", "source", addr.String(), "error", err)
			}
		default:
			g.drop(addr, v.reason)
		}
	}
}

func (g *guardConn) drop(addr net.Addr, why string) {
	g.dropped.Add(1)
	g.log.Debug("guard: dropped datagram", "source", addr.String(), "reason", why)
}

// metricMethod keeps the method label to the methods the server handles.
func metricMethod(m string) string {
	for _, k := range methods {
		if string(k) == m {
			return m
		}
	}
	return "other"
}
