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
	tag        string // To-tag of the last provisional above 100
	wire       []byte // the last response sent, for retransmissions
	final      int    // status of the final response; 0 before
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

// Respond sends res and moves the transaction on (Send).
func (tx *ServerTx) Respond(res *sip.Response) error {
	w := Wire{Code: res.StatusCode}
	if to := res.To(); to != nil {
		w.ToTag, _ = to.Params.Get("tag")
	}
	tx.mu.Lock()
	if err := tx.refuseLocked(w.Code); err != nil {
		tx.mu.Unlock()
		return err
	}
	w.Bytes = encode(res)
	return tx.sendLocked(w)
}

// Reply builds the response r to the request (BuildResponse) and sends it.
// A final response lets the request go: to resend a 2xx, Send its Wire.
func (tx *ServerTx) Reply(r Reply) (Wire, error) {
	tx.mu.Lock()
	if err := tx.refuseLocked(r.Code); err != nil || tx.req == nil {
		tx.mu.Unlock()
		if err == nil {
			err = errFinalSent
		}
		return Wire{}, err
	}
	w := BuildResponse(tx.req, r)
	return w, tx.sendLocked(w)
}

// Send sends a response built before (Reply's, to resend a 2xx) and moves
// the transaction on: a final response starts its lingering, a 3xx-6xx
// of an INVITE is resent until ACKed. After a 2xx to an INVITE, further
// 2xx are sent as they are (the UAS resends its 2xx itself until the ACK,
// RFC 6026).
func (tx *ServerTx) Send(w Wire) error {
	tx.mu.Lock()
	if err := tx.refuseLocked(w.Code); err != nil {
		tx.mu.Unlock()
		return err
	}
	return tx.sendLocked(w)
}

// refuseLocked is why a response with code cannot go out now, or nil.
func (tx *ServerTx) refuseLocked(code int) error {
	switch {
	case tx.cancelled:
		return sip.ErrTransactionCanceled
	case tx.terminated:
		return sip.ErrTransactionTerminated
	case tx.final != 0 && !(tx.invite && tx.final < 300 && code >= 200 && code < 300):
		return errFinalSent
	}
	return nil
}

// sendLocked records w and sends it; it unlocks tx.mu.
func (tx *ServerTx) sendLocked(w Wire) error {
	tx.wire = w.Bytes
	if tx.invite && w.Code >= 200 && w.Code < 300 {
		tx.wire = nil // never resent: a 2xx retransmission is the UAS core's (RFC 6026)
	}
	switch {
	case w.Code < 200:
		if w.Code > 100 && w.ToTag != "" {
			tx.tag = w.ToTag
		}
	case tx.final == 0:
		tx.final = w.Code
		tx.finishLocked()
	}
	tx.mu.Unlock()
	return tx.l.send(w.Bytes, tx.src)
}

// finishLocked starts the timers of a final response (tx.mu held) and
// lets the request, responses and OnCancel callback go: a lingering
// transaction keeps only what it resends.
func (tx *ServerTx) finishLocked() {
	tx.req, tx.onCancel = nil, nil
	switch {
	case !tx.invite:
		tx.l.lingering.after(sip.Timer_J, tx.expire)
	case tx.final < 300:
		tx.l.lingering.after(sip.Timer_L, tx.expire)
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
		tx.l.lingering.after(sip.Timer_I, tx.expire)
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
	if tx.wire == nil && tx.invite && !tx.terminated && tx.req != nil {
		tx.wire = BuildResponse(tx.req, Reply{Code: 100, Reason: "Trying"}).Bytes
	}
	wire := tx.wire
	tx.mu.Unlock()
	if wire != nil {
		_ = tx.l.send(wire, tx.src)
	}
}

// cancel handles a CANCEL of this INVITE (its own server transaction
// ctx): 200 to the CANCEL, and when no final response went out yet, 487
// to the INVITE; both carry the To-tag of the last provisional (RFC 3261
// §9.2), then OnCancel.
func (tx *ServerTx) cancel(ctx *ServerTx) {
	cancel := ctx.req // Reply lets it go
	tx.mu.Lock()
	if tx.final != 0 || tx.terminated || tx.req == nil {
		tx.mu.Unlock()
		_, _ = ctx.Reply(Reply{Code: 200, Reason: "OK"})
		return
	}
	if tx.tag == "" {
		tx.tag = sip.GenerateTagN(16)
	}
	w := BuildResponse(tx.req, Reply{Code: 487, Reason: "Request Terminated", ToTag: tx.tag})
	tx.cancelled = true
	tx.wire, tx.final = w.Bytes, w.Code
	fn := tx.onCancel
	tag := tx.tag
	tx.finishLocked()
	tx.mu.Unlock()
	_, _ = ctx.Reply(Reply{Code: 200, Reason: "OK", ToTag: tag})
	_ = tx.l.send(w.Bytes, tx.src)
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
