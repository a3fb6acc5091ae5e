package proxy

import (
	"context"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// handleInvite handles initial INVITEs (forking) and re-INVITEs (in-dialog).
// It does not return before every branch has ended: sipgo terminates a
// server transaction that has no final response when its handler returns.
func (p *Proxy) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		p.forward(req, tx)
		return
	}
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		p.respond(tx, req, sip.StatusBadRequest, "Bad Request")
		return
	}
	hops, ok := hopsLeft(req)
	if !ok {
		p.respond(tx, req, sip.StatusTooManyHops, "Too Many Hops")
		return
	}
	key := loopKey(req)
	if p.looped(req, key) {
		p.respond(tx, req, sip.StatusLoopDetected, "Loop Detected")
		return
	}
	// 100 Trying at once rather than after sipgo's Timer_1xx.
	trying := sip.NewResponseFromRequest(req, sip.StatusTrying, "Trying", nil)
	if err := tx.Respond(trying); err != nil {
		p.logger().Debug("send 100", "call_id", callID(req), "error", err)
		return
	}
	if p.Admit != nil {
		if ok, res := p.Admit(req); !ok {
			if res == nil {
				res = sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil)
			}
			p.send(tx, res)
			return
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var plan Plan
	if p.Locator == nil {
		plan.Refusal = &Refusal{Status: sip.StatusNotFound, Reason: "Not Found"}
	} else {
		plan = p.Locator.Locate(ctx, req)
	}
	if plan.Refusal == nil && len(plan.Branches) == 0 && len(plan.Unanswered) == 0 {
		plan.Refusal = &Refusal{Status: sip.StatusTemporarilyUnavailable}
	}
	c := newCall(p, req, tx, trying.Destination(), key, hops, plan.Labels)
	if plan.Refusal != nil {
		c.refuse(plan.Refusal)
		return
	}
	c.run(plan)
}

// refuse answers the caller per r and records the call.
func (c *call) refuse(r *Refusal) {
	status := r.Status
	if status < 300 || status > 699 {
		status = sip.StatusNotFound
	}
	text := strings.Map(func(r rune) rune { // it goes in the status line
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, r.Reason)
	if text == "" {
		text = defaultReason(status)
	}
	res := sip.NewResponseFromRequest(c.req, status, text, nil)
	res.AppendHeader(sip.NewHeader("Reason", reasonValue(status, text)))
	if r.Warning != "" {
		res.AppendHeader(sip.NewHeader("Warning",
			"399 "+c.p.Client.Hostname()+" "+quote(r.Warning)))
	}
	c.p.send(c.tx, res)
	c.rec.Refusal = &Refusal{Status: status, Reason: text, Warning: r.Warning}
	c.rec.Status = status
	c.rec.Outcome = OutcomeRefused
	c.finish()
}

// reasonValue formats an RFC 3326 Reason header value.
func reasonValue(cause int, text string) string {
	return "SIP;cause=" + strconv.Itoa(cause) + ";text=" + quote(text)
}

// quote makes a SIP quoted-string (RFC 3261 §25.1); CR and LF become spaces.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\r', '\n':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// respond answers req on tx with a response the proxy generates itself.
func (p *Proxy) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	p.send(tx, sip.NewResponseFromRequest(req, code, reason, nil))
}

func (p *Proxy) send(tx sip.ServerTransaction, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		p.logger().Debug("respond", "call_id", callID(res), "status", res.StatusCode, "error", err)
	}
}

// defaultReason is the RFC 3261 reason phrase for the codes the proxy sends.
func defaultReason(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 408:
		return "Request Timeout"
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 500:
		return "Server Internal Error"
	case 503:
		return "Service Unavailable"
	case 603:
		return "Decline"
	}
	return "Error"
}
