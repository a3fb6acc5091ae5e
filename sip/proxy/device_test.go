package proxy

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// behaviour scripts a callee device.
type behaviour struct {
	RingAfter     time.Duration // 180 after this; negative: no provisional
	AnswerAfter   time.Duration // 200 after this (since the INVITE); 0: never
	Reject        int           // final status instead of answering
	RejectAfter   time.Duration
	Headers       []sip.Header // added to the final response
	Retransmit2xx int          // extra copies of the 200
	Contact       *sip.Uri     // Contact sent instead of the device's address
}

// device is a scripted callee that records what it receives.
type device struct {
	*node
	name string
	b    behaviour

	mu    sync.Mutex
	log   []*sip.Request            // every request received, in order
	sent  []string                  // "180"/"200"/... in send order, interleaved with "<-METHOD"
	inbox chan struct{}             // signalled on every request
	taken map[sip.RequestMethod]int // how many of each wait returned

	invite *sip.Request // the last initial INVITE
	tag    string       // our To-tag for it
}

// bye hangs up the last call from the callee side, along the route set the
// INVITE's Record-Route gave it (in order, RFC 3261 §12.1.1).
func (d *device) bye(tb testing.TB) *sip.Response {
	tb.Helper()
	d.mu.Lock()
	inv, tag := d.invite, d.tag
	d.mu.Unlock()
	req := sip.NewRequest(sip.BYE, inv.Contact().Address)
	for _, h := range inv.GetHeaders("Record-Route") {
		req.AppendHeader(&sip.RouteHeader{Address: h.(*sip.RecordRouteHeader).Address})
	}
	from := sip.FromHeader{Address: inv.To().Address}
	from.Params.Add("tag", tag)
	to := inv.From().AsTo()
	req.AppendHeader(&from)
	req.AppendHeader(&to)
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.BYE})
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	res, err := d.client.Do(ctx, req)
	if err != nil {
		tb.Fatalf("%s: BYE: %v", d.name, err)
	}
	return res
}

func newDevice(tb testing.TB, name string, b behaviour) *device {
	tb.Helper()
	d := &device{node: newNode(tb), name: name, b: b, inbox: make(chan struct{}, 1), taken: map[sip.RequestMethod]int{}}
	d.srv.OnInvite(d.onInvite)
	d.srv.OnAck(func(req *sip.Request, _ sip.ServerTransaction) { d.record(req) })
	for _, m := range []sip.RequestMethod{sip.BYE, sip.UPDATE, sip.INFO, sip.OPTIONS} {
		d.srv.OnRequest(m, func(req *sip.Request, tx sip.ServerTransaction) {
			d.record(req)
			_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		})
	}
	d.serve(tb)
	return d
}

func (d *device) branch() Branch {
	return Branch{Device: d.name, Kind: "test", URI: d.uri(d.name)}
}

func (d *device) record(req *sip.Request) {
	d.mu.Lock()
	d.log = append(d.log, req)
	d.sent = append(d.sent, "<-"+string(req.Method))
	d.mu.Unlock()
	select {
	case d.inbox <- struct{}{}:
	default: // already signalled
	}
}

func (d *device) respond(tx sip.ServerTransaction, req *sip.Request, code int, tag string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, "Test "+strconv.Itoa(code), nil)
	res.To().Params.Add("tag", tag)
	if code < 300 {
		contact := d.uri(d.name)
		if d.b.Contact != nil {
			contact = *d.b.Contact
		}
		res.AppendHeader(&sip.ContactHeader{Address: contact})
	}
	for _, h := range hdrs {
		res.AppendHeader(sip.HeaderClone(h))
	}
	d.mu.Lock()
	d.sent = append(d.sent, strconv.Itoa(code))
	d.mu.Unlock()
	_ = tx.Respond(res)
}

func (d *device) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	d.record(req)
	d.mu.Lock()
	if !req.To().Params.Has("tag") {
		d.invite = req
	}
	d.mu.Unlock()
	if req.To().Params.Has("tag") { // re-INVITE
		tag, _ := req.To().Params.Get("tag")
		d.respond(tx, req, 200, tag)
		return
	}
	tag := sip.GenerateTagN(8)
	d.mu.Lock()
	d.tag = tag
	d.mu.Unlock()
	cancelled := make(chan struct{})
	tx.OnCancel(func(r *sip.Request) { d.record(r); close(cancelled) })
	start := time.Now()
	// sleepUntil waits until start+at; false when the INVITE ended first.
	sleepUntil := func(at time.Duration) bool {
		t := time.NewTimer(time.Until(start.Add(at)))
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-cancelled:
		case <-tx.Done():
		}
		return false
	}
	if d.b.RingAfter >= 0 {
		if !sleepUntil(d.b.RingAfter) {
			return
		}
		d.respond(tx, req, 180, tag)
	}
	switch {
	case d.b.Reject != 0:
		if sleepUntil(d.b.RejectAfter) {
			d.respond(tx, req, d.b.Reject, tag, d.b.Headers...)
		}
	case d.b.AnswerAfter > 0:
		if !sleepUntil(d.b.AnswerAfter) {
			return
		}
		d.respond(tx, req, 200, tag, d.b.Headers...)
		for range d.b.Retransmit2xx {
			time.Sleep(5 * time.Millisecond)
			d.respond(tx, req, 200, tag, d.b.Headers...)
		}
	default:
		sleepUntil(time.Hour)
	}
}

// wait returns the next request with method m not returned before, in
// arrival order; requests of other methods stay available.
func (d *device) wait(tb testing.TB, m sip.RequestMethod) *sip.Request {
	tb.Helper()
	deadline := time.After(waitFor)
	for {
		d.mu.Lock()
		seen := 0
		for _, r := range d.log {
			if r.Method != m {
				continue
			}
			if seen == d.taken[m] {
				d.taken[m]++
				d.mu.Unlock()
				return r
			}
			seen++
		}
		d.mu.Unlock()
		select {
		case <-d.inbox:
		case <-deadline:
			tb.Fatalf("%s: no %s within %v; got %v", d.name, m, waitFor, d.trace())
			return nil
		}
	}
}

// count returns how many requests with method m the device received.
func (d *device) count(m sip.RequestMethod) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, r := range d.log {
		if r.Method == m {
			n++
		}
	}
	return n
}

func (d *device) trace() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.sent...)
}
