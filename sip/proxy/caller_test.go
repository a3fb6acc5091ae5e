package proxy

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// caller is a UAC placing calls through the proxy; it answers BYEs 200.
type caller struct {
	*node
	byes chan *sip.Request
}

func newCaller(tb testing.TB) *caller {
	c := &caller{node: newNode(tb), byes: make(chan *sip.Request, 16)}
	c.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		c.byes <- req
	})
	c.serve(tb)
	return c
}

// outCall is one INVITE placed by a caller, with everything it got back.
type outCall struct {
	c     *caller
	req   *sip.Request
	tx    sip.ClientTransaction
	resps chan *sip.Response
	cseq  uint32
	done  chan struct{}
}

// invite sends an INVITE for number to the proxy at proxyAddr.
func (c *caller) invite(tb testing.TB, number, proxyAddr string, hdrs ...sip.Header) *outCall {
	tb.Helper()
	host, port, _ := sip.ParseAddr(proxyAddr)
	ruri := sip.Uri{Scheme: "sip", User: number, Host: host, Port: port}
	req := sip.NewRequest(sip.INVITE, ruri)
	from := &sip.FromHeader{Address: c.uri("alice")}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: ruri})
	req.AppendHeader(&sip.ContactHeader{Address: c.uri("alice")})
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	tx, err := c.client.TransactionRequest(context.Background(), req)
	if err != nil {
		tb.Fatal(err)
	}
	oc := &outCall{c: c, req: req, tx: tx, resps: make(chan *sip.Response, 64), cseq: req.CSeq().SeqNo, done: make(chan struct{})}
	tx.OnRetransmission(func(res *sip.Response) { oc.resps <- res })
	go func() {
		defer close(oc.done)
		for {
			select {
			case res := <-tx.Responses():
				oc.resps <- res
			case <-tx.Done():
				return
			}
		}
	}()
	tb.Cleanup(func() { tx.Terminate(); <-oc.done })
	return oc
}

// next returns the next response the caller got.
func (oc *outCall) next(tb testing.TB) *sip.Response {
	tb.Helper()
	select {
	case res := <-oc.resps:
		return res
	case <-time.After(waitFor):
		tb.Fatalf("caller: no response within %v", waitFor)
		return nil
	}
}

// final skips provisionals (returned too) up to the next final response.
func (oc *outCall) final(tb testing.TB) (*sip.Response, []*sip.Response) {
	tb.Helper()
	var prov []*sip.Response
	for {
		res := oc.next(tb)
		if !res.IsProvisional() {
			return res, prov
		}
		prov = append(prov, res)
	}
}

// inDialog builds a request in the dialog a 2xx created (route set from its
// Record-Route, reversed).
func (oc *outCall) inDialog(res *sip.Response, m sip.RequestMethod) *sip.Request {
	req := sip.NewRequest(m, res.Contact().Address)
	rrs := res.GetHeaders("Record-Route")
	for i := len(rrs) - 1; i >= 0; i-- {
		req.AppendHeader(&sip.RouteHeader{Address: rrs[i].(*sip.RecordRouteHeader).Address})
	}
	req.AppendHeader(sip.HeaderClone(oc.req.From()))
	req.AppendHeader(sip.HeaderClone(res.To()))
	req.AppendHeader(sip.HeaderClone(oc.req.CallID()))
	seq := oc.req.CSeq().SeqNo
	if m != sip.ACK {
		oc.cseq++
		seq = oc.cseq
	}
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: m})
	req.AppendHeader(&sip.ContactHeader{Address: oc.c.uri("alice")})
	return req
}

func (oc *outCall) ack(tb testing.TB, res *sip.Response) {
	tb.Helper()
	if err := oc.c.client.WriteRequest(oc.inDialog(res, sip.ACK)); err != nil {
		tb.Fatal(err)
	}
}

// request sends an in-dialog request and returns its final response.
func (oc *outCall) request(tb testing.TB, res *sip.Response, m sip.RequestMethod) *sip.Response {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	final, err := oc.c.client.Do(ctx, oc.inDialog(res, m))
	if err != nil {
		tb.Fatalf("%s: %v", m, err)
	}
	return final
}

// cancel sends a CANCEL for the INVITE and waits for its 200.
func (oc *outCall) cancel(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	res, err := oc.c.client.Do(ctx, newCancel(oc.req, ""))
	if err != nil || res.StatusCode != 200 {
		tb.Fatalf("CANCEL: %v %v", res, err)
	}
}
