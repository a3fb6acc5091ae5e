package run

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ocmsim/devices"
	"ocmsim/routing"
	"ocmsim/scenarios"
	"ocmsim/scenarios/cmdlet"
)

// runner runs the steps of one scenario against its env.
type runner struct {
	f     *scenarios.File
	opts  Options
	env   *env
	rep   *Report
	calls map[string]*callState
	order []*callState
	last  *callState
	out   string // output of the latest ps: step
}

// callState is one call placed by a `call:` step.
type callState struct {
	id    string
	c     *devices.Call
	rep   *CallReport
	rings map[string]string // routing's reason per device, in process only
	order []string          // devices of the routing decision, rung first
	media []mediaCheck      // checked once the call has ended
}

// errUnsupported marks steps the simulated devices cannot perform yet.
var errUnsupported = errors.New("not simulated yet")

// steps runs every step in order; a failed step does not stop the run.
func (r *runner) steps(ctx context.Context) {
	for i := range r.f.Steps {
		st := &r.f.Steps[i]
		if ctx.Err() != nil {
			r.check(st, "run", false, "the step runs", "interrupted: "+context.Cause(ctx).Error())
			continue
		}
		err := r.do(ctx, st)
		r.checkError(st, err)
		if st.Expect != nil && err == nil {
			r.expect(ctx, st, r.callOf(st))
		}
		if _, ok := st.Action.(*scenarios.PSStep); ok && st.ExpectOutput != nil && err == nil {
			passed, why := st.ExpectOutput.Check(r.out)
			r.check(st, "expectOutput", passed, outputWanted(st.ExpectOutput), why+"; output:\n"+indent(r.out))
		}
	}
}

// checkError records the step's error against its expectError.
func (r *runner) checkError(st *scenarios.Step, err error) {
	if st.ExpectError != "" {
		got := "no error"
		if err != nil {
			got = err.Error()
		}
		r.check(st, "expectError", routing.ErrorCode(err) == st.ExpectError, "error "+string(st.ExpectError), got)
		return
	}
	if err != nil {
		r.check(st, "no error", false, "no error", err.Error())
		return
	}
	if st.Expect == nil && st.ExpectOutput == nil {
		r.check(st, "no error", true, "", "")
	}
}

// do performs the step's action.
func (r *runner) do(ctx context.Context, st *scenarios.Step) error {
	switch a := st.Action.(type) {
	case *scenarios.CallStep:
		return r.call(ctx, st, a)
	case *scenarios.WaitStep:
		return r.wait(ctx, a)
	case *scenarios.AnswerStep:
		return r.command(ctx, a.Call, a.Device, 200)
	case *scenarios.RejectStep:
		return r.command(ctx, a.Call, a.Device, a.Code)
	case *scenarios.HangupStep:
		return r.hangup(ctx, a)
	case *scenarios.CancelStep:
		cs, err := r.callByID(a.Call)
		if err != nil {
			return err
		}
		if err := cs.c.Cancel(ctx); err != nil {
			return err
		}
		_, err = r.waitCall(ctx, cs, 0, devices.CallerIs(devices.Final), "a final response to the CANCELled INVITE")
		return err
	case *scenarios.RegisterStep:
		return r.eachDevice(a.Devices, func(id string) error { return r.env.fleet.Register(ctx, id) })
	case *scenarios.UnregisterStep:
		return r.eachDevice(a.Devices, func(id string) error { return r.env.fleet.Unregister(ctx, id) })
	case *scenarios.NetworkStep:
		// cell, gps, subnet, bssid, ... only matter to emergency location.
		r.env.where[a.Device] = r.env.where[a.Device].Merge(a.Where)
		if a.Network == "" {
			return nil
		}
		return r.env.fleet.SetNetwork(ctx, a.Device, string(a.Network))
	case *scenarios.AdminStep:
		if a.Op == "advanceClock" {
			r.env.clock.advance(a.Duration)
			return nil
		}
		return a.Apply(r.env.dir)
	case *scenarios.PSStep:
		cmd, err := cmdlet.Parse(a.Line)
		if err != nil {
			return err
		}
		r.out, err = cmd.Apply(r.env.dir)
		return err
	case *scenarios.SleepStep:
		select {
		case <-time.After(a.Duration):
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	case *scenarios.EmergencyStep:
		return r.emergency(ctx, st, a)
	}
	return fmt.Errorf("step %q: %w", st.Action.Kind(), errUnsupported)
}

// wait waits until a call reaches a state.
func (r *runner) wait(ctx context.Context, a *scenarios.WaitStep) error {
	cs, err := r.callByID(a.Call)
	if err != nil {
		return err
	}
	switch a.For {
	case "ringing":
		_, err = r.waitCall(ctx, cs, a.Timeout, func(e devices.Event) bool {
			return e.Caller && (e.Type == devices.Provisional && e.Code >= 180 || e.Type == devices.Final)
		}, "the call to ring (180)")
		if err == nil && r.finalCode(cs) >= 300 {
			err = fmt.Errorf("the call ended with %s before ringing", r.finalText(cs))
		}
	case "answered", "final", "cancelled":
		_, err = r.waitCall(ctx, cs, a.Timeout, devices.CallerIs(devices.Final), "the call to be "+a.For)
		code := r.finalCode(cs)
		switch {
		case err != nil:
		case a.For == "answered" && code >= 300:
			err = fmt.Errorf("the call ended with %s, not answered", r.finalText(cs))
		case a.For == "cancelled" && code != 487:
			err = fmt.Errorf("the call ended with %s, not cancelled (487)", r.finalText(cs))
		}
	case "ended":
		_, err = r.waitCall(ctx, cs, a.Timeout, func(e devices.Event) bool {
			return e.Caller && (e.Type == devices.Final && e.Code >= 300 || e.Type == devices.ByeSent || e.Type == devices.ByeReceived)
		}, "the call to end")
	default:
		err = fmt.Errorf("wait for %q: %w", a.For, errUnsupported)
	}
	return err
}

// command makes a device answer (200) or reject a call once it got it.
func (r *runner) command(ctx context.Context, call, dev string, code int) error {
	cs, err := r.callByID(call)
	if err != nil {
		return err
	}
	if _, err := r.waitCall(ctx, cs, 0, devices.Is(devices.InviteReceived, dev), dev+" to get the INVITE"); err != nil {
		return err
	}
	want := devices.Is(devices.Answered, dev)
	if code == 200 {
		err = r.env.fleet.Answer(dev, cs.c.ID)
	} else {
		err = r.env.fleet.Reject(dev, cs.c.ID, code)
		want = devices.Is(devices.Rejected, dev)
	}
	if err != nil {
		return err
	}
	_, err = r.waitCall(ctx, cs, 0, want, fmt.Sprintf("%s to send %d", dev, code))
	return err
}

// hangup ends an answered call from either side.
func (r *runner) hangup(ctx context.Context, a *scenarios.HangupStep) error {
	cs, err := r.callByID(a.Call)
	if err != nil {
		return err
	}
	by := a.By
	if by == "callee" {
		if by = r.answerer(cs); by == "" {
			return errors.New("hangup by callee: the call was not answered")
		}
	}
	switch {
	case by == "" || by == "caller":
		err = cs.c.Hangup(ctx)
	default:
		err = r.env.fleetOf(by).Hangup(ctx, by, cs.c.ID)
	}
	return err
}

// waitCall waits for an event of the call, at most timeout (0: the
// runner's default).
func (r *runner) waitCall(ctx context.Context, cs *callState, timeout time.Duration, m devices.Match, what string) (devices.Event, error) {
	if timeout <= 0 {
		timeout = r.opts.Timeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	e, err := cs.c.Wait(wctx, m)
	if err != nil {
		if ctx.Err() != nil {
			return e, context.Cause(ctx)
		}
		return e, fmt.Errorf("timed out after %v waiting for %s (caller: %s)", timeout, what, r.callerState(cs))
	}
	return e, nil
}

func (r *runner) eachDevice(ids []string, fn func(string) error) error {
	var errs []error
	for _, id := range ids {
		if err := fn(id); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// callByID returns the call an id names, or the latest call for "".
func (r *runner) callByID(id string) (*callState, error) {
	if id == "" {
		if r.last == nil {
			return nil, errors.New("no call has been placed")
		}
		return r.last, nil
	}
	cs, ok := r.calls[id]
	if !ok {
		return nil, fmt.Errorf("call %q was not placed", id)
	}
	return cs, nil
}

// callOf is the call a step's expectations are about.
func (r *runner) callOf(st *scenarios.Step) *callState {
	id := ""
	switch a := st.Action.(type) {
	case *scenarios.CallStep:
		id = a.ID
	case *scenarios.WaitStep:
		id = a.Call
	case *scenarios.AnswerStep:
		id = a.Call
	case *scenarios.RejectStep:
		id = a.Call
	case *scenarios.HangupStep:
		id = a.Call
	case *scenarios.CancelStep:
		id = a.Call
	}
	cs, _ := r.callByID(id)
	return cs
}

// actionLabel names a step in reports: "call c1", "admin release", ...
func actionLabel(st *scenarios.Step) string {
	if st.Name != "" {
		return st.Name
	}
	switch a := st.Action.(type) {
	case *scenarios.CallStep:
		return fmt.Sprintf("call %s %s → %s", a.ID, a.From, a.To)
	case *scenarios.WaitStep:
		return strings.TrimSpace(fmt.Sprintf("wait %s %s", a.Call, a.For))
	case *scenarios.AdminStep:
		return "admin " + a.Op
	case *scenarios.PSStep:
		return "ps " + a.Line
	}
	return st.Action.Kind()
}

// check records one checked expectation.
func (r *runner) check(st *scenarios.Step, name string, passed bool, expected, got string) {
	c := Check{Step: st.Index + 1, Line: st.Line, Col: st.Col, Action: actionLabel(st), Name: name, Passed: passed}
	if !passed {
		c.Expected, c.Got = expected, got
	}
	r.rep.Checks = append(r.rep.Checks, c)
}

// setupFailed records why the scenario could not start.
func (r *runner) setupFailed(err error) {
	r.rep.Checks = append(r.rep.Checks, Check{Action: "setup", Name: "start the proxy and devices",
		Expected: "the proxy serves and every device registers", Got: err.Error()})
}

// outputWanted describes an expectOutput for reports.
func outputWanted(o *scenarios.OutputExpect) string {
	var parts []string
	for _, c := range o.Contains {
		parts = append(parts, "contains "+strconv.Quote(c))
	}
	if o.Equals != nil {
		parts = append(parts, "equals "+strconv.Quote(*o.Equals))
	}
	if o.Matches != nil {
		parts = append(parts, "matches /"+o.Matches.String()+"/")
	}
	return "output " + strings.Join(parts, ", ")
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (empty)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
