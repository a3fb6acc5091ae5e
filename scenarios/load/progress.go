package load

import (
	"context"
	"runtime"
	"time"
)

// startProgress calls opts.Progress every ProgressEvery until the
// returned func is called.
func (r *runner) startProgress(ctx context.Context) (stop func()) {
	if r.opts.Progress == nil {
		return func() {}
	}
	quit, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(r.opts.ProgressEvery)
		defer tick.Stop()
		last, lastAt := r.placed.Load(), time.Now()
		r.opts.Progress(r.progress()) // at once: the phase starts
		for {
			select {
			case <-tick.C:
			case <-quit:
				return
			case <-ctx.Done():
				return
			}
			now := time.Now()
			p := r.progress()
			p.Rate = float64(int64(p.Placed)-last) / now.Sub(lastAt).Seconds()
			last, lastAt = int64(p.Placed), now
			r.opts.Progress(p)
		}
	}()
	return func() { close(quit); <-stopped }
}

// progress takes a snapshot (Rate not set).
func (r *runner) progress() Progress {
	p := Progress{Phase: r.phase.Load().(string), Elapsed: time.Since(r.began), Devices: len(r.pop.order),
		Placed: int(r.placed.Load()), Active: int(r.active.Load())}
	if p.Phase == "register" {
		p.Registered = -1
	} else {
		p.Registered = len(r.pop.order) - r.regFail
	}
	r.mu.Lock()
	p.Answered, p.Failed = r.classes[ClassAnswered], r.failed
	p.PDD50 = time.Duration(r.hist.pdd.Quantile(0.5)) * time.Microsecond
	p.PDD95 = time.Duration(r.hist.pdd.Quantile(0.95)) * time.Microsecond
	r.mu.Unlock()
	return p
}

// summary builds the result and evaluates the thresholds.
func (r *runner) summary() *Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &Summary{Scenario: r.f.Path, Proxy: r.proxy, Sockets: r.opts.Sockets,
		Users: len(r.pop.users), Devices: len(r.pop.order), Registered: len(r.pop.order) - r.regFail,
		RegisterFailed: r.regFail, RegisterTimeS: r.regTime.Seconds(),
		DurationS: r.genTime.Seconds(), Offered: int(r.offered.Load()), Placed: int(r.placed.Load()),
		Skipped: int(r.skipped.Load()), MaxActive: r.maxActive, Interrupted: r.interrupt,
		Calls: r.finished, Failed: r.failed, Classes: r.classes, Codes: r.codes, AnsweredBy: r.answeredBy,
		Emergency: r.emergency, Mix: r.mix,
		PDDMs: distOf(r.hist.pdd, 1e-3), SetupMs: distOf(r.hist.setup, 1e-3), AnswerMs: distOf(r.hist.answer, 1e-3),
		Branches: distOf(r.hist.branches, 1), Sent: r.sent(), ReceiveLag: lagSummary(r.receiveLag().Sub(r.lagStart)),
		CPUSeconds: r.genCPU.Seconds(), Threads: runtime.GOMAXPROCS(0),
		PeakRSSBytes: PeakRSS(), hist: r.hist}
	if len(s.Emergency) == 0 {
		s.Emergency = nil
	}
	if s.DurationS > 0 {
		s.OfferedRate = float64(s.Offered) / s.DurationS
		s.AchievedRate = float64(s.Placed) / s.DurationS
	}
	if r.prof.Media {
		m := r.media
		if m.Expected > 0 {
			m.LossRate = float64(m.Lost) / float64(m.Expected)
		}
		if m.Streams > 0 {
			m.JitterMeanMs = r.jitterSum / float64(m.Streams)
		}
		s.Media = &m
	}
	if !r.opts.RegisterOnly {
		s.Thresholds = Evaluate(s, r.prof.Thresholds)
	}
	return s
}
