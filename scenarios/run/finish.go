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

// mediaCheck is a `media:` expectation, checked when its call has ended.
type mediaCheck struct {
	st *scenarios.Step
	m  *scenarios.MediaExpect
}

// finish ends every call still up (CANCEL or BYE), checks media and
// builds each call's ring matrix and timeline.
func (r *runner) finish(ctx context.Context) {
	for _, cs := range r.order {
		hctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
		_ = cs.c.Hangup(hctx)
		cancel()
	}
	for _, cs := range r.order {
		// Let the CANCELs be answered so the proxy has no call in progress.
		wctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
		_, _ = cs.c.Wait(wctx, devices.CallerIs(devices.Final))
		// and each device that rang to see how its branch ended.
		for dev := range r.rang(cs) {
			_, _ = cs.c.Wait(wctx, func(e devices.Event) bool { return e.Device == dev && branchEnded(e.Type) })
		}
		cancel()
		for _, mc := range cs.media {
			r.checkMedia(ctx, cs, mc)
		}
		r.rep.Calls = append(r.rep.Calls, r.callReport(cs))
	}
}

// branchEnded reports whether an event ends a device's branch.
func branchEnded(t devices.EventType) bool {
	return t == devices.Answered || t == devices.Rejected || t == devices.Cancelled
}

// checkMedia compares what the caller and the answering device received.
func (r *runner) checkMedia(ctx context.Context, cs *callState, mc mediaCheck) {
	by := r.answerer(cs)
	if by == "" || by == "?" {
		r.check(mc.st, "media", false, "media on an answered call", "the call was not answered ("+r.finalText(cs)+")")
		return
	}
	fleet := r.env.fleetOf(by)
	wctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	calleeEv, err := fleet.Wait(wctx, func(e devices.Event) bool {
		return e.CallID == cs.c.ID && e.Device == by && e.Type == devices.MediaEnded
	})
	caller, ok := cs.c.Media()
	if err != nil || !ok || calleeEv.Media == nil {
		r.check(mc.st, "media", false, "RTP statistics from both sides", fmt.Sprintf("caller stats: %v, %s stats: %v", ok, by, err == nil))
		return
	}
	callee := *calleeEv.Media
	got := fmt.Sprintf("caller received %d (loss %.1f%%), %s received %d (loss %.1f%%)",
		caller.Received, 100*caller.LossRate(), by, callee.Received, 100*callee.LossRate())
	if mc.m.BothWays != nil {
		both := devices.BothWays(caller, callee)
		r.check(mc.st, "media bothWays", both == *mc.m.BothWays, fmt.Sprintf("bothWays: %v", *mc.m.BothWays), got)
	}
	if mc.m.MaxLoss != nil {
		loss := max(caller.LossRate(), callee.LossRate())
		r.check(mc.st, "media maxLoss", loss <= *mc.m.MaxLoss, fmt.Sprintf("loss ≤ %.1f%%", 100**mc.m.MaxLoss), got)
	}
}

// callReport builds a call's ring matrix: the devices of the routing
// decision (rung ones first), then any other device that got the INVITE.
func (r *runner) callReport(cs *callState) *CallReport {
	rep := cs.rep
	rep.Final = r.finalCode(cs)
	rep.AnsweredBy = r.answerer(cs)
	evs := r.events(cs)
	ids := slices.Clone(cs.order)
	for _, e := range evs {
		if e.Device != "" && !slices.Contains(ids, e.Device) {
			ids = append(ids, e.Device)
		}
	}
	for _, id := range ids {
		rep.Devices = append(rep.Devices, r.deviceRow(cs, id, evs, rep.AnsweredBy))
	}
	rep.Emergency = r.emergencyReport(cs)
	rep.Timeline = append(rep.Timeline, TimelineRow{From: "caller", To: "proxy", Message: "INVITE " + rep.To})
	for _, e := range evs {
		from, to, msg := ladderRow(e)
		rep.Timeline = append(rep.Timeline, TimelineRow{At: e.At.Sub(cs.c.Started), From: from, To: to, Message: msg})
	}
	return rep
}

func (r *runner) deviceRow(cs *callState, id string, evs []devices.Event, answeredBy string) DeviceRow {
	row := DeviceRow{Device: id, Outcome: "not rung", Reason: cs.rings[id]}
	if dev, ok := r.env.dir.Device(id); ok {
		row.Kind = string(dev.Kind)
	} else if id == voicemailUser {
		row.Kind = "voicemail"
	} else if r.env.psaps != nil && slices.Contains(r.env.psaps.IDs(), id) {
		row.Kind = "psap"
	}
	for _, e := range evs {
		if e.Device != id {
			continue
		}
		switch e.Type {
		case devices.InviteReceived:
			if !row.Rang {
				row.Rang, row.RangAt, row.Outcome = true, e.At.Sub(cs.c.Started), "no answer"
			}
		case devices.Answered:
			row.Outcome = "answered"
			if id != answeredBy {
				row.Outcome = "answered (lost the race)"
			}
		case devices.Rejected:
			row.Outcome = fmt.Sprintf("rejected %d", e.Code)
		case devices.Cancelled:
			row.Outcome = "cancelled"
			if e.Reason != "" {
				row.Reason = "CANCEL: " + reasonText(e.Reason)
			}
		case devices.AnsweredElsewhere:
			row.Outcome = "answered elsewhere"
		case devices.MissedCall:
			row.Outcome = "missed call"
		}
	}
	if !row.Rang && !r.env.simulated[id] && id != voicemailUser && row.Kind != "psap" {
		row.Reason = strings.TrimPrefix(row.Reason+"; not simulated", "; ")
	}
	return row
}

// reasonText is the text of an RFC 3326 Reason header
// (`SIP;cause=200;text="Call completed elsewhere"`), else the header.
func reasonText(h string) string {
	_, text, ok := strings.Cut(h, "text=")
	if !ok {
		return h
	}
	text, _, _ = strings.Cut(strings.TrimPrefix(text, `"`), `"`)
	return text
}

// elapsed formats a duration since a call's start as "+12ms".
func elapsed(d time.Duration) string { return fmt.Sprintf("+%dms", d.Milliseconds()) }
