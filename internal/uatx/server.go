package uatx

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// ServerTx is the server transaction of one request (RFC 3261 §17.2 over
// UDP): it answers retransmissions of the request with the last response,
// resends a non-2xx final response of an INVITE until its ACK, and
// handles a CANCEL of an INVITE (200 to the CANCEL, 487 to the INVITE,
// then the OnCancel callback). It lingers for sipgo's Timer J (L after a
// 2xx) once answered. It satisfies sip.ServerTransaction.
type ServerTx struct {
	l      *Layer
	key    txKey
	req    *sip.Request
	src    net.Addr
	invite bool

	mu         sync.Mutex
	last       *sip.Response // the last provisional sent; nil once final
	wire       []byte        // the last response sent, for retransmissions
	final      int           // status of the final response; 0 before
	isAcked    bool
	cancelled  bool
	onCancel   sip.FnTxCancel
	onTerm     []sip.FnTxTerminate
	timer      *time.Timer
	interval   time.Duration // Timer G
	deadline   time.Time     // Timer H
	done       chan struct{}
	terminated bool
	err        error
}

var _ sip.ServerTransaction = (*ServerTx)(nil)

func newServerTx(l *Layer, key txKey, req *sip.Request, src net.Addr) *ServerTx {
	return &ServerTx{l: l, key: key, req: req, src: src, invite: req.Method == sip.INVITE, done: make(chan struct{})}
}

// errFinalSent is returned by Respond once a final response went out (a
// further 2xx of an INVITE excepted).
var errFinalSent = errors.New("uatx: the transaction already has a final response")

// Respond sends res and moves the transaction on: a final response starts
// its lingering, a 3xx-6xx of an INVITE is resent until ACKed. After a
// 2xx to an INVITE, further 2xx are sent as they are (the UAS resends its
// 2xx itself until the ACK, RFC 6026).
func (tx *ServerTx) Respond(res *sip.Response) error {
	tx.mu.Lock()
	switch {
	case tx.cancelled:
		tx.mu.Unlock()
		return sip.ErrTransactionCanceled
	case tx.terminated:
		tx.mu.Unlock()
		return sip.ErrTransactionTerminated
	case tx.final != 0 && !(tx.invite && tx.final < 300 && res.IsSuccess()):
		tx.mu.Unlock()
		return errFinalSent
	}
	wire := encode(res)
	tx.wire = wire
	if tx.invite && res.IsSuccess() {
		tx.wire = nil // never resent: a 2xx retransmission is the UAS core's (RFC 6026)
	}
	switch {
	case res.StatusCode < 200:
		tx.last = res
	case tx.final == 0:
		tx.final = res.StatusCode
		tx.finishLocked()
	}
	tx.mu.Unlock()
	return tx.l.send(wire, tx.src)
}

// finishLocked starts the timers of a final response (tx.mu held) and
// lets the request, responses and OnCancel callback go: a lingering
// transaction keeps only what it resends.
func (tx *ServerTx) finishLocked() {
	tx.req, tx.last, tx.onCancel = nil, nil, nil
	switch {
	case !tx.invite:
		tx.timer = time.AfterFunc(sip.Timer_J, tx.expire)
	case tx.final < 300:
		tx.timer = time.AfterFunc(sip.Timer_L, tx.expire)
	default: // Timer G resends until the ACK, Timer H gives up
		tx.interval = sip.Timer_G
		tx.deadline = time.Now().Add(sip.Timer_H)
		tx.timer = time.AfterFunc(tx.interval, tx.resendFinal)
	}
}

// resendFinal is Timer G: resend the 3xx-6xx until ACKed or Timer H.
func (tx *ServerTx) resendFinal() {
	tx.mu.Lock()
	if tx.terminated || tx.isAcked {
		tx.mu.Unlock()
		return
	}
	left := time.Until(tx.deadline)
	if left <= 0 {
		tx.mu.Unlock()
		tx.terminate(errors.New("uatx: no ACK for the final response (Timer H)"))
		return
	}
	wire := tx.wire
	tx.interval = min(2*tx.interval, sip.T2)
	tx.timer.Reset(min(tx.interval, left))
	tx.mu.Unlock()
	_ = tx.l.send(wire, tx.src)
}

func (tx *ServerTx) expire() { tx.terminate(nil) }

// acked takes the ACK of a 3xx-6xx; false when the transaction has none
// (then the ACK is for a 2xx, a request of its own).
func (tx *ServerTx) acked() bool {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.final < 300 {
		return false
	}
	if !tx.isAcked && !tx.terminated {
		tx.isAcked = true
		tx.timer.Stop()
		tx.timer = time.AfterFunc(sip.Timer_I, tx.expire)
	}
	return true
}

// retransmitted answers a retransmission of the request with the last
// response; an INVITE with none yet gets 100 Trying, which stops the
// sender's retransmissions. An INVITE that got a 2xx absorbs it (RFC 6026
// §7.1: the UAS core resends its 2xx itself).
func (tx *ServerTx) retransmitted() {
	tx.mu.Lock()
	if tx.invite && tx.final >= 200 && tx.final < 300 {
		tx.mu.Unlock()
		return
	}
	if tx.wire == nil && tx.invite && !tx.terminated {
		tx.last = sip.NewResponseFromRequest(tx.req, 100, "Trying", nil)
		tx.wire = encode(tx.last)
	}
	wire := tx.wire
	tx.mu.Unlock()
	if wire != nil {
		_ = tx.l.send(wire, tx.src)
	}
}

// cancel handles a CANCEL of this INVITE (its own server transaction
// ctx): 200 to the CANCEL, and when no final response went out yet, 487
// to the INVITE with the To-tag of the last provisional, then OnCancel.
func (tx *ServerTx) cancel(ctx *ServerTx) {
	cancel := ctx.req // Respond lets it go
	_ = ctx.Respond(sip.NewResponseFromRequest(cancel, 200, "OK", nil))
	tx.mu.Lock()
	if tx.final != 0 || tx.terminated {
		tx.mu.Unlock()
		return
	}
	res := sip.NewResponseFromRequest(tx.req, 487, "Request Terminated", nil)
	if tx.last != nil && tx.last.StatusCode > 100 && tx.last.To() != nil && res.To() != nil {
		if tag, ok := tx.last.To().Params.Get("tag"); ok {
			res.To().Params.Add("tag", tag)
		}
	}
	tx.cancelled = true
	tx.wire, tx.final = encode(res), res.StatusCode
	fn := tx.onCancel
	tx.finishLocked()
	wire := tx.wire
	tx.mu.Unlock()
	_ = tx.l.send(wire, tx.src)
	if fn != nil {
		fn(cancel)
	}
}

// OnCancel registers f, called (once, on the reader goroutine: it must
// not block) when a CANCEL ends the INVITE; false when it already ended.
// Once a final response went out no CANCEL can end it, and f is not kept.
func (tx *ServerTx) OnCancel(f sip.FnTxCancel) bool {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.cancelled || tx.terminated {
		return false
	}
	if tx.final == 0 {
		tx.onCancel = f
	}
	return true
}

// Release tells the transaction its handler is done: without a final
// response it ends now (a retransmitted request then starts a new one),
// as sipgo does when a handler returns.
func (tx *ServerTx) Release() { tx.end(nil, true) }

// Acks returns nil: the ACK of a 2xx is a request of its own (Handler),
// that of a non-2xx is absorbed.
func (tx *ServerTx) Acks() <-chan *sip.Request { return nil }

// Terminate ends the transaction now.
func (tx *ServerTx) Terminate() { tx.terminate(sip.ErrTransactionTerminated) }

// OnTerminate registers f, called when the transaction ends; false when
// it already has.
func (tx *ServerTx) OnTerminate(f sip.FnTxTerminate) bool {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.terminated {
		return false
	}
	tx.onTerm = append(tx.onTerm, f)
	return true
}

// Done is closed when the transaction ends.
func (tx *ServerTx) Done() <-chan struct{} { return tx.done }

// Err is why the transaction ended (nil for a normal end).
func (tx *ServerTx) Err() error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.err
}

func (tx *ServerTx) terminate(err error) { tx.end(err, false) }

// end terminates the transaction; with unanswered, only if it has no
// final response (checked under the same lock as the end).
func (tx *ServerTx) end(err error, unanswered bool) {
	tx.mu.Lock()
	if tx.terminated || unanswered && tx.final != 0 {
		tx.mu.Unlock()
		return
	}
	tx.terminated, tx.err = true, err
	if tx.timer != nil {
		tx.timer.Stop()
	}
	fns := tx.onTerm
	tx.mu.Unlock()
	tx.l.forgetServer(tx)
	close(tx.done)
	for _, f := range fns {
		f(tx.key.branch, err)
	}
}
