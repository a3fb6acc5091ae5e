package uatx

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Client transaction states (RFC 3261 §17.1, RFC 6026 for Accepted).
type clientState uint8

const (
	calling    clientState = iota // INVITE sent (Trying for non-INVITE), retransmitting
	proceeding                    // a provisional came
	completed                     // a final (non-2xx for INVITE) came
	accepted                      // INVITE: a 2xx came; later 2xx go to OnRetransmission
	ended
)

// responseBuffer is how many responses a transaction holds for a reader
// that is late; more are handed over by a goroutine each.
const responseBuffer = 8

// ClientTx is the client transaction of one request (RFC 3261 §17.1 over
// UDP): it retransmits the request (Timer A / E) until a response or
// Timer B / F, ACKs 3xx-6xx to an INVITE itself, and passes 2xx that come
// after the first to OnRetransmission. Non-INVITE retransmissions go on
// at T2 while provisional. It lingers for Timer D / K / M once final. It
// satisfies sip.ClientTransaction.
type ClientTx struct {
	l         *Layer
	key       txKey
	req       *sip.Request
	wire      []byte // req as sent, for retransmissions
	dst       net.Addr
	invite    bool
	responses chan *sip.Response
	done      chan struct{}

	mu        sync.Mutex
	state     clientState
	timer     *time.Timer
	interval  time.Duration
	deadline  time.Time
	ack       []byte // ACK of the non-2xx final, as sent
	onRetrans sip.FnTxResponse
	onTerm    []sip.FnTxTerminate
	err       error

	deliver Delivery // set: responses go here, not to Responses
}

var _ sip.ClientTransaction = (*ClientTx)(nil)

func newClientTx(l *Layer, key txKey, req *sip.Request, dst net.Addr) *ClientTx {
	return &ClientTx{l: l, key: key, req: req, dst: dst, invite: req.IsInvite(),
		responses: make(chan *sip.Response, responseBuffer), done: make(chan struct{})}
}

// start sends the request and arms Timer A / E with Timer B / F.
func (tx *ClientTx) start() error {
	tx.mu.Lock()
	wire := encode(tx.req)
	tx.wire = wire
	tx.interval = sip.Timer_E
	timeout := sip.Timer_F
	if tx.invite {
		tx.interval, timeout = sip.Timer_A, sip.Timer_B
	}
	tx.deadline = time.Now().Add(timeout)
	tx.timer = time.AfterFunc(tx.interval, tx.retransmit)
	tx.mu.Unlock()
	if err := tx.l.send(wire, tx.dst); err != nil {
		tx.terminate(err)
		return err
	}
	return nil
}

// retransmit is Timer A / E, and B / F when the deadline passed.
func (tx *ClientTx) retransmit() {
	tx.mu.Lock()
	if tx.state != calling && (tx.invite || tx.state != proceeding) {
		tx.mu.Unlock()
		return
	}
	left := time.Until(tx.deadline)
	if left <= 0 {
		tx.mu.Unlock()
		tx.terminate(sip.ErrTransactionTimeout)
		return
	}
	switch {
	case tx.invite:
		tx.interval *= 2
	case tx.state == proceeding:
		tx.interval = sip.T2
	default:
		tx.interval = min(2*tx.interval, sip.T2)
	}
	tx.timer.Reset(min(tx.interval, left))
	wire := tx.wire
	tx.mu.Unlock()
	_ = tx.l.send(wire, tx.dst)
}

// receive takes a response the Layer matched to this transaction.
func (tx *ClientTx) receive(res *sip.Response) {
	tx.mu.Lock()
	state := tx.state
	var (
		pass    bool
		resend  []byte // the ACK of a non-2xx final
		retrans sip.FnTxResponse
		deliver = tx.deliver
	)
	switch {
	case state == ended:
	case res.IsProvisional():
		if state == calling || state == proceeding {
			pass = true
			if state == calling {
				tx.state = proceeding
				if tx.invite { // no Timer B after a provisional, as sipgo
					tx.timer.Stop()
				}
			}
		}
	case state == calling || state == proceeding:
		pass = true
		tx.timer.Stop()
		linger := sip.Timer_K
		switch {
		case !tx.invite:
			tx.state = completed
		case res.IsSuccess():
			tx.state, linger = accepted, sip.Timer_M
		default:
			tx.state, linger = completed, sip.Timer_D
			tx.ack = encode(ackFor(tx.req, res))
			resend = tx.ack
		}
		tx.req, tx.wire = nil, nil // lingering, it keeps only what it resends
		tx.deliver = nil           // deliver, read above, still gets this final
		tx.l.lingering.after(linger, func() { tx.terminate(nil) })
	case state == accepted && res.IsSuccess():
		retrans = tx.onRetrans
	case state == completed && tx.invite && !res.IsSuccess():
		resend = tx.ack // the final again: ACK again
	}
	tx.mu.Unlock()
	if resend != nil {
		_ = tx.l.send(resend, tx.dst)
	}
	if retrans != nil {
		retrans(res)
	}
	switch {
	case !pass:
	case deliver != nil:
		deliver(res, nil)
	default:
		select {
		case tx.responses <- res:
		default: // a reader that is late: keep the reader goroutine free
			go func() {
				select {
				case tx.responses <- res:
				case <-tx.done:
				}
			}()
		}
	}
}

// Delivery gets the responses of a client transaction (provisionals and
// the first final one) as they are read, on the socket's reader goroutine:
// it must not block. When the transaction ends without a final response
// (Timer B or F, Terminate, the Layer closed) it gets res nil and why
// (nil after Terminate). The transaction lets it go after its final
// response or end: what it holds is not kept while the transaction
// lingers.
type Delivery func(res *sip.Response, err error)

type deliveryKey struct{}

// WithDelivery makes the client transaction that Request starts with ctx
// hand its responses to f rather than to its Responses channel: no
// goroutine waits on the transaction, and none is woken per response.
// Transaction layers other than uatx ignore it.
func WithDelivery(ctx context.Context, f Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, f)
}

// ackFor builds the ACK of a 3xx-6xx to inv (RFC 3261 §17.1.1.3).
func ackFor(inv *sip.Request, res *sip.Response) *sip.Request {
	ack := sip.NewRequest(sip.ACK, *inv.Recipient.Clone())
	ack.SipVersion = inv.SipVersion
	ack.AppendHeader(sip.HeaderClone(inv.Via()))
	for _, h := range inv.GetHeaders("Route") {
		ack.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&mf)
	to := res.To()
	if to == nil { // a malformed response: do not crash on it
		to = inv.To()
	}
	// Each only when present: a typed nil would crash the encoder.
	if h := inv.From(); h != nil {
		ack.AppendHeader(sip.HeaderClone(h))
	}
	if to != nil {
		ack.AppendHeader(sip.HeaderClone(to))
	}
	if h := inv.CallID(); h != nil {
		ack.AppendHeader(sip.HeaderClone(h))
	}
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	ack.SetTransport(inv.Transport())
	return ack
}

// Responses delivers the responses of the transaction: provisionals and
// the first final one. A transaction started with a Delivery sends none.
func (tx *ClientTx) Responses() <-chan *sip.Response { return tx.responses }

// OnRetransmission registers f for 2xx to an INVITE after the first (a
// fork race brings one per answering branch); false once ended.
func (tx *ClientTx) OnRetransmission(f sip.FnTxResponse) bool {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.state == ended {
		return false
	}
	tx.onRetrans = f
	return true
}

// Terminate ends the transaction now.
func (tx *ClientTx) Terminate() { tx.terminate(nil) }

// OnTerminate registers f, called when the transaction ends; false when
// it already has.
func (tx *ClientTx) OnTerminate(f sip.FnTxTerminate) bool {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.state == ended {
		return false
	}
	tx.onTerm = append(tx.onTerm, f)
	return true
}

// Done is closed when the transaction ends.
func (tx *ClientTx) Done() <-chan struct{} { return tx.done }

// Err is why the transaction ended: sip.ErrTransactionTimeout when no
// final response came in time; nil for a normal end.
func (tx *ClientTx) Err() error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.err
}

func (tx *ClientTx) terminate(err error) {
	tx.mu.Lock()
	if tx.state == ended {
		tx.mu.Unlock()
		return
	}
	var deliver Delivery
	if tx.state == calling || tx.state == proceeding {
		deliver = tx.deliver
	}
	tx.state, tx.err, tx.deliver = ended, err, nil
	if tx.timer != nil {
		tx.timer.Stop()
	}
	fns := tx.onTerm
	tx.mu.Unlock()
	tx.l.forgetClient(tx)
	close(tx.done)
	if deliver != nil {
		deliver(nil, err)
	}
	for _, f := range fns {
		f(tx.key.branch, err)
	}
}
