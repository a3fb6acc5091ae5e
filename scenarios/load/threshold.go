package load

import (
	"fmt"
	"time"

	"ocmsim/scenarios"
)

// Evaluate checks every threshold against the summary, in order.
func Evaluate(s *Summary, ts []scenarios.Threshold) []Verdict {
	out := make([]Verdict, 0, len(ts))
	for _, t := range ts {
		out = append(out, evaluate(s, t))
	}
	return out
}

func evaluate(s *Summary, t scenarios.Threshold) Verdict {
	v := Verdict{Threshold: t.Text}
	if v.Threshold == "" {
		v.Threshold = fmt.Sprintf("%s(%s) %s %v", t.Stat, t.Metric, t.Op, t.Value)
	}
	value, measured, note, ok := measure(s, t)
	if !ok {
		v.Measured, v.Note = "nothing", note
		return v
	}
	v.Value, v.Measured, v.Note, v.Pass = value, measured, note, t.Holds(value)
	return v
}

// measure returns the summary's value for t in t's unit, as text too;
// false when there is nothing to measure.
func measure(s *Summary, t scenarios.Threshold) (float64, string, string, bool) {
	switch t.Metric {
	case "pdd", "setup", "answer":
		h := map[string]*Histogram{"pdd": s.hist.pdd, "setup": s.hist.setup, "answer": s.hist.answer}[t.Metric]
		if h == nil || h.Count() == 0 {
			return 0, "", "no " + t.Metric + " samples", false
		}
		us, ok := h.Stat(t.Stat)
		if !ok {
			return 0, "", "unknown statistic " + t.Stat, false
		}
		d := time.Duration(us * float64(time.Microsecond))
		return d.Seconds(), d.Round(10 * time.Microsecond).String(), "", true
	case "rate":
		return s.AchievedRate, fmt.Sprintf("%.1f/s", s.AchievedRate), "", true
	case "active":
		return float64(s.MaxActive), fmt.Sprintf("%d (max active)", s.MaxActive), "", true
	case "retransmissions":
		return countOrShare(t, int(s.Sent.Retransmissions), int(s.Sent.Messages), " messages", "no SIP messages sent")
	case "branches":
		h := s.hist.branches
		if h == nil || h.Count() == 0 {
			return 0, "", "no calls reached a device", false
		}
		stat := t.Stat
		if stat == "" {
			stat = "mean"
		}
		v, ok := h.Stat(stat)
		if !ok {
			return 0, "", "unknown statistic " + t.Stat, false
		}
		return v, fmt.Sprintf("%.2f (%s)", v, stat), "", true
	}
	n, ok := outcomeCount(s, t.Metric)
	if !ok {
		return 0, "", "unknown metric " + t.Metric, false
	}
	return countOrShare(t, n, s.Calls, "", "no calls")
}

// countOrShare measures n as a count or, for a threshold written with %,
// as a share of total (unit names what total counts); none is the note
// when total is 0.
func countOrShare(t scenarios.Threshold, n, total int, unit, none string) (float64, string, string, bool) {
	if t.Unit != scenarios.UnitRatio {
		return float64(n), fmt.Sprintf("%d", n), "", true
	}
	if total == 0 {
		return 0, "", none, false
	}
	r := float64(n) / float64(total)
	return r, fmt.Sprintf("%.3f%% (%d of %d%s)", 100*r, n, total, unit), "", true
}

func outcomeCount(s *Summary, metric string) (int, bool) {
	switch metric {
	case "failed":
		return s.Failed, true
	case "calls":
		return s.Calls, true
	case ClassAnswered, ClassRejected, ClassUnanswered, ClassTimeout:
		return s.Classes[metric], true
	}
	return 0, false
}
