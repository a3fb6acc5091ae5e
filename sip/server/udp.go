package server

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/uatx"
	"ocmsim/sip/registrar"
)

// UDP sockets run on the lean transaction layer (internal/uatx): one
// reader per socket parses every datagram and matches it to its
// transaction in place, where sipgo spends a goroutine, a state machine
// and timers on every message. Requests still run their handler on a
// goroutine of their own, as sipgo's server does; TCP stays with sipgo.

// openUDPLayers gives every UDP socket its layer, behind the bad-input
// guard, with the registrar's header parsers.
func (s *Server) openUDPLayers() {
	for _, so := range s.sockets {
		if so.udp == nil {
			continue
		}
		parser := sip.NewParser(sip.WithHeadersParsers(registrar.HeadersParsers()))
		g := s.guard(so.udp)
		so.layer = uatx.New(g, s.dispatcher(g), s.proxy.HandleUnmatchedResponse, s.log, uatx.WithParser(parser))
		s.proxy.OwnPorts = append(s.proxy.OwnPorts, so.udp.LocalAddr().(*net.UDPAddr).Port)
		if s.udp == nil {
			s.udp = so.layer
		}
	}
}

// dispatcher is the handler of the layer reading from g: a new INVITE
// that waited too long in g's receive buffer is refused (overloaded); the
// rest is dispatched. It runs on the reader goroutine, which sets g.lag.
func (s *Server) dispatcher(g *guardConn) uatx.Handler {
	return func(req *sip.Request, tx *uatx.ServerTx) {
		if tx != nil && s.cfg.OverloadLag > 0 && g.lag > s.cfg.OverloadLag &&
			req.Method == sip.INVITE && req.To() != nil && !req.To().Params.Has("tag") {
			s.overloaded(tx, g.lag)
			return
		}
		s.dispatch(req, tx)
	}
}

// overloaded refuses a new INVITE with 503 and Retry-After (RFC 3261
// §21.5.4) through its transaction, which absorbs its retransmissions and
// ACK. A reader that far behind loses the ACKs and BYEs of the calls in
// progress once its buffer fills; refusing new calls is meant to let it
// catch up (in the bench it did not: README "Performance").
func (s *Server) overloaded(tx *uatx.ServerTx, lag time.Duration) {
	s.m.Requests.WithLabelValues(string(sip.INVITE)).Inc()
	s.m.Shed.Inc()
	if _, err := tx.Reply(uatx.Reply{Code: 503, Reason: "Service Unavailable", Headers: []sip.Header{retryAfter}}); err == nil {
		s.m.Responses.WithLabelValues(string(sip.INVITE), "503").Inc()
	}
	tx.Release()
	if n, ok := s.overload.add(time.Now()); ok {
		s.log.Warn("overload: new INVITEs refused with 503", "receive_lag", lag.Round(time.Millisecond), "refused", n, "limit", s.cfg.OverloadLag)
	}
}

var retryAfter = sip.NewHeader("Retry-After", "1")

// overloadLog counts refused INVITEs between warnings, at most one a
// second.
type overloadLog struct {
	mu    sync.Mutex
	last  time.Time
	count int
}

// add counts one refusal; ok when a warning is due, with the count since
// the last one.
func (o *overloadLog) add(now time.Time) (n int, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.count++
	if now.Sub(o.last) < time.Second {
		return 0, false
	}
	n, o.last, o.count = o.count, now, 0
	return n, true
}

// dispatch runs the handler of a request from a UDP socket on a goroutine
// of its own; a handler that returns without a final response ends its
// transaction, as in sipgo. An ACK of a 2xx comes without a transaction.
func (s *Server) dispatch(req *sip.Request, tx *uatx.ServerTx) {
	h, ok := s.handlers[req.Method]
	if !ok {
		h = methodNotAllowed
	}
	if tx == nil {
		go h(req, nil)
		return
	}
	go func() {
		h(req, tx)
		tx.Release()
	}()
}

// methodNotAllowed answers a method the server does not handle (405).
func methodNotAllowed(req *sip.Request, tx sip.ServerTransaction) {
	if tx == nil {
		return
	}
	res := sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil)
	names := make([]string, len(methods))
	for i, m := range methods {
		names[i] = string(m)
	}
	res.AppendHeader(sip.NewHeader("Allow", strings.Join(names, ", ")))
	_ = tx.Respond(res)
}

// txRouter sends the proxy's requests: over UDP through the first UDP
// socket's layer (its address is in Via and Record-Route), otherwise
// through sipgo's transaction and transport layers.
type txRouter struct {
	udp *uatx.Layer
	ua  *sipgo.UserAgent
}

// Request implements sipgo.ClientTransactionRequester.
func (r txRouter) Request(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error) {
	if r.udp != nil && strings.EqualFold(req.Transport(), "UDP") {
		return r.udp.Request(ctx, req)
	}
	// The client pins Laddr to the first socket's address, which the
	// layer ignores; over TCP sipgo would take the connection pooled
	// under it, the one the listener accepted last (another device's or
	// the caller's). Unpinned, sipgo reuses the connection to the
	// destination (the device's own) or dials one.
	req.Laddr = sip.Addr{}
	if req.IsAck() {
		return nil, r.ua.TransportLayer().WriteMsg(req)
	}
	return r.ua.TransactionLayer().Request(ctx, req)
}

// writeResponse sends a response statelessly: a late 2xx relayed by the
// proxy.
func (s *Server) writeResponse(res *sip.Response) error {
	if s.udp != nil && strings.EqualFold(res.Transport(), "UDP") {
		return s.udp.WriteResponse(res)
	}
	return s.srv.WriteResponse(res)
}
