package server

import (
	"context"
	"net"
	"strings"

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
		so.layer = uatx.New(s.guard(so.udp), s.dispatch, s.proxy.HandleUnmatchedResponse, s.log, uatx.WithParser(parser))
		s.proxy.OwnPorts = append(s.proxy.OwnPorts, so.udp.LocalAddr().(*net.UDPAddr).Port)
		if s.udp == nil {
			s.udp = so.layer
		}
	}
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
