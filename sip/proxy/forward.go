package proxy

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// handleRequest handles non-INVITE requests other than ACK and CANCEL.
func (p *Proxy) handleRequest(req *sip.Request, tx sip.ServerTransaction) {
	p.forward(req, tx)
}

// handleAck forwards an ACK for a 2xx statelessly along its Route set.
// ACKs for non-2xx finals never get here: sipgo's server transaction
// absorbs them.
func (p *Proxy) handleAck(req *sip.Request, _ sip.ServerTransaction) {
	fwd, ok := p.nextHop(req)
	if !ok {
		return
	}
	if err := p.Client.WriteRequest(fwd, sipgo.ClientRequestBuild, sipgo.ClientRequestAddVia); err != nil {
		p.logger().Debug("forward ACK", "call_id", callID(req), "error", err)
	}
}

// handleCancel answers a CANCEL that matches no INVITE transaction; the
// matching ones are answered by sipgo and reach the call through
// ServerTransaction.OnCancel.
func (p *Proxy) handleCancel(req *sip.Request, tx sip.ServerTransaction) {
	p.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

// nextHop returns the copy of req to forward: our own Route removed,
// Max-Forwards decremented, destination from the remaining Route set or the
// Request-URI. ok is false when req is not to be forwarded.
func (p *Proxy) nextHop(req *sip.Request) (*sip.Request, bool) {
	if req.CSeq() == nil || req.From() == nil || req.To() == nil || req.CallID() == nil {
		return nil, false
	}
	hops, ok := hopsLeft(req)
	if !ok {
		return nil, false
	}
	fwd := req.Clone()
	ownRoute, flows := p.stripOwnRoutes(fwd)
	inDialog := req.To().Params.Has("tag")
	toSelf := p.isSelf(fwd.Recipient.Host, fwd.Recipient.Port, fwd.Transport())
	if fwd.Route() == nil && (toSelf || (!inDialog && !ownRoute)) {
		return nil, false // addressed to us, or an out-of-dialog request we do not route
	}
	setHops(fwd, hops)
	// Clone pinned the destination and transport req came from.
	if f := flowDestination(req.Source(), flows); f.dst != "" {
		fwd.SetDestination(f.dst)
		fwd.SetTransport(strings.ToUpper(f.transport))
	} else {
		fwd.SetDestination("")
		fwd.SetTransport(nextHopTransport(fwd))
	}
	return fwd, true
}

// flowDestination picks where an in-dialog request goes: to the device's
// recorded source address (over the branch's transport) when it comes from
// the caller's side, or nowhere in particular (Route set, else Request-URI)
// when it comes from that device.
func flowDestination(source string, flows []flow) flow {
	if len(flows) == 0 || slices.ContainsFunc(flows, func(f flow) bool { return f.dst == source }) {
		return flow{}
	}
	return flows[len(flows)-1]
}

// forward proxies a request statefully along its Route set and relays the
// responses: in-dialog requests, including re-INVITEs.
func (p *Proxy) forward(req *sip.Request, tx sip.ServerTransaction) {
	if _, ok := hopsLeft(req); !ok {
		p.respond(tx, req, sip.StatusTooManyHops, "Too Many Hops")
		return
	}
	fwd, ok := p.nextHop(req)
	if !ok {
		switch {
		case req.Method == sip.OPTIONS:
			res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
			res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, UPDATE, INFO, PRACK, REFER, MESSAGE, NOTIFY, SUBSCRIBE, OPTIONS"))
			p.send(tx, res)
		case req.To() != nil && req.To().Params.Has("tag"):
			p.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		default:
			p.respond(tx, req, sip.StatusNotFound, "Not Found")
		}
		return
	}
	trying := sip.NewResponseFromRequest(req, sip.StatusTrying, "Trying", nil)
	dest := trying.Destination()
	if req.IsInvite() {
		p.send(tx, trying)
	}
	ctx := context.Background()
	ctx2, err := p.Client.TransactionRequest(ctx, fwd, sipgo.ClientRequestBuild, sipgo.ClientRequestAddVia)
	if err != nil {
		p.logger().Debug("forward", "call_id", callID(req), "method", req.Method, "error", err)
		p.respond(tx, req, sip.StatusInternalServerError, "Server Internal Error")
		return
	}
	relay := func(res *sip.Response) {
		if popVia(res) {
			res.SetDestination(dest)
			p.send(tx, res)
		}
	}
	if req.IsInvite() {
		ctx2.OnRetransmission(relay)
	}
	for {
		select {
		case res := <-ctx2.Responses():
			if res.StatusCode == sip.StatusTrying {
				continue
			}
			relay(res)
			if !res.IsProvisional() {
				return
			}
		case <-ctx2.Done():
			code, text := sip.StatusInternalServerError, "Server Internal Error"
			if errors.Is(ctx2.Err(), sip.ErrTransactionTimeout) {
				code, text = sip.StatusRequestTimeout, "Request Timeout"
			}
			p.respond(tx, req, code, text)
			return
		}
	}
}
