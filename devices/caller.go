package devices

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// CallRequest is a call to place from the trunk side, or, with Device,
// from one of the fleet's devices.
type CallRequest struct {
	// From is the calling number or user, e.g. "+12065550123". For a PSTN
	// call through the operator trunk it must not be a device's username.
	// With Device it defaults to the device's username.
	From string
	// Device, when set, is the id of a device of the fleet that places the
	// call as itself: From and Contact are its identity, and the proxy's
	// 401/407 challenge is answered with its digest credentials.
	Device string
	// To is the number dialled: the Request-URI user.
	To string
	// Media offers PCMU in SDP and, once answered, exchanges RTP with the
	// first device that answers until the call ends.
	Media bool
	// Headers are added to the INVITE.
	Headers []sip.Header
	// Where, with Device, is what the device reports about its location
	// (P-Access-Network-Info, a PIDF-LO by value): set it on emergency calls.
	Where *Where
}

// Call is a call placed with Dial: the UAC side. Every 2xx (a fork race
// can bring several, one per To-tag) is ACKed, and hung up by Hangup.
type Call struct {
	// ID is the Call-ID; devices' events for the call carry it.
	ID string
	// Started is when the INVITE was sent.
	Started time.Time

	f   *Fleet
	req *sip.Request
	tx  sip.ClientTransaction

	inviteSeq uint32 // CSeq of the (last) INVITE; responses to others are ignored

	mu          sync.Mutex
	provisional bool
	final       int // first final status
	dialogs     []*dialog
	cancelWant  bool
	cancelSent  bool
	hungUp      bool
	cseq        uint32
	media       *mediaSession
	mediaTag    string
	mediaStats  *MediaStats
}

// dialog is one answered branch of a call.
type dialog struct {
	tag       string
	res       *sip.Response
	ack       *sip.Request
	ended     bool // BYE sent or received
	remoteBye bool
}

// ErrCallEnded is returned when a call has no dialog left to act on.
var ErrCallEnded = errors.New("devices: call already ended")

// Dial sends an INVITE for r.To to the proxy from the fleet's socket and
// returns at once; follow the call with Wait. With r.Device the call is
// the device's own: Dial then waits for the proxy's first answer other
// than 100 and, when it is a 401/407 challenge, sends the INVITE again
// with the device's credentials before returning.
func (f *Fleet) Dial(ctx context.Context, r CallRequest) (*Call, error) {
	var dev *device
	if r.Device != "" {
		d, err := f.device(r.Device)
		if err != nil {
			return nil, err
		}
		dev = d
		if r.From == "" {
			r.From = d.spec.Username
		}
	}
	ctx, done, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	c := &Call{ID: sip.GenerateTagN(20) + "@" + f.host, f: f, cseq: 1}
	ruri := sip.Uri{Scheme: "sip", User: r.To, Host: f.proxy.Host, Port: f.proxy.Port}
	req := sip.NewRequest(sip.INVITE, ruri)
	fromHost := f.host
	contact := sip.Uri{Scheme: "sip", User: r.From, Host: f.host, Port: f.port}
	if dev != nil {
		fromHost, contact = f.domain, *dev.contact.Clone()
	}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: r.From, Host: fromHost}}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: r.To, Host: f.domain}})
	cid := sip.CallIDHeader(c.ID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: c.cseq, MethodName: sip.INVITE})
	req.AppendHeader(&sip.ContactHeader{Address: contact})
	for _, h := range r.Headers {
		req.AppendHeader(h)
	}
	if r.Media {
		m, err := listenMedia(f.host)
		if err != nil {
			return nil, err
		}
		c.media = m
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(m.sdp())
	}
	if dev != nil {
		pani, doc, err := r.Where.report(dev.spec.Kind, "sip:"+dev.spec.Username+"@"+f.domain)
		if err != nil {
			c.closeMedia()
			return nil, err
		}
		if pani != nil {
			req.AppendHeader(pani)
		}
		if doc != nil {
			attachLocation(req, doc, "loc-"+c.ID)
		}
	}
	req.SetDestination(f.proxy.HostPort())
	c.req = req
	c.Started = f.now()
	var (
		tx      sip.ClientTransaction
		pending *sip.Response
	)
	if dev != nil {
		tx, pending, err = c.authenticate(ctx, dev)
	} else {
		tx, err = f.client.TransactionRequest(ctx, req)
	}
	if err != nil {
		c.closeMedia()
		return nil, fmt.Errorf("devices: INVITE %s: %w", r.To, err)
	}
	c.inviteSeq = req.CSeq().SeqNo
	c.cseq = c.inviteSeq
	f.mu.Lock()
	f.calls[c.ID] = c
	f.mu.Unlock()
	c.mu.Lock()
	c.tx = tx
	c.mu.Unlock()
	tx.OnRetransmission(c.onResponse)
	if !f.spawn(func() {
		if pending != nil {
			c.onResponse(pending)
			if pending.StatusCode >= 200 {
				return
			}
		}
		c.read()
	}) {
		tx.Terminate()
		c.closeMedia()
	}
	return c, nil
}

// authenticate sends a device's INVITE and waits for the proxy's first
// answer other than 100: a 401/407 challenge is answered with the
// device's credentials on a new transaction (CSeq + 1); any other
// response is returned as pending, for the call to handle.
func (c *Call) authenticate(ctx context.Context, d *device) (tx sip.ClientTransaction, pending *sip.Response, err error) {
	tx, err = c.f.client.TransactionRequest(ctx, c.req)
	if err != nil {
		return nil, nil, err
	}
	for {
		select {
		case res := <-tx.Responses():
			if res.StatusCode == 100 {
				continue
			}
			if res.StatusCode != 401 && res.StatusCode != 407 {
				return tx, res, nil
			}
			atx, err := c.f.client.TransactionDigestAuth(ctx, c.req, res,
				sipgo.DigestAuth{Username: d.spec.Username, Password: d.spec.Password})
			if err != nil {
				return nil, nil, fmt.Errorf("answering the %d challenge: %w", res.StatusCode, err)
			}
			return atx, nil, nil
		case <-tx.Done():
			return tx, nil, nil // read records the timeout
		case <-ctx.Done():
			tx.Terminate()
			return nil, nil, context.Cause(ctx)
		}
	}
}

// read drains the INVITE transaction until its final response (2xx that
// come later reach onResponse through OnRetransmission).
func (c *Call) read() {
	for {
		select {
		case res := <-c.tx.Responses():
			c.onResponse(res)
			if res.StatusCode >= 200 {
				return
			}
		case <-c.tx.Done():
			for drained := false; !drained; { // responses it buffered before it ended
				select {
				case res := <-c.tx.Responses():
					c.onResponse(res)
				default:
					drained = true
				}
			}
			c.mu.Lock()
			final := c.final
			c.mu.Unlock()
			if final == 0 {
				c.record(Event{Type: Final, Code: 408, Reason: "Request Timeout", Err: c.tx.Err()})
			}
			return
		case <-c.f.life.Done():
			c.stopMedia()
			return
		}
	}
}

func (c *Call) record(e Event) {
	e.Caller, e.CallID = true, c.ID
	c.f.record(e)
}

// onResponse handles every response to the INVITE, including 2xx
// retransmissions and 2xx that came after the transaction ended.
func (c *Call) onResponse(res *sip.Response) {
	if cs := res.CSeq(); cs != nil && cs.SeqNo != c.inviteSeq {
		return // to the challenged INVITE
	}
	tag := tagOf(res.To().Params)
	switch {
	case res.IsProvisional():
		c.mu.Lock()
		c.provisional = true
		sendCancel := c.cancelWant && !c.cancelSent && c.final == 0
		c.cancelSent = c.cancelSent || sendCancel
		c.mu.Unlock()
		c.record(Event{Type: Provisional, Code: res.StatusCode, Reason: res.Reason, ToTag: tag})
		if sendCancel {
			c.f.spawn(func() { c.sendCancel(c.f.life) })
		}
	case res.IsSuccess():
		c.onSuccess(res, tag)
	default:
		c.mu.Lock()
		if c.final == 0 {
			c.final = res.StatusCode
		}
		c.mu.Unlock()
		c.record(Event{Type: Final, Code: res.StatusCode, Reason: res.Reason, ToTag: tag})
	}
}

// release lets the INVITE transaction, which lingers for Timer M (32 s)
// after a 2xx, drop the call: its retransmission hook held all of it.
func (c *Call) release() {
	c.mu.Lock()
	tx := c.tx
	c.mu.Unlock()
	if tx != nil {
		tx.OnRetransmission(func(*sip.Response) {})
	}
}

func (c *Call) onSuccess(res *sip.Response, tag string) {
	c.mu.Lock()
	for _, d := range c.dialogs {
		if d.tag == tag { // a retransmission: ACK again
			ack := d.ack
			c.mu.Unlock()
			_ = c.f.client.WriteRequest(ack.Clone())
			return
		}
	}
	d := &dialog{tag: tag, res: res}
	d.ack = c.inDialog(d, sip.ACK)
	c.dialogs = append(c.dialogs, d)
	if c.final == 0 {
		c.final = res.StatusCode
	}
	var media *mediaSession
	if c.media != nil && c.mediaTag == "" && !c.hungUp {
		if offer, ok := parseSDP(res.Body()); ok {
			c.media.remote, c.mediaTag, media = offer.Addr, tag, c.media
		}
	}
	late := c.hungUp
	c.mu.Unlock()
	if err := c.f.client.WriteRequest(d.ack.Clone()); err != nil {
		c.f.log.Debug("devices: ACK failed", "call_id", c.ID, "error", err)
	}
	c.record(Event{Type: Final, Code: res.StatusCode, Reason: res.Reason, ToTag: tag})
	if media != nil {
		media.start()
	}
	if late { // answered after we hung up: end this dialog too
		c.f.spawn(func() {
			ctx, cancel := context.WithTimeout(c.f.life, txTimeout())
			defer cancel()
			_ = c.bye(ctx, d)
		})
	}
}

// inDialog builds an ACK or BYE in a dialog (c.mu held): route set from
// the 2xx's Record-Route, reversed (RFC 3261 §12.1.2).
func (c *Call) inDialog(d *dialog, m sip.RequestMethod) *sip.Request {
	target := c.req.Recipient
	if ct := d.res.Contact(); ct != nil {
		target = ct.Address
	}
	r := sip.NewRequest(m, *target.Clone())
	rrs := d.res.GetHeaders("Record-Route")
	for i := len(rrs) - 1; i >= 0; i-- {
		if rr, ok := rrs[i].(*sip.RecordRouteHeader); ok {
			r.AppendHeader(&sip.RouteHeader{Address: *rr.Address.Clone()})
		}
	}
	r.AppendHeader(sip.HeaderClone(c.req.From()))
	r.AppendHeader(sip.HeaderClone(d.res.To()))
	r.AppendHeader(sip.HeaderClone(c.req.CallID()))
	seq := c.req.CSeq().SeqNo
	if m != sip.ACK {
		c.cseq++
		seq = c.cseq
	}
	r.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: m})
	r.AppendHeader(sip.HeaderClone(c.req.Contact()))
	if r.Route() == nil {
		r.SetDestination(c.f.proxy.HostPort())
	}
	return r
}

// Wait returns the first event of this call (the caller's and every
// device's) that matches m, waiting until ctx is done.
func (c *Call) Wait(ctx context.Context, m Match) (Event, error) {
	return c.f.events.wait(ctx, c.ID, m)
}

// Events returns this call's events (caller and devices) that match m
// (all when nil), in order: the call's timeline.
func (c *Call) Events(m Match) []Event {
	return c.f.events.filter(c.ID, m)
}
