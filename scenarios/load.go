package scenarios

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

var (
	loadKeys = []string{"rate", "duration", "maxConcurrent", "mix", "media", "thresholds"}
	rateKeys = []string{"start", "target", "rampUp"}
	mixKeys  = []string{"share", "answer", "after", "hold", "reject", "emergency"}
	// MixAnswers are the values of a mix entry's `answer:`.
	MixAnswers = []string{"teams-desktop", "teams-web", "teams-phone", "teams-mobile", "native-dialer",
		"preferred-phone-app", "any", "nobody"}
)

// LoadProfile is the `load:` section used by `ocmsim load`.
type LoadProfile struct {
	Pos
	Start, Target float64       // calls per second; Start == Target without a ramp
	RampUp        time.Duration // from Start to Target
	Duration      time.Duration
	MaxConcurrent int
	Mix           []MixEntry
	Media         bool
	Thresholds    []Threshold
}

// MixEntry is one kind of call of the load mix.
type MixEntry struct {
	Pos
	Share     float64
	Answer    string // one of MixAnswers; "" with Reject or Emergency
	After     time.Duration
	Hold      time.Duration
	Reject    int  // SIP code the devices reject with, 0 none
	Emergency bool // an emergency call from a device instead of a PSTN call
}

// Unit is what a threshold's value measures.
type Unit int

// Threshold units.
const (
	UnitCount    Unit = iota // a plain number
	UnitDuration             // Value is seconds
	UnitRatio                // Value is a fraction (0.1% → 0.001)
	UnitRate                 // Value is per second
)

// Threshold is a pass/fail condition on a load-test result, e.g.
// `p95(pdd) < 50ms` → {Stat p95, Metric pdd, Op <, Value 0.05, Unit UnitDuration}.
type Threshold struct {
	Pos
	Text   string
	Stat   string // p50 p90 p95 p99 p999 max min avg; "" for counters
	Metric string
	Op     string // < <= > >= == !=
	Value  float64
	Unit   Unit
}

// Duration returns a duration threshold's value.
func (t Threshold) Duration() time.Duration { return time.Duration(t.Value * float64(time.Second)) }

// Holds reports whether the measured value v (seconds, fraction, per second
// or count, as Unit says) satisfies the threshold.
func (t Threshold) Holds(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	case "==":
		return v == t.Value
	case "!=":
		return v != t.Value
	}
	return false
}

// Metrics a threshold may name: durations (need a statistic), outcomes
// (counts, or ratios of all calls when written with %), rates, and others
// (retransmissions: a count, or a ratio of the SIP messages sent).
var (
	durationMetrics = []string{"pdd", "setup", "answer"}
	outcomeMetrics  = []string{"failed", "answered", "rejected", "unanswered", "timeout", "calls"}
	rateMetrics     = []string{"rate"}
	otherMetrics    = []string{"branches", "active", "retransmissions"}
	stats           = []string{"p50", "p90", "p95", "p99", "p999", "max", "min", "avg", "mean"}
	thresholdRE     = regexp.MustCompile(`^\s*([A-Za-z0-9_]+)(?:\(\s*([A-Za-z_]+)\s*\))?\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$`)
)

func (d *decoder) parseLoad(n *yaml.Node) *LoadProfile {
	l := &LoadProfile{Pos: posOf(n)}
	f, ok := d.fields(n, "load", loadKeys)
	if !ok {
		return l
	}
	f.require("load", "rate", "duration")
	if f.has("rate") {
		d.parseRate(f.v("rate"), l)
	}
	l.Duration, _ = f.duration("duration")
	l.MaxConcurrent, _ = f.integer("maxConcurrent")
	if l.MaxConcurrent < 0 {
		d.codef(f.v("maxConcurrent"), routing.CodeInvalid, "maxConcurrent: must not be negative")
	}
	l.Media, _ = f.boolean("media")
	sum := 0.0
	for _, it := range f.items("mix") {
		m := d.parseMix(it)
		sum += m.Share
		l.Mix = append(l.Mix, m)
	}
	if len(l.Mix) > 0 && math.Abs(sum-1) > 0.001 {
		d.codef(f.v("mix"), routing.CodeInvalid, "mix: shares sum to %.4g, not 1", sum)
	}
	for _, it := range f.items("thresholds") {
		if t, ok := d.parseThreshold(it); ok {
			l.Thresholds = append(l.Thresholds, t)
		}
	}
	return l
}

// parseRate accepts `10/s` or {start, target, rampUp}.
func (d *decoder) parseRate(n *yaml.Node, l *LoadProfile) {
	if n.Kind == yaml.ScalarNode {
		l.Start, _ = d.rate(n, "rate")
		l.Target = l.Start
		return
	}
	f, ok := d.fields(n, "rate", rateKeys)
	if !ok {
		return
	}
	f.require("rate", "target")
	l.Target, _ = d.rate(f.v("target"), "target")
	l.Start = l.Target
	if f.has("start") {
		l.Start, _ = d.rate(f.v("start"), "start")
	}
	l.RampUp, _ = f.duration("rampUp")
}

// rate parses "10/s", "600/m" or a number (per second).
func (d *decoder) rate(n *yaml.Node, what string) (float64, bool) {
	if isNull(n) {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode {
		if v, ok := ParseRate(n.Value); ok {
			return v, true
		}
	}
	d.errorf(n, "%s: bad rate %s: write calls per second like 10/s (or 600/m)", what, kindValue(n))
	return 0, false
}

// ParseRate reads a rate: "N/s", "N/m", "N/h" or a plain number of calls
// per second; false when it is none of those or negative.
func ParseRate(s string) (float64, bool) {
	num, per, _ := strings.Cut(strings.TrimSpace(s), "/")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	switch per {
	case "", "s":
		return v, true
	case "m":
		return v / 60, true
	case "h":
		return v / 3600, true
	}
	return 0, false
}

func (d *decoder) parseMix(n *yaml.Node) MixEntry {
	m := MixEntry{Pos: posOf(n)}
	f, ok := d.fields(n, "mix entry", mixKeys)
	if !ok {
		return m
	}
	f.require("mix entry", "share")
	m.Share, _ = f.float("share")
	if m.Share < 0 || m.Share > 1 {
		d.codef(f.v("share"), routing.CodeInvalid, "share: %v is not between 0 and 1", m.Share)
	}
	m.Answer = f.strIn("answer", MixAnswers...)
	m.After, _ = f.duration("after")
	m.Hold, _ = f.duration("hold")
	if code, ok := f.integer("reject"); ok {
		if code < 400 || code > 699 {
			d.codef(f.v("reject"), routing.CodeInvalid, "reject: %d is not a SIP failure code (400-699)", code)
		}
		m.Reject = code
	}
	m.Emergency, _ = f.boolean("emergency")
	if m.Answer == "" && m.Reject == 0 && !m.Emergency && !f.has("answer") {
		d.errorf(f.node, "mix entry: say who answers (answer: %s), or reject: CODE, or emergency: true", strings.Join(MixAnswers, " | "))
	}
	return m
}

// parseThreshold accepts `p95(pdd) < 50ms`, `p95_pdd < 50ms`, `failed < 0.1%`, `rate >= 200/s`.
func (d *decoder) parseThreshold(n *yaml.Node) (Threshold, bool) {
	t := Threshold{Pos: posOf(n)}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, "threshold: expected a string like \"p95(pdd) < 50ms\", got %s", kindName(n))
		return t, false
	}
	t.Text = n.Value
	m := thresholdRE.FindStringSubmatch(n.Value)
	if m == nil {
		d.errorf(n, "threshold %q: write METRIC OP VALUE, like \"p95(pdd) < 50ms\" or \"failed < 0.1%%\"", n.Value)
		return t, false
	}
	name, inner, value := m[1], m[2], m[4]
	t.Op = m[3]
	if inner != "" {
		t.Stat, t.Metric = strings.ToLower(name), inner
	} else if st, met, ok := strings.Cut(name, "_"); ok && contains(stats, strings.ToLower(st)) {
		t.Stat, t.Metric = strings.ToLower(st), met
	} else {
		t.Metric = name
	}
	if t.Stat != "" && !contains(stats, t.Stat) {
		d.errorf(n, "threshold %q: unknown statistic %q%s", n.Value, t.Stat, orList(t.Stat, stats))
		return t, false
	}
	all := append(append(append(append([]string{}, durationMetrics...), outcomeMetrics...), rateMetrics...), otherMetrics...)
	if !contains(all, t.Metric) {
		d.errorf(n, "threshold %q: unknown metric %q%s", n.Value, t.Metric, orList(t.Metric, all))
		return t, false
	}
	if contains(durationMetrics, t.Metric) {
		if t.Stat == "" {
			d.errorf(n, "threshold %q: %s is a distribution: name a statistic, like p95(%s)", n.Value, t.Metric, t.Metric)
			return t, false
		}
		dur, err := time.ParseDuration(value)
		if err != nil {
			d.errorf(n, "threshold %q: bad duration %q: use Go syntax like 50ms", n.Value, value)
			return t, false
		}
		t.Value, t.Unit = dur.Seconds(), UnitDuration
		return t, true
	}
	switch {
	case strings.HasSuffix(value, "%"):
		v, err := strconv.ParseFloat(strings.TrimSuffix(value, "%"), 64)
		if err != nil {
			break
		}
		t.Value, t.Unit = v/100, UnitRatio
		return t, true
	case strings.Contains(value, "/") || contains(rateMetrics, t.Metric):
		v, ok := ParseRate(value)
		if !ok {
			break
		}
		t.Value, t.Unit = v, UnitRate
		return t, true
	default:
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			break
		}
		t.Value, t.Unit = v, UnitCount
		return t, true
	}
	d.errorf(n, "threshold %q: bad value %q", n.Value, value)
	return t, false
}
