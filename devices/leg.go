package devices

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/uatx"
)

// leg is one INVITE a device received: the UAS side of a call.
type leg struct {
	d   *device
	id  string // Call-ID
	req *sip.Request
	tx  *uatx.ServerTx
	tag string // our To-tag

	cmds      chan int      // manual answer (200) or rejection (code)
	cancelled chan struct{} // closed by the transaction's CANCEL callback
	cancelReq *sip.Request  // set before cancelled is closed
	acked     chan struct{}
	ackOnce   sync.Once
	ended     chan struct{} // BYE sent or received
	endOnce   sync.Once

	emergency *Emergency // what a PSAP read from the INVITE; nil otherwise

	mu    sync.Mutex
	final int       // status of our final response, 0 before
	ok    uatx.Wire // our 2xx (Bytes nil before)
	sdp   []byte    // the body of our 2xx
	cseq  uint32    // our last in-dialog CSeq
}

func newLeg(d *device, req *sip.Request, tx *uatx.ServerTx) *leg {
	return &leg{d: d, id: callID(req), req: req, tx: tx, tag: sip.GenerateTagN(10),
		cmds: make(chan int, 1), cancelled: make(chan struct{}), acked: make(chan struct{}), ended: make(chan struct{})}
}

// onCancel is the transaction's CANCEL callback; it must not block or
// touch the transaction.
func (l *leg) onCancel(r *sip.Request) {
	l.cancelReq = r
	close(l.cancelled)
}

func (l *leg) record(e Event) {
	e.Device, e.CallID, e.ToTag = l.d.spec.ID, l.id, l.tag
	l.d.f.record(e)
}

// recordCancel records the CANCEL and how the user sees the call.
func (l *leg) recordCancel(cancel *sip.Request) {
	var reasons []string
	if cancel != nil {
		for _, h := range cancel.GetHeaders("Reason") {
			reasons = append(reasons, h.Value())
		}
	}
	text := ""
	if len(reasons) > 0 {
		text = reasons[0]
	}
	l.record(Event{Type: Cancelled, Reason: text})
	if completedElsewhere(reasons) {
		l.record(Event{Type: AnsweredElsewhere, Reason: text})
	} else {
		l.record(Event{Type: MissedCall, Reason: text})
	}
}

// run plays the device's behaviour for the call.
func (l *leg) run(b Behaviour) {
	code := 200
	if !l.d.spec.Kind.answersAtOnce() {
		if code = l.await(b.RingAfter, 0); code == 0 {
			if !l.send(180, "Ringing", nil) {
				return
			}
			l.record(Event{Type: RingingSent, Code: 180})
			switch {
			case b.Reject != 0:
				code = b.Reject
			case b.Answer.Never:
				code = l.await(-1, 0)
			default:
				code = l.await(b.Answer.After, 200)
			}
		}
	}
	switch {
	case code < 0:
		return
	case code >= 300:
		if l.send(code, "", nil) {
			l.record(Event{Type: Rejected, Code: code})
		}
		return
	}
	l.answer()
}

// await waits d (forever when negative) and returns onTimer, or a manual
// command's code, or -1 when the INVITE ended first.
func (l *leg) await(d time.Duration, onTimer int) int {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return onTimer
	case code := <-l.cmds:
		return code
	case <-l.cancelled:
		l.recordCancel(l.cancelReq)
	case <-l.tx.Done():
	case <-l.d.f.life.Done():
	}
	return -1
}

// send sends a response to the INVITE; false when a CANCEL won the race
// (then recorded) or the transaction is gone.
func (l *leg) send(code int, reason string, body []byte) bool {
	w, err := l.tx.Reply(l.reply(code, reason, body))
	if errors.Is(err, sip.ErrTransactionCanceled) {
		// The transaction marks itself cancelled before it answers the
		// CANCEL and calls onCancel: wait for the callback.
		select {
		case <-l.cancelled:
			l.recordCancel(l.cancelReq)
		case <-l.d.f.life.Done():
		}
		return false
	}
	if err != nil {
		l.d.f.log.Debug("devices: respond failed", "device", l.d.spec.ID, "call_id", l.id, "status", code, "error", err)
		return false
	}
	if code >= 200 {
		l.mu.Lock()
		l.final = code
		if code < 300 {
			l.ok, l.sdp = w, body
		}
		l.mu.Unlock()
	}
	return true
}

// reply is a response with our tag (and Contact on 2xx).
func (l *leg) reply(code int, reason string, body []byte) uatx.Reply {
	r := uatx.Reply{Code: code, Reason: reason, ToTag: l.tag, Body: body}
	if code >= 200 && code < 300 {
		r.Headers = append(r.Headers, &sip.ContactHeader{Address: l.d.contact})
		if e := l.emergency; e != nil && e.Test() {
			r.Headers = append(r.Headers, sip.NewHeader(EchoHeader, e.Echo()))
		}
		if body != nil {
			r.Headers = append(r.Headers, sip.NewHeader("Content-Type", "application/sdp"))
		}
	}
	return r
}

// answer sends 200 OK (with an SDP answer when the INVITE offered media)
// and runs the dialog until it ends.
func (l *leg) answer() {
	var (
		media *mediaSession
		body  []byte
	)
	if offer, ok := parseSDP(offeredSDP(l.req)); ok {
		m, err := openMedia(offer)
		if err != nil {
			l.d.f.log.Warn("devices: no media", "device", l.d.spec.ID, "call_id", l.id, "error", err)
		} else {
			media, body = m, m.sdp()
		}
	}
	if !l.send(200, "OK", body) {
		if media != nil {
			media.close()
		}
		return
	}
	l.record(Event{Type: Answered, Code: 200})
	if media != nil {
		media.start()
	}
	l.dialog()
	if media != nil {
		l.record(Event{Type: MediaEnded, Media: media.close()})
	}
}

// dialog resends the 2xx until the ACK (RFC 6026) and waits for the end.
func (l *leg) dialog() {
	l.mu.Lock()
	ok := l.ok
	l.mu.Unlock()
	interval := sip.T1
	resend := time.NewTimer(interval)
	defer resend.Stop()
	giveUp := time.NewTimer(64 * sip.T1)
	defer giveUp.Stop()
	for waiting := true; waiting; {
		select {
		case <-l.acked:
			waiting = false
		case <-resend.C:
			_ = l.tx.Send(ok)
			interval = min(2*interval, sip.T2)
			resend.Reset(interval)
		case <-giveUp.C:
			l.d.f.log.Info("devices: no ACK for 200 OK", "device", l.d.spec.ID, "call_id", l.id)
			waiting = false
		case <-l.ended:
			return
		case <-l.d.f.life.Done():
			return
		}
	}
	select {
	case <-l.ended:
	case <-l.d.f.life.Done():
	}
}

func (l *leg) end() { l.endOnce.Do(func() { close(l.ended) }) }

// hangup sends BYE for the answered call along the INVITE's Record-Route.
func (l *leg) hangup(ctx context.Context) error {
	l.mu.Lock()
	if l.ok.Bytes == nil {
		l.mu.Unlock()
		return fmt.Errorf("devices: %s: call %q: %w", l.d.spec.ID, l.id, errNotAnswered)
	}
	l.cseq++
	seq := l.cseq
	l.mu.Unlock()
	select {
	case <-l.ended:
		return fmt.Errorf("devices: %s: call %q already ended", l.d.spec.ID, l.id)
	default:
	}
	inv := l.req
	target := inv.Recipient
	if c := inv.Contact(); c != nil {
		target = c.Address
	}
	bye := sip.NewRequest(sip.BYE, *target.Clone())
	for _, h := range inv.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			bye.AppendHeader(&sip.RouteHeader{Address: *rr.Address.Clone()})
		}
	}
	from := &sip.FromHeader{Address: inv.To().Address}
	from.Params.Add("tag", l.tag)
	to := inv.From().AsTo()
	bye.AppendHeader(from)
	bye.AppendHeader(&to)
	bye.AppendHeader(sip.HeaderClone(inv.CallID()))
	bye.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.BYE})
	l.end()
	res, err := l.d.f.client.Do(ctx, bye)
	e := Event{Type: ByeSent, Err: err}
	if err == nil {
		e.Code, e.Reason = res.StatusCode, res.Reason
	}
	l.record(e)
	if err != nil {
		return fmt.Errorf("devices: %s: BYE: %w", l.d.spec.ID, err)
	}
	return nil
}
