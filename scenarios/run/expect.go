package run

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"ocmsim/devices"
	"ocmsim/scenarios"
)

// expect checks a step's `expect:` against its call. Ringing is checked
// first (it only needs the call's start), then what needs the final
// response, then CANCELs and missed calls; media waits for the call's end.
func (r *runner) expect(ctx context.Context, st *scenarios.Step, cs *callState) {
	e := st.Expect
	if cs == nil {
		r.check(st, "expect", false, "a call to check", "no call has been placed")
		return
	}
	if e.HasRinging || len(e.NotRinging) > 0 {
		r.checkRinging(ctx, st, cs)
	}
	if e.FinalCode != 0 || e.AnsweredBy != "" || e.Reason != "" {
		r.checkFinal(ctx, st, cs)
	}
	if e.Cancelled != nil {
		r.checkCancelled(ctx, st, cs, e.Cancelled)
	}
	for _, dev := range e.MissedCall {
		_, err := r.waitCall(ctx, cs, 0, devices.Is(devices.MissedCall, dev), dev+"'s missed call")
		r.check(st, "missedCall "+dev, err == nil, dev+" records a missed call", r.deviceState(cs, dev))
	}
	if e.Media != nil {
		cs.media = append(cs.media, mediaCheck{st: st, m: e.Media})
	}
	if e.PSAP != "" || e.Location != nil || e.Callback != "" || e.Path != "" {
		r.checkEmergency(ctx, st, cs)
	}
}

// checkRinging checks `ringing:` (exactly these devices got the INVITE)
// and `notRinging:`. It waits until every listed device rang, then, to see
// devices that should not ring: until the call's start + `within:` when
// given, else DefaultSettle (Options.Settle) more, or 4× that when the
// list is empty (nothing to wait for first). The fork sends all branches at
// once, so extras arrive within a millisecond or two of the listed ones on
// loopback.
func (r *runner) checkRinging(ctx context.Context, st *scenarios.Step, cs *callState) {
	e := st.Expect
	deadline := time.Now().Add(r.opts.Timeout)
	if e.Within > 0 {
		deadline = cs.c.Started.Add(e.Within)
	}
	wctx, cancel := context.WithDeadline(ctx, deadline)
	for _, dev := range e.Ringing {
		if _, err := cs.c.Wait(wctx, devices.Is(devices.InviteReceived, dev)); err != nil {
			break
		}
	}
	cancel()
	settle := r.opts.Settle
	if len(e.Ringing) == 0 {
		settle *= 4
	}
	until := time.Now().Add(settle)
	if e.Within > 0 {
		until = cs.c.Started.Add(e.Within)
	}
	if d := time.Until(until); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	rang := r.rang(cs)
	if e.HasRinging {
		var missing, extra []string
		for _, dev := range e.Ringing {
			at, ok := rang[dev]
			if !ok || (e.Within > 0 && at > e.Within) {
				missing = append(missing, dev)
			}
		}
		for dev := range rang {
			if !slices.Contains(e.Ringing, dev) {
				extra = append(extra, dev)
			}
		}
		slices.Sort(extra)
		want := "exactly [" + strings.Join(e.Ringing, ", ") + "]"
		if e.Within > 0 {
			want += " within " + e.Within.String()
		}
		got := rangText(rang)
		if len(missing) > 0 {
			got += "; not rung in time: " + strings.Join(missing, ", ")
		}
		if len(extra) > 0 {
			got += "; not expected: " + strings.Join(extra, ", ")
		}
		r.check(st, "ringing", len(missing) == 0 && len(extra) == 0, want, got)
	}
	if len(e.NotRinging) > 0 {
		var wrong []string
		for _, dev := range e.NotRinging {
			if _, ok := rang[dev]; ok {
				wrong = append(wrong, dev)
			}
		}
		r.check(st, "notRinging", len(wrong) == 0, "none of ["+strings.Join(e.NotRinging, ", ")+"] rings",
			rangText(rang)+"; rang although listed under notRinging: "+strings.Join(wrong, ", "))
	}
}

// rang maps each device that got the call's INVITE to when, since the start.
func (r *runner) rang(cs *callState) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, ev := range cs.c.Events(devices.Is(devices.InviteReceived, "")) {
		if _, seen := out[ev.Device]; !seen {
			out[ev.Device] = ev.At.Sub(cs.c.Started)
		}
	}
	return out
}

func rangText(rang map[string]time.Duration) string {
	if len(rang) == 0 {
		return "nothing rang"
	}
	ids := make([]string, 0, len(rang))
	for id := range rang {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return int(rang[a] - rang[b]) })
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("%s at +%dms", id, rang[id].Milliseconds())
	}
	return "rang: " + strings.Join(parts, ", ")
}

// checkFinal checks finalCode, reason and answeredBy.
func (r *runner) checkFinal(ctx context.Context, st *scenarios.Step, cs *callState) {
	e := st.Expect
	_, err := r.waitCall(ctx, cs, 0, devices.CallerIs(devices.Final), "a final response")
	got := r.finalText(cs)
	if err != nil {
		got = err.Error()
	}
	if e.FinalCode != 0 {
		r.check(st, "finalCode", err == nil && r.finalCode(cs) == e.FinalCode, fmt.Sprint(e.FinalCode), got)
	}
	if e.Reason != "" {
		reason := r.finalReason(ctx, cs)
		r.check(st, "reason", err == nil && strings.Contains(strings.ToLower(reason), strings.ToLower(e.Reason)),
			fmt.Sprintf("a final response whose reason contains %q", e.Reason), fmt.Sprintf("%s (%q)", got, reason))
	}
	if e.AnsweredBy != "" {
		by := r.answerer(cs)
		if by == "" {
			by = "nobody (" + got + ")"
		}
		r.check(st, "answeredBy", by == e.AnsweredBy, e.AnsweredBy, by)
	}
}

// checkCancelled checks that each listed device got a CANCEL with the reason.
func (r *runner) checkCancelled(ctx context.Context, st *scenarios.Step, cs *callState, c *scenarios.CancelledExpect) {
	for _, dev := range c.Devices {
		ev, err := r.waitCall(ctx, cs, 0, devices.Is(devices.Cancelled, dev), dev+"'s CANCEL")
		want := dev + " gets CANCEL"
		if c.Reason != "" {
			want += fmt.Sprintf(" with Reason %q", c.Reason)
		}
		ok := err == nil && (c.Reason == "" || strings.Contains(strings.ToLower(ev.Reason), strings.ToLower(c.Reason)))
		got := r.deviceState(cs, dev)
		if err == nil {
			got = fmt.Sprintf("CANCEL with Reason %q", ev.Reason)
		}
		r.check(st, "cancelled "+dev, ok, want, got)
	}
}

// finalEvent is the caller's first final response.
func (r *runner) finalEvent(cs *callState) (devices.Event, bool) {
	evs := cs.c.Events(devices.CallerIs(devices.Final))
	if len(evs) == 0 {
		return devices.Event{}, false
	}
	return evs[0], true
}

func (r *runner) finalCode(cs *callState) int {
	e, _ := r.finalEvent(cs)
	return e.Code
}

func (r *runner) finalText(cs *callState) string {
	e, ok := r.finalEvent(cs)
	if !ok {
		return "no final response"
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", e.Code, e.Reason))
}

// finalReason is the final response's reason phrase plus routing's
// refusal text (the Warning) when the call was refused.
func (r *runner) finalReason(ctx context.Context, cs *callState) string {
	e, _ := r.finalEvent(cs)
	s := e.Reason
	if code, text := r.refusal(ctx, cs.c.ID); code != "" {
		s += "; " + text
	}
	return s
}

// answerer is the device whose 2xx the caller got first ("" if none, "?"
// if no device says it sent it). A device journals its Answered event just
// after sending the 200, so the caller may see the 200 first: answerer
// waits for the device's event, up to the default timeout.
func (r *runner) answerer(cs *callState) string {
	var tag string
	for _, e := range cs.c.Events(devices.CallerIs(devices.Final)) {
		if e.Code < 300 {
			tag = e.ToTag
			break
		}
	}
	if tag == "" {
		return ""
	}
	answered := func(e devices.Event) bool {
		return e.Type == devices.Answered && e.ToTag == tag && e.CallID == cs.c.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.Timeout)
	defer cancel()
	found := make(chan string, 3)
	wait := func(w func(context.Context, devices.Match) (devices.Event, error)) {
		if e, err := w(ctx, answered); err == nil {
			found <- e.Device
		}
	}
	go wait(cs.c.Wait)
	for _, f := range r.env.services() {
		go wait(f.Wait)
	}
	select {
	case d := <-found:
		return d
	case <-ctx.Done():
		return "?"
	}
}

// events is the call's timeline: the caller, the devices, the voicemail.
func (r *runner) events(cs *callState) []devices.Event {
	evs := cs.c.Events(nil)
	for _, f := range r.env.services() {
		evs = append(evs, f.Events(func(e devices.Event) bool { return e.CallID == cs.c.ID })...)
	}
	slices.SortStableFunc(evs, func(a, b devices.Event) int { return a.At.Compare(b.At) })
	return evs
}

// callerState sums up what the caller got so far, for timeouts.
func (r *runner) callerState(cs *callState) string {
	var parts []string
	for _, e := range cs.c.Events(func(e devices.Event) bool { return e.Caller }) {
		parts = append(parts, strings.TrimPrefix(e.String(), "caller "))
	}
	if len(parts) == 0 {
		return "nothing yet"
	}
	return strings.Join(parts, ", ")
}

// deviceState sums up what happened to a device in a call.
func (r *runner) deviceState(cs *callState, dev string) string {
	var parts []string
	for _, e := range r.events(cs) {
		if e.Device == dev {
			parts = append(parts, strings.TrimPrefix(e.String(), dev+" "))
		}
	}
	if len(parts) == 0 {
		return dev + ": nothing (never got the INVITE)"
	}
	return dev + ": " + strings.Join(parts, ", ")
}
