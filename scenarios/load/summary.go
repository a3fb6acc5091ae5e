package load

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"ocmsim/devices"
)

// Outcome classes of a call. A call counts as failed when its class is not
// the one its mix entry asked for (answered, rejected or unanswered).
const (
	ClassAnswered   = "answered"   // a 2xx
	ClassRejected   = "rejected"   // 486, 600, 603 or the mix entry's reject code
	ClassUnanswered = "unanswered" // 480, 408 from the proxy, or 487 after the caller's CANCEL
	ClassTimeout    = "timeout"    // no final response at all
	ClassError      = "error"      // any other final response, or the INVITE could not be sent
)

// Dist summarises a distribution: durations in milliseconds, counts as is.
type Dist struct {
	Count uint64  `json:"count"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

func distOf(h *Histogram, scale float64) Dist {
	return Dist{Count: h.Count(), Min: float64(h.Min()) * scale, Mean: h.Mean() * scale,
		P50: float64(h.Quantile(0.5)) * scale, P90: float64(h.Quantile(0.9)) * scale,
		P95: float64(h.Quantile(0.95)) * scale, P99: float64(h.Quantile(0.99)) * scale,
		Max: float64(h.Max()) * scale}
}

// MediaSummary is what the RTP streams of answered calls saw.
type MediaSummary struct {
	Streams  int     `json:"streams"` // MediaEnded reports (caller and device sides)
	Expected int64   `json:"expected"`
	Lost     int64   `json:"lost"`
	LossRate float64 `json:"lossRate"`
	// JitterMeanMs and JitterMaxMs are over the streams' final RFC 3550 jitter.
	JitterMeanMs float64 `json:"jitterMeanMs"`
	JitterMaxMs  float64 `json:"jitterMaxMs"`
}

// MixResult is how the calls of one mix entry went.
type MixResult struct {
	Entry    string `json:"entry"`    // e.g. "answer teams-desktop", "reject 486"
	Expected string `json:"expected"` // the outcome class asked for
	Calls    int    `json:"calls"`
	AsAsked  int    `json:"asAsked"` // calls whose class was Expected
}

// Verdict is one evaluated threshold.
type Verdict struct {
	Threshold string  `json:"threshold"`
	Value     float64 `json:"value"` // in the threshold's unit (seconds, fraction, per second, count)
	Measured  string  `json:"measured"`
	Pass      bool    `json:"pass"`
	Note      string  `json:"note,omitempty"`
}

// Summary is the result of a load run.
type Summary struct {
	Scenario string `json:"scenario"`
	Proxy    string `json:"proxy"`
	Sockets  int    `json:"sockets"`

	Users          int     `json:"users"`
	Devices        int     `json:"devices"`
	Registered     int     `json:"registered"`
	RegisterFailed int     `json:"registerFailed"`
	RegisterTimeS  float64 `json:"registerSeconds"`

	DurationS    float64 `json:"durationSeconds"` // time calls were placed
	Offered      int     `json:"offered"`         // calls the schedule asked for
	Placed       int     `json:"placed"`          // INVITEs sent
	Skipped      int     `json:"skipped"`         // not placed: maxConcurrent reached
	OfferedRate  float64 `json:"offeredRate"`
	AchievedRate float64 `json:"achievedRate"`
	MaxActive    int     `json:"maxActive"`
	Interrupted  bool    `json:"interrupted"`

	Calls      int            `json:"calls"`      // calls finished (placed ones, plus INVITEs that could not be sent)
	Failed     int            `json:"failed"`     // outcome other than the mix entry asked for
	Classes    map[string]int `json:"classes"`    // by outcome class
	Codes      map[string]int `json:"codes"`      // by final SIP code ("none": no final response, "error": not sent)
	AnsweredBy map[string]int `json:"answeredBy"` // by device kind
	Emergency  map[string]int `json:"emergency"`  // emergency calls by final code
	Mix        []MixResult    `json:"mix"`        // per mix entry, in order

	PDDMs    Dist `json:"pddMs"`    // INVITE → first 18x
	SetupMs  Dist `json:"setupMs"`  // INVITE → final response
	AnswerMs Dist `json:"answerMs"` // INVITE → 2xx
	Branches Dist `json:"branches"` // devices that got the INVITE, per call

	// Sent is every SIP message the simulated devices, callers and PSAPs
	// sent, and how many of them were retransmissions.
	Sent  devices.Sent  `json:"sent"`
	Media *MediaSummary `json:"media,omitempty"`
	// ReceiveLag is how long the datagrams the generator read had waited
	// in its sockets; nil where the system gives no receive times.
	ReceiveLag *LagSummary `json:"receiveLag,omitempty"`

	// CPUSeconds is the CPU time this process (the generator, and the
	// in-process proxy when there is one) used while calls were placed;
	// Threads is its GOMAXPROCS.
	CPUSeconds float64 `json:"cpuSeconds"`
	Threads    int     `json:"threads"`

	PeakRSSBytes int64     `json:"peakRSSBytes"`
	Thresholds   []Verdict `json:"thresholds"`

	hist histograms // for threshold statistics
}

// LagSummary gives quantiles of the generator's receive lag in
// milliseconds, each the upper bound of its bucket (-1: beyond 26 s).
type LagSummary struct {
	Datagrams uint64  `json:"datagrams"`
	P50Ms     float64 `json:"p50Ms"`
	P90Ms     float64 `json:"p90Ms"`
	P99Ms     float64 `json:"p99Ms"`
	MaxMs     float64 `json:"maxMs"`
}

// lateRead is the p99 receive lag above which the summary warns that the
// generator reads late (the caller's Timer A fires at 500 ms).
const lateRead = 100 * time.Millisecond

// lagSummary summarises l; nil when nothing was measured.
func lagSummary(l devices.ReceiveLag) *LagSummary {
	if l.N() == 0 {
		return nil
	}
	ms := func(q float64) float64 {
		d := l.Quantile(q)
		if d < 0 {
			return -1
		}
		return float64(d) / float64(time.Millisecond)
	}
	return &LagSummary{Datagrams: l.N(), P50Ms: ms(0.5), P90Ms: ms(0.9), P99Ms: ms(0.99), MaxMs: ms(1)}
}

// histograms are the raw distributions behind a Summary.
type histograms struct {
	pdd, setup, answer, branches *Histogram
}

// Passed reports whether every threshold held.
func (s *Summary) Passed() bool {
	for _, v := range s.Thresholds {
		if !v.Pass {
			return false
		}
	}
	return true
}

// WriteJSON writes the summary as indented JSON.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("load: summary JSON: %w", err)
	}
	return nil
}

// WriteText writes the summary for people.
func (s *Summary) WriteText(w io.Writer) error {
	p := &errWriter{w: w}
	p.printf("load %s → %s (%d sockets)\n", s.Scenario, s.Proxy, s.Sockets)
	p.printf("devices    %d of %d registered in %.1fs (%d users, %d failed)\n", s.Registered, s.Devices,
		s.RegisterTimeS, s.Users, s.RegisterFailed)
	p.printf("rate       offered %.1f/s, achieved %.1f/s over %.1fs; %d placed of %d offered, %d skipped (maxConcurrent), max active %d\n",
		s.OfferedRate, s.AchievedRate, s.DurationS, s.Placed, s.Offered, s.Skipped, s.MaxActive)
	if s.Interrupted {
		p.printf("           interrupted: in-flight calls were ended early\n")
	}
	p.printf("calls      %d finished, %d failed (outcome other than the mix asked for)\n", s.Calls, s.Failed)
	p.printf("classes    %s\n", countList(s.Classes))
	p.printf("codes      %s\n", countList(s.Codes))
	p.printf("answered   %s\n", countList(s.AnsweredBy))
	for _, m := range s.Mix {
		p.printf("mix        %-28s %d calls, %d %s\n", m.Entry, m.Calls, m.AsAsked, m.Expected)
	}
	if len(s.Emergency) > 0 {
		p.printf("emergency  %s\n", countList(s.Emergency))
	}
	p.printf("             %8s %8s %8s %8s %8s %8s %8s\n", "count", "p50", "p90", "p95", "p99", "max", "mean")
	for _, d := range []struct {
		name string
		d    Dist
		unit string
	}{{"pdd ms", s.PDDMs, "ms"}, {"setup ms", s.SetupMs, "ms"}, {"answer ms", s.AnswerMs, "ms"}, {"branches", s.Branches, ""}} {
		p.printf("%-12s %8d %8.1f %8.1f %8.1f %8.1f %8.1f %8.2f\n", d.name, d.d.Count, d.d.P50, d.d.P90, d.d.P95, d.d.P99, d.d.Max, d.d.Mean)
	}
	p.printf("retransm.  %d of %d SIP messages sent (%.3f%%)\n", s.Sent.Retransmissions, s.Sent.Messages, 100*s.Sent.Share())
	if m := s.Media; m != nil {
		p.printf("media      %d streams, lost %d of %d (%.3f%%), jitter mean %.2fms max %.2fms\n", m.Streams, m.Lost,
			m.Expected, 100*m.LossRate, m.JitterMeanMs, m.JitterMaxMs)
	}
	if l := s.ReceiveLag; l != nil {
		p.printf("recv lag   p50 ≤ %s, p90 ≤ %s, p99 ≤ %s, max ≤ %s (how long %d datagrams waited in the generator's sockets)\n",
			lagText(l.P50Ms), lagText(l.P90Ms), lagText(l.P99Ms), lagText(l.MaxMs), l.Datagrams)
		// Warn when p99 is surely above lateRead: its bucket starts at half
		// its upper bound.
		if l.P99Ms < 0 || l.P99Ms/2 >= float64(lateRead/time.Millisecond) {
			p.printf("           this process read late: it, not the proxy, may be what limits the run\n")
		}
	}
	if busy := s.Busy(); busy > 0 && s.Placed > 0 {
		p.printf("cpu        %.1fs over %.1fs: %.2f of %d thread(s), %.2f ms per call\n", s.CPUSeconds, s.DurationS,
			busy*float64(s.Threads), s.Threads, 1000*s.CPUSeconds/float64(s.Placed))
		if busy >= busyShare {
			p.printf("           this process was %.0f%% busy: it, not the proxy, may be what limits the run (--procs)\n", 100*busy)
		}
	}
	if s.PeakRSSBytes > 0 {
		p.printf("peak RSS   %.1f MiB\n", float64(s.PeakRSSBytes)/(1<<20))
	}
	for _, v := range s.Thresholds {
		verdict := "PASS"
		if !v.Pass {
			verdict = "FAIL"
		}
		note := ""
		if v.Note != "" {
			note = " (" + v.Note + ")"
		}
		p.printf("%s  %s: measured %s%s\n", verdict, v.Threshold, v.Measured, note)
	}
	return p.err
}

func countList(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	out := ""
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if out != "" {
			out += ", "
		}
		out += k + " " + strconv.Itoa(m[k])
	}
	return out
}

type errWriter struct {
	w   io.Writer
	err error
}

func (p *errWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func lagText(ms float64) string {
	if ms < 0 {
		return "more than 26s"
	}
	return strconv.FormatFloat(ms, 'g', 4, 64) + "ms"
}
