package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"ocmsim/devices"
	"ocmsim/routing"
	"ocmsim/scenarios"
)

// runner is one load run.
type runner struct {
	f    *scenarios.File
	dir  *routing.Directory
	pop  *population
	prof scenarios.LoadProfile
	opts Options
	m    *genMetrics

	proxy   string
	stopSrv func() error     // nil with an external proxy
	psaps   *devices.Fleet   // the tenant's simulated PSAPs; nil without
	fleets  []*devices.Fleet // device fleets
	callers []*devices.Fleet // the PSTN side: calls are spread over them
	// simulated is every fleet above once started, for sent.
	simulated atomic.Pointer[[]*devices.Fleet]
	calls     *tracker
	began     time.Time
	regTime   time.Duration
	regFail   int

	phase    atomic.Value // string
	placed   atomic.Int64
	skipped  atomic.Int64
	offered  atomic.Int64
	active   atomic.Int64
	wg       sync.WaitGroup // call goroutines
	genStart time.Time
	genTime  time.Duration
	genCPU   time.Duration // CPU used from genStart to genTime
	lagStart devices.ReceiveLag

	mu         sync.Mutex // guards the results below
	maxActive  int
	finished   int
	failed     int
	classes    map[string]int
	codes      map[string]int
	answeredBy map[string]int
	emergency  map[string]int
	mix        []MixResult
	hist       histograms
	media      MediaSummary
	jitterSum  float64
	interrupt  bool
}

func newRunner(f *scenarios.File, dir *routing.Directory, pop *population, prof scenarios.LoadProfile, opts Options) *runner {
	r := &runner{f: f, dir: dir, pop: pop, prof: prof, opts: opts,
		classes: map[string]int{}, codes: map[string]int{}, answeredBy: map[string]int{}, emergency: map[string]int{},
		hist: histograms{pdd: &Histogram{}, setup: &Histogram{}, answer: &Histogram{}, branches: &Histogram{}}}
	r.m = newGenMetrics(opts.Registry, r.sent)
	r.calls = newTracker(r)
	for _, m := range prof.Mix {
		r.mix = append(r.mix, MixResult{Entry: entryName(m), Expected: expected(&m)})
	}
	r.phase.Store("register")
	return r
}

// start starts the proxy (unless external) and the fleets, and registers
// the devices.
func (r *runner) start(ctx context.Context) error {
	r.began = time.Now()
	r.proxy = r.opts.Proxy
	if r.proxy == "" {
		var err error
		if r.proxy, err = r.startServer(); err != nil {
			return err
		}
	}
	cfg := devices.Config{Proxy: r.proxy, Domain: r.dir.Domain(), Logger: r.opts.Logger, OnEvent: r.calls.onEvent, DiscardEvents: true}
	for range r.opts.Sockets {
		fl, err := devices.NewFleet(cfg)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		r.fleets = append(r.fleets, fl)
	}
	for range max(1, r.opts.Sockets/2) {
		fl, err := devices.NewFleet(cfg)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		r.callers = append(r.callers, fl)
	}
	all := append(append([]*devices.Fleet{}, r.fleets...), r.callers...)
	if r.psaps != nil {
		all = append(all, r.psaps)
	}
	r.simulated.Store(&all)
	for _, id := range r.pop.order {
		dev, _ := r.dir.Device(id)
		info := r.pop.devices[id]
		spec := devices.Spec{ID: id, Username: dev.Username, Password: dev.Password, Kind: devices.Kind(dev.Kind),
			Behaviour: devices.Behaviour{Answer: devices.Answer{Never: true}}}
		if err := r.fleets[info.fleet].Add(spec); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	}
	stop := r.startProgress(ctx)
	defer stop()
	r.register(ctx)
	if r.regFail == len(r.pop.order) && r.regFail > 0 {
		return fmt.Errorf("load: no device registered with %s (wrong proxy, domain or passwords?)", r.proxy)
	}
	return nil
}

// register registers every fleet's devices at once (each fleet a few
// dozen at a time).
func (r *runner) register(ctx context.Context) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, registerTimeout(len(r.pop.order)))
	defer cancel()
	var (
		wg   sync.WaitGroup
		fail atomic.Int64
	)
	for _, fl := range r.fleets {
		wg.Go(func() {
			err := fl.RegisterAll(ctx)
			if err == nil {
				return
			}
			var list interface{ Unwrap() []error }
			if errors.As(err, &list) {
				fail.Add(int64(len(list.Unwrap())))
				r.opts.Logger.Warn("registration failed", "devices", len(list.Unwrap()), "first", list.Unwrap()[0])
			} else {
				fail.Add(1)
				r.opts.Logger.Warn("registration failed", "error", err)
			}
		})
	}
	wg.Wait()
	r.regTime, r.regFail = time.Since(start), int(fail.Load())
	r.m.registered.Set(float64(len(r.pop.order) - r.regFail))
}

// registerTimeout bounds the registration of n devices: generous (a
// loopback proxy registers thousands a second), but a proxy that does not
// answer must not hold the run for 32 s per device.
func registerTimeout(n int) time.Duration {
	return max(30*time.Second, time.Duration(n)*5*time.Millisecond)
}

// generate places calls on the schedule until the duration ends or ctx is
// done, then lets the calls in flight finish (bounded by Drain).
func (r *runner) generate(ctx context.Context) {
	if r.opts.RegisterOnly || ctx.Err() != nil {
		r.interrupt = ctx.Err() != nil
		return
	}
	// calls ends the calls in flight: on ctx, or Drain after the schedule.
	callCtx, cancelCalls := context.WithCancel(ctx)
	defer cancelCalls()
	stopJanitor := r.calls.startJanitor()
	defer stopJanitor()
	r.phase.Store("calls")
	stop := r.startProgress(ctx)
	defer stop()
	sched := Schedule{Start: r.prof.Start, Target: r.prof.Target, RampUp: r.prof.RampUp, Duration: r.prof.Duration}
	rng := rand.New(rand.NewPCG(r.opts.Seed, r.opts.Seed^0x9e3779b97f4a7c15))
	r.genStart = time.Now()
	cpuStart := processCPU()
	r.lagStart = r.receiveLag() // registration's reads are not the calls'

	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	done := 0
	for loop := true; loop; {
		el := time.Since(r.genStart)
		for due := sched.Offered(el); done < due; done++ {
			r.offered.Add(1)
			if mc := r.prof.MaxConcurrent; mc > 0 && r.active.Load() >= int64(mc) {
				r.skipped.Add(1)
				r.m.skipped.Inc()
				continue
			}
			r.launch(callCtx, rng)
		}
		if el >= sched.Duration {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			loop = false
		}
	}
	r.genTime = time.Since(r.genStart)
	r.genCPU = processCPU() - cpuStart
	r.phase.Store("drain")
	drained := make(chan struct{})
	go func() { r.wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-ctx.Done():
	case <-time.After(r.opts.Drain):
	}
	cancelCalls()
	<-drained // every call's hangup and waits are bounded
	r.interrupt = ctx.Err() != nil
}

// launch picks a mix entry and a user and starts the call.
func (r *runner) launch(ctx context.Context, rng *rand.Rand) {
	i := pickEntry(rng, r.prof.Mix)
	tgt, ok := r.pop.pick(rng, i)
	if !ok { // a share-0 entry picked by rounding
		r.skipped.Add(1)
		return
	}
	dev := ""
	if r.prof.Mix[i].Emergency {
		dev = tgt.devices[rng.IntN(len(tgt.devices))]
	}
	n := r.active.Add(1)
	r.m.active.Set(float64(n))
	r.mu.Lock()
	r.maxActive = max(r.maxActive, int(n))
	r.mu.Unlock()
	r.wg.Go(func() {
		defer func() { r.m.active.Set(float64(r.active.Add(-1))) }()
		r.call(ctx, i, tgt, dev)
	})
}

// pickEntry returns the index of a mix entry, chosen by share.
func pickEntry(rng *rand.Rand, mix []scenarios.MixEntry) int {
	x := rng.Float64()
	for i, m := range mix {
		if x < m.Share {
			return i
		}
		x -= m.Share
	}
	return len(mix) - 1
}

// fleetOf returns the fleet that holds a device.
func (r *runner) fleetOf(id string) (*devices.Fleet, bool) {
	info, ok := r.pop.devices[id]
	if !ok {
		return nil, false
	}
	return r.fleets[info.fleet], true
}

// sent sums what every simulated fleet sent so far.
func (r *runner) sent() devices.Sent {
	var s devices.Sent
	if all := r.simulated.Load(); all != nil {
		for _, fl := range *all {
			s = s.Add(fl.Sent())
		}
	}
	return s
}

// receiveLag sums how late every fleet read its datagrams so far.
func (r *runner) receiveLag() devices.ReceiveLag {
	var l devices.ReceiveLag
	for _, fl := range append(r.fleets, r.callers...) {
		if fl != nil {
			l = l.Add(fl.ReceiveLag())
		}
	}
	return l
}

// close stops the fleets, then the proxy.
func (r *runner) close() {
	var wg sync.WaitGroup
	for _, fl := range append(r.fleets, r.callers...) {
		if fl != nil {
			wg.Go(func() { fl.Close() })
		}
	}
	wg.Wait()
	if r.stopSrv != nil {
		r.stopSrv()
	}
	if r.psaps != nil {
		r.psaps.Close()
	}
}

// entryName describes a mix entry, e.g. "answer teams-desktop".
func entryName(m scenarios.MixEntry) string {
	switch {
	case m.Emergency:
		return "emergency"
	case m.Reject != 0:
		return fmt.Sprintf("reject %d", m.Reject)
	}
	return "answer " + m.Answer
}
