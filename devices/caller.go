package devices

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// CallRequest is a call to place from the trunk side.
type CallRequest struct {
	// From is the calling number or user, e.g. "+12065550123". For a PSTN
	// call through the operator trunk it must not be a device's username.
	From string
	// To is the number dialled: the Request-URI user.
	To string
	// Media offers PCMU in SDP and, once answered, exchanges RTP with the
	// first device that answers until the call ends.
	Media bool
	// Headers are added to the INVITE.
	Headers []sip.Header
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
// returns at once; follow the call with Wait.
func (f *Fleet) Dial(ctx context.Context, r CallRequest) (*Call, error) {
	ctx, done, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	c := &Call{ID: sip.GenerateTagN(20) + "@" + f.host, f: f, cseq: 1}
	ruri := sip.Uri{Scheme: "sip", User: r.To, Host: f.proxy.Host, Port: f.proxy.Port}
	req := sip.NewRequest(sip.INVITE, ruri)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: r.From, Host: f.host}}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: r.To, Host: f.domain}})
	cid := sip.CallIDHeader(c.ID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: c.cseq, MethodName: sip.INVITE})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: r.From, Host: f.host, Port: f.port}})
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
	req.SetDestination(f.proxy.HostPort())
	c.req = req
	f.mu.Lock()
	f.calls[c.ID] = c
	f.mu.Unlock()
	c.Started = f.now()
	tx, err := f.client.TransactionRequest(ctx, req)
	if err != nil {
		c.closeMedia()
		f.mu.Lock()
		delete(f.calls, c.ID)
		f.mu.Unlock()
		return nil, fmt.Errorf("devices: INVITE %s: %w", r.To, err)
	}
	c.mu.Lock()
	c.tx = tx
	c.mu.Unlock()
	tx.OnRetransmission(c.onResponse)
	if !f.spawn(c.read) {
		tx.Terminate()
		c.closeMedia()
	}
	return c, nil
}

// read drains the INVITE transaction.
func (c *Call) read() {
	for {
		select {
		case res := <-c.tx.Responses():
			c.onResponse(res)
		case <-c.tx.Done():
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
