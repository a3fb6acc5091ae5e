package proxy

import (
	"errors"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// call is the response context of one initial INVITE (RFC 3261 §16.7).
// Everything but the fields noted is owned by the goroutine running run.
type call struct {
	p     *Proxy
	req   *sip.Request // the caller's INVITE; never mutated
	tx    sip.ServerTransaction
	log   *slog.Logger
	key   string // loop key of req
	dest  string // where responses to the caller go
	hops  uint32 // Max-Forwards of forwarded copies
	start time.Time

	events    chan event
	done      chan struct{} // closed when run stops reading events
	cancelled chan struct{} // closed by the caller's CANCEL
	cancelReq *sip.Request  // written before cancelled is closed

	branches []*branch
	finals   []*branch // in arrival order
	pending  int
	rec      CallRecord

	answered   bool // a 2xx was relayed
	finalSent  bool // the caller has a final response (ours or sipgo's 487)
	noFork     bool // no new branches: answered, 6xx, cancelled or given up
	globalFail *branch
	timerC     *time.Timer // Timer C of the earliest pending branch
	timerCSet  bool        // timerC is running
}

// event is something that happened to a branch.
type event struct {
	b   *branch
	res *sip.Response // nil with err
	err error         // the client transaction ended without a final
}

func newCall(p *Proxy, req *sip.Request, tx sip.ServerTransaction, dest, key string, hops uint32, labels map[string]string) *call {
	c := &call{
		p: p, req: req, tx: tx, dest: dest, key: key, hops: hops,
		start:     p.now(),
		log:       p.logger().With("call_id", callID(req)),
		events:    make(chan event),
		done:      make(chan struct{}),
		cancelled: make(chan struct{}),
	}
	c.rec = CallRecord{
		CallID: callID(req),
		Number: req.Recipient.User,
		Labels: maps.Clone(labels),
		Start:  c.start,
	}
	if f := req.From(); f != nil {
		c.rec.From = f.Address.String()
	}
	return c
}

// post hands an event to run, or drops it once run has stopped.
func (c *call) post(ev event) {
	select {
	case c.events <- ev:
	case <-c.done:
	}
}

// run forks the plan and aggregates responses until every branch ended.
func (c *call) run(plan Plan) {
	var once sync.Once
	if !c.tx.OnCancel(func(r *sip.Request) {
		once.Do(func() { c.cancelReq = r; close(c.cancelled) })
	}) {
		c.rec.Status, c.rec.Outcome = sip.StatusRequestTerminated, OutcomeCancelled
		c.finish()
		return
	}
	c.timerC = time.NewTimer(time.Hour)
	c.timerC.Stop()
	defer c.timerC.Stop()
	var unanswered <-chan time.Time
	if plan.UnansweredDelay > 0 && len(plan.Branches) > 0 {
		t := time.NewTimer(plan.UnansweredDelay)
		defer t.Stop()
		unanswered = t.C
	}
	switch {
	case len(plan.Branches) > 0:
		c.fork(plan.Branches, RolePrimary, nil)
	case len(plan.Unanswered) > 0:
		c.fork(plan.Unanswered, RoleUnanswered, nil)
	}
	cancelled := c.cancelled
	for c.pending > 0 {
		select {
		case ev := <-c.events:
			// A CANCEL that already arrived goes first: responding after
			// sipgo's 487 would be lost (and disturb its retransmissions).
			select {
			case <-cancelled:
				cancelled = nil
				c.callerCancelled()
			default:
			}
			c.handle(ev)
		case <-cancelled:
			cancelled = nil
			c.callerCancelled()
		case <-unanswered:
			unanswered = nil
			c.unanswered(plan.Unanswered)
		case <-c.timerC.C:
			c.timerCExpired()
		}
	}
	close(c.done)
	select {
	case <-cancelled:
		c.callerCancelled() // no branch left to cancel; records the outcome
	default:
	}
	if !c.finalSent {
		c.sendBest()
	}
	c.finish()
}

// handle applies one branch event.
func (c *call) handle(ev event) {
	b := ev.b
	switch {
	case ev.res == nil:
		if b.final == 0 {
			code := sip.StatusServiceUnavailable
			if errors.Is(ev.err, sip.ErrTransactionTimeout) {
				code = sip.StatusRequestTimeout
			}
			c.ended(b, code, nil, ev.err)
		}
	case ev.res.IsProvisional():
		c.provisional(b, ev.res)
	case ev.res.IsSuccess():
		c.success(b, ev.res)
	default:
		if b.final == 0 {
			c.ended(b, ev.res.StatusCode, ev.res, nil)
		}
	}
}

func (c *call) provisional(b *branch, res *sip.Response) {
	if b.final != 0 {
		return // reordered behind the final (sipgo #306)
	}
	now := c.p.now()
	if !b.provisional {
		b.provisional = true
		b.rec().ProvisionalAt = now
	}
	b.lastProgress = time.Now()
	if b.cancelWanted && !b.cancelSent {
		c.sendCancel(b)
	}
	if res.StatusCode == sip.StatusTrying {
		return
	}
	if c.rec.PostDialDelay == 0 {
		c.rec.PostDialDelay = now.Sub(c.start)
	}
	if c.finalSent || b.cancelWanted {
		return
	}
	c.log.Debug("relay provisional", "device", b.spec.Device, "status", res.StatusCode)
	c.relay(res)
}

func (c *call) success(b *branch, res *sip.Response) {
	if b.final != 0 {
		return
	}
	defer close(b.late.decided)
	if c.finalSent && !c.answered {
		// The caller already has a final (its CANCEL's 487, or our 480):
		// end this dialog ourselves.
		c.hangUp(b, res)
		c.ended(b, res.StatusCode, res, nil)
		return
	}
	b.late.setRelayed(true)
	if !c.relay(res) { // the caller's CANCEL won the race
		b.late.setRelayed(false)
		c.hangUp(b, res)
		c.ended(b, res.StatusCode, res, nil)
		return
	}
	c.ended(b, res.StatusCode, res, nil)
	if c.answered {
		return // a later 2xx of a forked INVITE is relayed too (§16.7 step 5)
	}
	c.answered, c.finalSent, c.noFork = true, true, true
	c.rec.Status, c.rec.Outcome = res.StatusCode, OutcomeAnswered
	c.rec.AnsweredBy = b.spec.Device
	c.rec.AnswerDelay = c.p.now().Sub(c.start)
	for _, o := range c.branches {
		c.cancel(o, c.p.completedElsewhere())
	}
}

// ended records a branch's final status (code may be synthesised) and
// applies fallback and 6xx rules.
func (c *call) ended(b *branch, code int, res *sip.Response, err error) {
	b.final, b.finalRes = code, res
	c.pending--
	c.finals = append(c.finals, b)
	r := b.rec()
	r.FinalAt, r.Status = c.p.now(), code
	if err != nil {
		r.Error = err.Error()
	}
	c.log.Debug("branch ended", "device", b.spec.Device, "status", code)
	if c.p.Observer != nil {
		c.p.Observer.BranchEnded(c.rec.CallID, *r)
	}
	switch {
	case code >= 600:
		if c.globalFail == nil && !c.finalSent {
			c.globalFail = b
			c.noFork = true
			text := defaultReason(code)
			if res != nil && res.Reason != "" {
				text = res.Reason
			}
			reason := reasonValue(code, text)
			for _, o := range c.branches {
				c.cancel(o, reason)
			}
		}
	case failsFast(code) && len(b.spec.Fallback) > 0 && !c.noFork && !b.cancelWanted && !b.superseded:
		r.FellBack = true
		c.fork(b.spec.Fallback, RoleFallback, b)
	}
}

// failsFast reports the statuses after which Branch.Fallback rings.
func failsFast(code int) bool {
	return code == 408 || code == 480 || code == 503
}

// callerCancelled cancels every branch after the caller's CANCEL; sipgo has
// already answered it 200 and the INVITE 487. The caller's own Reason, if
// any, is passed on; "completed elsewhere" never is, so devices log a
// missed call.
func (c *call) callerCancelled() {
	c.finalSent, c.noFork = true, true
	if !c.answered {
		c.rec.Status, c.rec.Outcome = sip.StatusRequestTerminated, OutcomeCancelled
	}
	reason := ""
	if h := c.cancelReq.GetHeader("Reason"); h != nil {
		reason = h.Value()
	}
	c.log.Debug("caller cancelled")
	for _, b := range c.branches {
		c.cancel(b, reason)
	}
}

// unanswered is the unanswered delay: cancel everything, then ring the
// unanswered targets or answer 480.
func (c *call) unanswered(targets []Branch) {
	if c.finalSent || c.noFork {
		return
	}
	c.log.Debug("unanswered delay elapsed", "targets", len(targets))
	for _, b := range c.branches {
		if b.final == 0 {
			b.superseded = true
			c.cancel(b, "")
		}
	}
	if len(targets) > 0 {
		c.fork(targets, RoleUnanswered, nil)
		return
	}
	c.noFork, c.finalSent = true, true
	c.answer(sip.NewResponseFromRequest(c.req, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil))
	c.rec.Status, c.rec.Outcome = sip.StatusTemporarilyUnavailable, OutcomeUnanswered
}

// sendBest relays the §16.7 best final response once every branch ended.
func (c *call) sendBest() {
	cands := make([]*branch, 0, len(c.finals))
	for _, b := range c.finals {
		if !b.superseded {
			cands = append(cands, b)
		}
	}
	if len(cands) == 0 {
		cands = c.finals
	}
	codes := make([]int, len(cands))
	others := make([]*sip.Response, len(cands))
	for i, b := range cands {
		codes[i], others[i] = b.final, b.finalRes
		if b.timedOutC {
			codes[i] = sip.StatusRequestTimeout
		}
	}
	i, status := SelectBest(codes)
	c.finalSent = true
	c.rec.Status, c.rec.Outcome = status, OutcomeFailed
	if i >= 0 && cands[i].finalRes != nil && codes[i] == cands[i].final {
		res := cands[i].finalRes
		if res.StatusCode != status {
			res = res.Clone() // sipgo's client transaction still holds res
			res.StatusCode, res.Reason = status, defaultReason(status)
		}
		mergeChallenges(res, others)
		c.relay(res)
		return
	}
	c.answer(sip.NewResponseFromRequest(c.req, status, defaultReason(status), nil))
}

// finish stores the call record and tells the observer.
func (c *call) finish() {
	c.rec.End = c.p.now()
	c.rec.Branches = make([]BranchRecord, len(c.branches))
	for i, b := range c.branches {
		c.rec.Branches[i] = b.record
	}
	c.p.recent.add(c.rec, c.p.recentSize())
	if c.p.Observer != nil {
		c.p.Observer.CallEnded(c.rec)
	}
	c.log.Debug("call ended", "status", c.rec.Status, "outcome", c.rec.Outcome)
}
