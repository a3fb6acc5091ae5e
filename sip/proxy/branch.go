package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/uatx"
)

// errTimerC is recorded when Timer C ends a branch.
var errTimerC = errors.New("timer C expired")

// branch is one client transaction of a call. Fields are owned by the
// goroutine applying the call's events (post).
type branch struct {
	spec   Branch
	record BranchRecord
	req    *sip.Request // the forwarded INVITE
	tx     sip.ClientTransaction
	// lastProgress is when the branch was sent or last sent a provisional:
	// its Timer C runs from there.
	lastProgress time.Time

	provisional  bool
	cancelWanted bool
	cancelSent   bool
	cancelReason string
	superseded   bool // cancelled by the unanswered delay
	timedOutC    bool
	final        int
	finalRes     *sip.Response

	late *lateHook // 2xx that come after its first
}

// lateHook handles the 2xx a branch's client transaction passes on after
// the first (retransmissions, RFC 6026 Accepted state). The transaction
// lingers for Timer M after the call ended, so the hook holds only what
// it needs, never the call.
type lateHook struct {
	caller  sip.ServerTransaction // the caller's INVITE transaction
	dest    string                // where responses to the caller go
	client  *sipgo.Client
	log     *slog.Logger
	decided chan struct{} // closed once relayed/ack are set for the first 2xx
	callEnd chan struct{} // the call's done: no 2xx will be decided

	mu      sync.Mutex
	relayed bool         // the first 2xx went to the caller
	ack     *sip.Request // our own ACK when we hung the 2xx up
}

func (b *branch) rec() *BranchRecord { return &b.record }

// fork sends one branch per spec.
func (c *call) fork(specs []Branch, role string, parent *branch) {
	for _, s := range specs {
		b := &branch{spec: s, record: BranchRecord{
			Device: s.Device, Kind: s.Kind, URI: s.URI.String(), Role: role, SentAt: c.p.now(),
		}}
		if parent != nil {
			b.record.FallbackOf = parent.spec.Device
		}
		c.branches = append(c.branches, b)
		c.pending++
		if err := c.send(b); err != nil {
			c.log.Debug("branch not sent", "device", s.Device, "error", err)
			c.ended(b, sip.StatusServiceUnavailable, nil, err)
		}
	}
	if !c.timerCSet { // else it fires first: new branches start now
		c.armTimerC()
	}
}

// send builds and sends the branch's INVITE (RFC 3261 §16.6).
func (c *call) send(b *branch) error {
	if b.spec.URI.Host == "" {
		return errors.New("branch has no URI host")
	}
	r := c.req.Clone()
	c.p.stripOwnRoutes(r)
	r.Recipient = *b.spec.URI.Clone()
	if len(b.spec.Route) > 0 {
		hs := make([]sip.Header, len(b.spec.Route))
		for i := range b.spec.Route {
			hs[i] = &sip.RouteHeader{Address: *b.spec.Route[i].Clone()}
		}
		r.PrependHeader(hs...)
	}
	setHops(r, c.hops)
	for _, h := range b.spec.Headers {
		RemoveHeaders(r, h.Name())
	}
	for _, h := range b.spec.Headers {
		r.AppendHeader(h)
	}
	if b.spec.Body != nil {
		RemoveHeaders(r, "Content-Type")
		r.AppendHeader(sip.NewHeader("Content-Type", b.spec.ContentType))
		r.SetBody(b.spec.Body)
	}
	r.SetDestination(b.spec.Destination) // Clone pinned the caller's
	if b.spec.Transport != "" {
		r.SetTransport(strings.ToUpper(b.spec.Transport))
	} else {
		r.SetTransport(nextHopTransport(r)) // not the caller's, which Clone kept
	}
	deliver := func(res *sip.Response, err error) {
		if res != nil {
			popVia(res) // res belongs to the call once posted
		}
		c.post(event{kind: evResponse, b: b, res: res, err: err})
	}
	tx, err := c.p.transaction(r, deliver, sipgo.ClientRequestBuild, sipgo.ClientRequestAddVia,
		viaWithLoopKey(c.key), addRecordRoute, recordDestination(b.spec.Destination))
	if err != nil {
		return fmt.Errorf("send INVITE to %s: %w", b.spec.Device, err)
	}
	b.req, b.tx, b.lastProgress = r, tx, time.Now()
	b.late = &lateHook{caller: c.tx, dest: c.dest, client: c.p.Client, log: c.log,
		decided: make(chan struct{}), callEnd: c.done}
	tx.OnRetransmission(b.late.retransmitted)
	return nil
}

// transaction sends r on a client transaction whose responses go to
// deliver: straight from the socket's reader on a uatx Layer, else from a
// goroutine reading sipgo's transaction.
func (p *Proxy) transaction(r *sip.Request, deliver uatx.Delivery, opts ...sipgo.ClientRequestOption) (sip.ClientTransaction, error) {
	tx, err := p.Client.TransactionRequest(uatx.WithDelivery(context.Background(), deliver), r, opts...)
	if err != nil {
		return nil, err
	}
	if _, ok := tx.(*uatx.ClientTx); !ok {
		go readTx(tx, deliver)
	}
	return tx, nil
}

// readTx hands a sipgo client transaction's responses to deliver until its
// final one, or its end without one.
func readTx(tx sip.ClientTransaction, deliver uatx.Delivery) {
	for {
		select {
		case res := <-tx.Responses():
			deliver(res, nil)
			if !res.IsProvisional() {
				return
			}
		case <-tx.Done():
			deliver(nil, tx.Err())
			return
		}
	}
}

// ignore is the Delivery of transactions whose responses do not matter
// (CANCEL, our own BYE).
func ignore(*sip.Response, error) {}

// relay sends a branch's response (our Via already popped) to the caller.
// It reports false when the caller's CANCEL got there first.
func (c *call) relay(res *sip.Response) bool {
	if res.Via() == nil {
		return true
	}
	res.SetDestination(c.dest)
	return c.answer(res)
}

// answer sends res on the caller's transaction. If sipgo answered the
// caller's CANCEL (200 + 487) in between, res was not sent but replaced the
// response sipgo's Timer G retransmits; put a 487 back and report false.
func (c *call) answer(res *sip.Response) bool {
	err := c.tx.Respond(res)
	if errors.Is(err, sip.ErrTransactionCanceled) {
		_ = c.tx.Respond(sip.NewResponseFromRequest(c.req, sip.StatusRequestTerminated, "Request Terminated", nil))
		return false
	}
	if err != nil {
		c.log.Debug("respond", "status", res.StatusCode, "error", err)
	}
	return true
}

// retransmitted handles a 2xx retransmission (or another 2xx) after the
// branch's first 2xx. It runs on the transaction layer's goroutine, the
// socket's reader over UDP, which must not wait: while the call has not
// handled the first 2xx yet, the copy waits on a goroutine of its own.
// (Waiting on the reader stalled every call of the socket behind one busy
// call; under load the stalls made the peers retransmit, which made more
// of them.)
func (h *lateHook) retransmitted(res *sip.Response) {
	select {
	case <-h.decided:
	case <-h.callEnd:
	default:
		go func() {
			select {
			case <-h.decided:
			case <-h.callEnd:
			}
			h.handle(res)
		}()
		return
	}
	h.handle(res)
}

// handle relays res or resends our ACK, once the first 2xx was decided.
func (h *lateHook) handle(res *sip.Response) {
	h.mu.Lock()
	relayed, ack := h.relayed, h.ack
	h.mu.Unlock()
	switch {
	case relayed:
		if popVia(res) {
			res.SetDestination(h.dest)
			if err := h.caller.Respond(res); err != nil {
				h.log.Debug("relay 2xx retransmission", "error", err)
			}
		}
	case ack != nil:
		if err := h.client.WriteRequest(ack.Clone()); err != nil {
			h.log.Debug("resend ACK", "error", err)
		}
	}
}

// setRelayed records whether the first 2xx went to the caller.
func (h *lateHook) setRelayed(v bool) {
	h.mu.Lock()
	h.relayed = v
	h.mu.Unlock()
}

// setAck records our own ACK of a 2xx we hung up, resent to its copies.
func (h *lateHook) setAck(ack *sip.Request) {
	h.mu.Lock()
	h.ack = ack
	h.mu.Unlock()
}

// cancel cancels a pending branch with reason ("" for none). The CANCEL is
// queued until the branch sends a provisional (RFC 3261 §9.1).
func (c *call) cancel(b *branch, reason string) {
	if b.final != 0 || b.cancelWanted {
		return
	}
	b.cancelWanted, b.cancelReason = true, reason
	r := b.rec()
	r.CancelledAt, r.CancelReason = c.p.now(), reason
	if b.provisional {
		c.sendCancel(b)
	}
}

func (c *call) sendCancel(b *branch) {
	b.cancelSent = true
	b.rec().CancelSent = true
	c.log.Debug("cancel branch", "device", b.spec.Device, "reason", b.cancelReason)
	if _, err := c.p.transaction(newCancel(b.req, b.cancelReason), ignore); err != nil {
		c.log.Debug("send CANCEL", "device", b.spec.Device, "error", err)
	}
}

// newCancel builds the CANCEL for a forwarded INVITE (RFC 3261 §9.1).
func newCancel(inv *sip.Request, reason string) *sip.Request {
	r := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	r.AppendHeader(sip.HeaderClone(inv.Via()))
	for _, h := range inv.GetHeaders("Route") {
		r.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(defaultMaxForwards)
	r.AppendHeader(&mf)
	copyDialogHeaders(r, inv)
	r.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	if reason != "" {
		r.AppendHeader(sip.NewHeader("Reason", reason))
	}
	r.SetBody(nil)
	r.SetTransport(inv.Transport())
	r.SetDestination(inv.Destination())
	r.Laddr = inv.Laddr
	return r
}

func copyDialogHeaders(dst, src *sip.Request) {
	dst.AppendHeader(sip.HeaderClone(src.From()))
	dst.AppendHeader(sip.HeaderClone(src.To()))
	dst.AppendHeader(sip.HeaderClone(src.CallID()))
}

// hangUp ACKs and BYEs a 2xx that can no longer reach the caller.
func (c *call) hangUp(b *branch, res *sip.Response) {
	c.log.Debug("hang up late 2xx", "device", b.spec.Device)
	ack := c.inDialog(b, res, sip.ACK, 0)
	if err := c.p.Client.WriteRequest(ack, sipgo.ClientRequestAddVia); err != nil {
		c.log.Debug("send ACK", "device", b.spec.Device, "error", err)
	}
	b.late.setAck(ack)
	bye := c.inDialog(b, res, sip.BYE, 1)
	if _, err := c.p.transaction(bye, ignore, sipgo.ClientRequestAddVia); err != nil {
		c.log.Debug("send BYE", "device", b.spec.Device, "error", err)
	}
}

// inDialog builds an ACK or BYE for the dialog a branch's 2xx created.
func (c *call) inDialog(b *branch, res *sip.Response, m sip.RequestMethod, cseqInc uint32) *sip.Request {
	target := b.req.Recipient
	if ct := res.Contact(); ct != nil {
		target = ct.Address
	}
	r := sip.NewRequest(m, *target.Clone())
	// Route set: the Record-Routes added downstream of us, reversed.
	var routes []sip.Header
	for _, h := range res.GetHeaders("Record-Route") {
		rr, ok := h.(*sip.RecordRouteHeader)
		if !ok || c.p.isSelf(rr.Address.Host, rr.Address.Port, transportParam(rr.Address, b.req.Transport())) {
			break
		}
		routes = append([]sip.Header{&sip.RouteHeader{Address: *rr.Address.Clone()}}, routes...)
	}
	if len(routes) > 0 {
		r.PrependHeader(routes...)
	}
	mf := sip.MaxForwardsHeader(defaultMaxForwards)
	r.AppendHeader(&mf)
	r.AppendHeader(sip.HeaderClone(b.req.From()))
	if to := res.To(); to != nil {
		r.AppendHeader(sip.HeaderClone(to))
	}
	r.AppendHeader(sip.HeaderClone(b.req.CallID()))
	r.AppendHeader(&sip.CSeqHeader{SeqNo: b.req.CSeq().SeqNo + cseqInc, MethodName: m})
	r.SetBody(nil)
	r.SetTransport(b.req.Transport())
	r.SetDestination(b.spec.Destination)
	r.Laddr = b.req.Laddr
	return r
}

// armTimerC sets the call's Timer C for its earliest pending branch, or
// stops it when none is pending. One timer per call, posting to it, where a
// timer per branch would hold the call after it ended (a stopped timer's
// function stays reachable until the runtime drops it).
func (c *call) armTimerC() {
	var next time.Time
	for _, b := range c.branches {
		if b.final != 0 || b.tx == nil {
			continue
		}
		if at := b.lastProgress.Add(c.p.timerC()); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	c.timerCSet = !next.IsZero()
	if !c.timerCSet {
		c.timerC.Stop()
		return
	}
	c.timerC.Reset(time.Until(next))
}

// timerCExpired runs when the call's Timer C fires: every pending branch
// whose last progress is Timer C old gets §16.8; then the timer is set for
// the next one.
func (c *call) timerCExpired() {
	for _, b := range c.branches {
		if b.final == 0 && b.tx != nil {
			c.timerCFired(b)
		}
	}
	c.armTimerC()
}

// timerCFired applies RFC 3261 §16.8: cancel a ringing branch, or end a
// silent (or already cancelled) one as if it had answered 408.
func (c *call) timerCFired(b *branch) {
	if b.final != 0 || time.Since(b.lastProgress) < c.p.timerC() {
		return // stale: a provisional reset the timer meanwhile
	}
	b.timedOutC = true
	if b.provisional && !b.cancelWanted {
		c.cancel(b, "")
		b.lastProgress = time.Now() // another Timer C for the CANCEL
		return
	}
	b.tx.Terminate()
	c.ended(b, sip.StatusRequestTimeout, nil, errTimerC)
}
