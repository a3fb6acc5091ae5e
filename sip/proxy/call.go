package proxy

import (
	"errors"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// call is the response context of one initial INVITE (RFC 3261 §16.7).
// Its events (responses, a transaction's end, the caller's CANCEL,
// timers) come from several goroutines, the socket's reader most of all;
// post applies them one at a time, on whichever goroutine posted while
// none was applying. Everything below the mutex is owned by the one
// applying.
type call struct {
	p     *Proxy
	req   *sip.Request // the caller's INVITE; never mutated
	tx    sip.ServerTransaction
	log   *slog.Logger
	key   string // loop key of req
	dest  string // where responses to the caller go
	hops  uint32 // Max-Forwards of forwarded copies
	start time.Time

	done     chan struct{} // closed once every branch ended: no 2xx is decided after
	finished chan struct{} // closed once the caller has its final response and the call is recorded

	mu    sync.Mutex
	queue []event // posted, not applied yet
	busy  bool    // a goroutine is applying events

	plan       Plan
	started    bool // the plan was forked
	over       bool // every branch ended; later events are dropped
	branches   []*branch
	finals     []*branch // in arrival order
	pending    int
	rec        CallRecord
	cancelReq  *sip.Request // the caller's CANCEL
	answered   bool         // a 2xx was relayed
	finalSent  bool         // the caller has a final response (ours or sipgo's 487)
	noFork     bool         // no new branches: answered, 6xx, cancelled or given up
	globalFail *branch
	timerC     *time.Timer // Timer C of the earliest pending branch
	timerCSet  bool        // timerC is running
	unansTimer *time.Timer // the plan's unanswered delay
	timers     *timerRef   // what timerC and unansTimer hold
}

// timerRef is what a call's timers hold: the call until it ends, then
// nothing. A stopped timer's function stays reachable until the runtime
// drops the timer, which must not keep a finished call.
type timerRef struct{ c atomic.Pointer[call] }

func (r *timerRef) post(kind eventKind) {
	if c := r.c.Load(); c != nil {
		c.post(event{kind: kind})
	}
}

// eventKind is what happened to a call.
type eventKind uint8

const (
	evStart      eventKind = iota // fork the plan
	evResponse                    // a branch's response, or its transaction's end (res nil)
	evCancel                      // the caller's CANCEL (req)
	evUnanswered                  // the unanswered delay elapsed
	evTimerC                      // Timer C fired
)

// event is something that happened to a call.
type event struct {
	kind eventKind
	b    *branch
	res  *sip.Response // evResponse: nil when the transaction ended without a final
	err  error         // why it ended
	req  *sip.Request  // evCancel: the CANCEL
}

func newCall(p *Proxy, req *sip.Request, tx sip.ServerTransaction, dest, key string, hops uint32, labels map[string]string) *call {
	c := &call{
		p: p, req: req, tx: tx, dest: dest, key: key, hops: hops,
		start:    p.now(),
		log:      p.logger().With("call_id", callID(req)),
		done:     make(chan struct{}),
		finished: make(chan struct{}),
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

// post queues ev and, unless another goroutine is applying the call's
// events, applies the queue on this one. It never waits for another
// goroutine: the socket's reader posts, and so may an event being applied
// (its own post only queues).
func (c *call) post(ev event) {
	c.mu.Lock()
	c.queue = append(c.queue, ev)
	if c.busy {
		c.mu.Unlock()
		return
	}
	c.busy = true
	for i := 0; i < len(c.queue); i++ {
		next := c.queue[i]
		c.queue[i] = event{}
		c.mu.Unlock()
		c.apply(next)
		c.mu.Lock()
	}
	c.queue = c.queue[:0]
	c.busy = false
	c.mu.Unlock()
}

// run forks the plan and returns once the caller has its final response
// and every branch ended. It only waits: the call moves on in post.
func (c *call) run(plan Plan) {
	c.plan = plan
	if !c.tx.OnCancel(func(r *sip.Request) { c.post(event{kind: evCancel, req: r}) }) {
		c.rec.Status, c.rec.Outcome = sip.StatusRequestTerminated, OutcomeCancelled
		c.finish()
		return
	}
	c.post(event{kind: evStart})
	<-c.finished
}

// apply applies one event, then ends the call once no branch is pending.
func (c *call) apply(ev event) {
	if c.over {
		return
	}
	switch ev.kind {
	case evStart:
		c.forkPlan()
	case evResponse:
		c.handle(ev)
	case evCancel:
		c.cancelReq = ev.req
		c.callerCancelled()
	case evUnanswered:
		c.unanswered(c.plan.Unanswered)
	case evTimerC:
		c.timerCExpired()
	}
	if c.started && c.pending == 0 {
		c.end()
	}
}

// forkPlan forks the plan's first targets and starts its timers.
func (c *call) forkPlan() {
	c.started = true
	if c.noFork { // the caller cancelled first
		return
	}
	ref := &timerRef{}
	ref.c.Store(c)
	c.timers = ref
	c.timerC = time.AfterFunc(time.Hour, func() { ref.post(evTimerC) })
	c.timerC.Stop()
	plan := c.plan
	if plan.UnansweredDelay > 0 && len(plan.Branches) > 0 {
		c.unansTimer = time.AfterFunc(plan.UnansweredDelay, func() { ref.post(evUnanswered) })
	}
	switch {
	case len(plan.Branches) > 0:
		c.fork(plan.Branches, RolePrimary, nil)
	case len(plan.Unanswered) > 0:
		c.fork(plan.Unanswered, RoleUnanswered, nil)
	}
}

// end answers the caller, if nobody has yet, with the best final
// response, and records the call.
func (c *call) end() {
	c.over = true
	close(c.done)
	if c.timerC != nil {
		c.timerC.Stop()
	}
	if c.unansTimer != nil {
		c.unansTimer.Stop()
	}
	if c.timers != nil {
		c.timers.c.Store(nil)
	}
	if !c.finalSent {
		c.sendBest()
	}
	c.finish()
	close(c.finished)
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
