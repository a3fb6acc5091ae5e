package load

import (
	"cmp"
	"context"
	"strconv"
	"sync"
	"time"

	"ocmsim/devices"
	"ocmsim/scenarios"
)

// hangupTimeout bounds the caller's CANCEL or BYE and the wait for the
// final response after a CANCEL.
const hangupTimeout = 3 * time.Second

// callState is what the generator knows of one call; events update it.
type callState struct {
	r       *runner
	id      string
	entry   *scenarios.MixEntry
	started time.Time
	caller  *devices.Fleet // the fleet that placed the call
	final   chan struct{}  // closed on the first final response

	mu        sync.Mutex
	pdd       time.Duration // 0: no 18x yet
	code      int           // first final status
	codeAt    time.Duration
	txTimeout bool
	branches  int
	fleets    uint64 // device fleets that saw the call (bit i: fleet i)
	chosen    string // the device meant to answer
	kind      string // kind of the device that answered
	timers    []*time.Timer
	over      bool
}

// call places one call and plays it to the end.
func (r *runner) call(ctx context.Context, i int, tgt target, dev string) {
	m := &r.prof.Mix[i]
	req := devices.CallRequest{From: "+12065550100", To: tgt.number, Media: r.prof.Media}
	fl := r.callers[int(r.placed.Add(1))%len(r.callers)]
	if m.Emergency {
		req = devices.CallRequest{Device: dev, To: "911", Media: r.prof.Media}
		fl, _ = r.fleetOf(dev)
	}
	r.m.placed.Inc()
	c, err := fl.Dial(ctx, req)
	if err != nil {
		r.opts.Logger.Debug("dial failed", "to", req.To, "error", err)
		r.record(i, nil, ClassError, "error")
		return
	}
	st := &callState{r: r, id: c.ID, entry: m, started: c.Started, final: make(chan struct{}), caller: fl}
	r.calls.add(st)
	defer r.calls.finish(st)
	defer st.stopTimers()
	// How long the call may ring: the answering device's delay plus
	// slack, or for `nobody` the entry's `after` (else RingTimeout).
	ring := m.After + r.opts.RingTimeout
	if m.Answer == "nobody" {
		ring = cmp.Or(m.After, r.opts.RingTimeout)
	}
	if !wait(ctx, st.final, ring) {
		hctx, cancel := context.WithTimeout(context.Background(), hangupTimeout)
		_ = c.Hangup(hctx) // CANCEL while ringing
		wait(hctx, st.final, hangupTimeout)
		cancel()
	}
	code, timeout := st.result()
	if code >= 200 && code < 300 {
		wait(ctx, nil, m.Hold)
		hctx, cancel := context.WithTimeout(context.Background(), hangupTimeout)
		_ = c.Hangup(hctx)
		cancel()
	}
	class := classify(code, timeout, m)
	text := "none"
	if code != 0 {
		text = strconv.Itoa(code)
	}
	r.record(i, st, class, text)
}

// wait waits d (or for ch to close, when not nil); false when ctx ended
// or d passed before ch closed.
func wait(ctx context.Context, ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return ch == nil
	case <-ctx.Done():
		return false
	}
}

// classify returns a call's outcome class.
func classify(code int, timeout bool, m *scenarios.MixEntry) string {
	switch {
	case code == 0 || timeout:
		return ClassTimeout
	case code < 300:
		return ClassAnswered
	case code == m.Reject || code == 486 || code == 600 || code == 603:
		return ClassRejected
	case code == 487 || code == 480 || code == 408:
		return ClassUnanswered
	}
	return ClassError
}

// expected returns the class a mix entry asks for.
func expected(m *scenarios.MixEntry) string {
	switch {
	case m.Reject != 0:
		return ClassRejected
	case m.Answer == "nobody" && !m.Emergency:
		return ClassUnanswered
	}
	return ClassAnswered
}

func (st *callState) result() (int, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.code, st.txTimeout
}

// onEvent updates the call from one of its events (caller's or a device's).
func (st *callState) onEvent(e devices.Event) {
	st.mu.Lock()
	defer st.mu.Unlock()
	at := e.At.Sub(st.started)
	switch {
	case e.Caller && e.Type == devices.Provisional && e.Code >= 180 && st.pdd == 0:
		st.pdd = max(at, time.Nanosecond)
	case e.Caller && e.Type == devices.Final && st.code == 0:
		st.code, st.codeAt, st.txTimeout = e.Code, at, e.Err != nil
		close(st.final)
	case e.Type == devices.MediaEnded && e.Media != nil:
		st.r.addMedia(*e.Media)
	case e.Caller:
	case e.Type == devices.InviteReceived:
		st.branches++
		if fl, ok := st.r.pop.devices[e.Device]; ok {
			st.fleets |= 1 << fl.fleet
		}
		st.onInvite(e.Device)
	case e.Type == devices.Answered && st.kind == "":
		st.kind = string(st.r.pop.devices[e.Device].kind)
	}
}

// onInvite makes a device that got the INVITE act as the mix entry says
// (st.mu held): reject, or answer after `after` if it is the one meant to.
func (st *callState) onInvite(dev string) {
	if st.over {
		return
	}
	m := st.entry
	fl, ok := st.r.fleetOf(dev)
	if !ok {
		return
	}
	switch {
	case m.Reject != 0:
		_ = fl.Reject(dev, st.id, m.Reject)
	case m.Answer == "nobody" || st.chosen != "" || !st.r.pop.answers(dev, m.Answer):
	default:
		st.chosen = dev
		answer := func() { _ = fl.Answer(dev, st.id) }
		if m.After <= 0 {
			answer()
			return
		}
		st.timers = append(st.timers, time.AfterFunc(m.After, answer))
	}
}

func (st *callState) stopTimers() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.over = true
	for _, t := range st.timers {
		t.Stop()
	}
	st.timers = nil
}

// forget drops the call's events from every fleet that saw it.
func (st *callState) forget() {
	st.mu.Lock()
	fleets := st.fleets
	st.mu.Unlock()
	st.caller.Forget(st.id)
	for i, fl := range st.r.fleets {
		if fleets&(1<<i) != 0 {
			fl.Forget(st.id)
		}
	}
}

// record accounts for a finished call (st is nil when it was never sent).
func (r *runner) record(i int, st *callState, class, code string) {
	m := &r.prof.Mix[i]
	r.m.calls.WithLabelValues(class).Inc()
	var pdd, setup time.Duration
	var branches int
	kind := ""
	if st != nil {
		st.mu.Lock()
		pdd, setup, branches, kind = st.pdd, st.codeAt, st.branches, st.kind
		st.mu.Unlock()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished++
	r.classes[class]++
	r.codes[code]++
	r.mix[i].Calls++
	if class != expected(m) {
		r.failed++
	} else {
		r.mix[i].AsAsked++
	}
	if m.Emergency {
		r.emergency[code]++
	}
	if st == nil {
		return
	}
	if pdd > 0 {
		r.hist.pdd.RecordDuration(pdd)
		r.m.pdd.Observe(pdd.Seconds())
	}
	if setup > 0 && code != "none" {
		r.hist.setup.RecordDuration(setup)
	}
	if class == ClassAnswered {
		r.hist.answer.RecordDuration(setup)
		r.m.answer.Observe(setup.Seconds())
		switch {
		case kind == "" && m.Emergency:
			kind = "psap" // answered outside the simulated population
		case kind == "":
			kind = "other"
		}
		r.answeredBy[kind]++
	}
	if !m.Emergency {
		r.hist.branches.Record(int64(branches))
		r.m.branches.Observe(float64(branches))
	}
}

// addMedia accounts for one side's RTP stream.
func (r *runner) addMedia(s devices.MediaStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.media.Streams++
	r.media.Expected += int64(s.Expected)
	r.media.Lost += int64(s.Lost)
	j := s.JitterMs
	r.jitterSum += j
	r.media.JitterMaxMs = max(r.media.JitterMaxMs, j)
}
