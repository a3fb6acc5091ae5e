package run

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/devices"
	"ocmsim/routing"
	"ocmsim/scenarios"
)

// call places a PSTN call from the trunk side, or a device's own call
// when from: names a device (it answers the proxy's challenge).
func (r *runner) call(ctx context.Context, st *scenarios.Step, a *scenarios.CallStep) error {
	if a.FromDevice && !r.env.simulated[a.From] {
		return fmt.Errorf("calls from %s: it is not simulated (realSoftphone, or not in the tenant): %w", a.From, errUnsupported)
	}
	cs := &callState{id: a.ID, rings: map[string]string{},
		rep: &CallReport{ID: a.ID, From: a.From, To: a.To, Step: st.Index + 1, Line: st.Line}}
	if r.env.srv != nil {
		v := r.env.srv.Explain(a.To)
		cs.rep.Policy = v.Policy
		if v.Refused != nil {
			cs.rep.Refusal = fmt.Sprintf("%d %s (%s)", v.Refused.Status, v.Refused.Reason, v.Refused.Code)
		}
		for _, d := range v.Rings {
			cs.rings[d.ID] = d.Reason
			cs.order = append(cs.order, d.ID)
		}
		for _, d := range v.Skipped {
			cs.rings[d.ID] = d.Reason
			cs.order = append(cs.order, d.ID)
		}
	}
	req := devices.CallRequest{From: a.From, To: a.To, Media: r.wantsMedia()}
	if a.FromDevice {
		req.From, req.Device = "", a.From
	}
	if a.FMC {
		req.Headers = append(req.Headers, sip.NewHeader("X-MS-FMC", "1"))
	}
	c, err := r.env.fleet.Dial(ctx, req)
	if err != nil {
		return err
	}
	cs.c = c
	r.calls[a.ID], r.last = cs, cs
	r.order = append(r.order, cs)
	if st.ExpectError == "" {
		return nil
	}
	if r.env.srv == nil {
		return fmt.Errorf("expectError on a call with an external proxy (routing's refusal code is read from the in-process proxy): %w", errUnsupported)
	}
	// A call's error is routing's refusal code.
	if _, err := r.waitCall(ctx, cs, 0, devices.CallerIs(devices.Final), "a final response"); err != nil {
		return err
	}
	if code, text := r.refusal(ctx, c.ID); code != "" {
		return &routing.Error{Code: routing.Code(code), Object: "number " + a.To, Message: text}
	}
	return nil
}

// refusal is the routing code and text of a refused call, from the
// in-process proxy's call record ("" when the call was not refused).
func (r *runner) refusal(ctx context.Context, callID string) (code, text string) {
	if r.env.srv == nil {
		return "", ""
	}
	for range 50 { // the record is kept just after the final response is sent
		for _, rec := range r.env.srv.Proxy().Recent(64) {
			if rec.CallID != callID {
				continue
			}
			if rec.Refusal == nil {
				return "", ""
			}
			text = rec.Refusal.Reason
			if rec.Refusal.Warning != "" {
				text = rec.Refusal.Warning
			}
			return rec.Labels["refusal"], text
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return "", ""
		}
	}
	return "", ""
}

// wantsMedia reports whether any step checks media: only then do calls
// offer RTP.
func (r *runner) wantsMedia() bool {
	for _, st := range r.f.Steps {
		if st.Expect != nil && st.Expect.Media != nil {
			return true
		}
	}
	return false
}
