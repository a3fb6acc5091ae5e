// Package load is the load generator behind `ocmsim load`: it registers a
// scenario's (generated) devices, spread over a few sockets, with the
// in-process registrar and proxy of package sip/server (or an external
// proxy), places PSTN calls to the tenant's numbers at the `load:`
// profile's rate, plays each call as its mix entry says (who answers,
// after how long, who rejects, hold time, emergency calls from devices)
// and summarises what the caller saw: outcomes, post-dial delay and answer
// time percentiles, branches per call, media loss and jitter, thresholds.
//
//	f, _ := scenarios.Load("scenarios/examples/load/smoke.yaml")
//	sum, err := load.Run(ctx, f, load.Options{})
//	sum.WriteText(os.Stdout)
//
// Memory stays bounded in the number of calls: every call's events are
// dropped from the device journals shortly after it ends, and
// distributions go to fixed-size histograms.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"ocmsim/devices"
	"ocmsim/internal/metrics"
	"ocmsim/scenarios"
	"ocmsim/sip/server"
)

// Options says how Run drives a load profile. The zero value runs the
// scenario's profile against an in-process proxy on loopback.
type Options struct {
	// Proxy, when set, is the "host:port" (UDP) of an external registrar
	// and proxy serving the tenant; no server is started.
	Proxy string
	// Listen is the UDP address of the in-process proxy; default
	// "127.0.0.1:0".
	Listen string
	// Sockets is the number of UDP sockets (fleets) the devices are spread
	// over; default DefaultSockets. Calls are placed from Sockets/2 more (at least one).
	Sockets int
	// Duration and Rate, when set, replace the profile's duration and rate
	// (a constant Rate calls per second, no ramp).
	Duration time.Duration
	Rate     float64
	// RegisterOnly registers the devices and returns without placing calls.
	RegisterOnly bool
	// RingTimeout is how long a call rings before the caller cancels it
	// when the device meant to answer does not (after its `after:`), and
	// for `answer: nobody` without `after:`; default DefaultRingTimeout.
	RingTimeout time.Duration
	// Drain bounds how long calls in flight at the end of the duration may
	// go on before they are hung up; default: the longest after + hold of
	// the mix plus RingTimeout, at most MaxDrain.
	Drain time.Duration
	// Seed makes the choice of mix entries and users reproducible.
	Seed uint64
	// Registry receives the in-process server's ocmsim_* metrics and the
	// generator's ocmsim_load_* ones; nil: none are registered.
	Registry prometheus.Registerer
	// Progress, when set, is called every ProgressEvery (default 1 s) from
	// one goroutine while Run runs.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// Logger receives the SIP stack's logs; nil discards them.
	Logger *slog.Logger
	// Registered, when set, is called once every device registered,
	// before the first call (the command tunes the GC there).
	Registered func()
}

// Defaults of Options.
const (
	DefaultSockets     = 4
	DefaultRingTimeout = 5 * time.Second
	MaxDrain           = 30 * time.Second
)

// ErrInput marks errors in the scenario or the options (exit code 2).
var ErrInput = errors.New("load: bad input")

// Progress is a snapshot of a running load test.
type Progress struct {
	Phase      string // "register", "calls" or "drain"
	Elapsed    time.Duration
	Registered int // -1 while registering
	Devices    int
	Placed     int
	Active     int
	Answered   int
	Failed     int
	Rate       float64 // calls placed per second since the previous snapshot
	PDD50      time.Duration
	PDD95      time.Duration
}

// Run registers the devices of f's tenant and places calls as f's `load:`
// profile says; it returns the summary with every threshold evaluated.
// Cancelling ctx stops placing calls, ends the calls in flight (CANCEL or
// BYE, bounded) and still returns the summary. The error is for a run that
// could not start (wrapping ErrInput for a bad scenario or options).
func Run(ctx context.Context, f *scenarios.File, opts Options) (*Summary, error) {
	if f == nil || f.Tenant == nil {
		return nil, fmt.Errorf("%w: the scenario has no tenant", ErrInput)
	}
	if f.Load == nil && !opts.RegisterOnly {
		return nil, fmt.Errorf("%w: %s has no load: section", ErrInput, f.Path)
	}
	prof := scenarios.LoadProfile{}
	if f.Load != nil {
		prof = *f.Load
	}
	if opts.Duration > 0 {
		prof.Duration = opts.Duration
	}
	if opts.Rate > 0 {
		prof.Start, prof.Target, prof.RampUp = opts.Rate, opts.Rate, 0
	}
	if len(prof.Mix) == 0 {
		prof.Mix = []scenarios.MixEntry{{Share: 1, Answer: "any"}}
	}
	opts = withDefaults(opts, prof)
	dir := f.Directory
	if dir == nil {
		var err error
		if dir, err = f.Tenant.Build(time.Now); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
	}
	pop := newPopulation(f.Tenant, dir, prof.Mix, opts.Sockets)
	for i, m := range prof.Mix {
		if m.Share > 0 && len(pop.eligible[i]) == 0 && !opts.RegisterOnly {
			return nil, fmt.Errorf("%w: %s:%d:%d: mix entry %d (answer %q): no user with a number has such a device",
				ErrInput, f.Path, m.Line, m.Col, i+1, m.Answer)
		}
	}
	r := newRunner(f, dir, pop, prof, opts)
	if err := r.start(ctx); err != nil {
		r.close()
		return nil, err
	}
	if opts.Registered != nil {
		opts.Registered()
	}
	r.generate(ctx)
	r.close()
	return r.summary(), nil
}

func withDefaults(o Options, prof scenarios.LoadProfile) Options {
	if o.Sockets <= 0 {
		o.Sockets = DefaultSockets
	}
	o.Sockets = min(o.Sockets, 64)
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.RingTimeout <= 0 {
		o.RingTimeout = DefaultRingTimeout
	}
	if o.Drain <= 0 {
		longest := time.Duration(0)
		for _, m := range prof.Mix {
			longest = max(longest, m.After+m.Hold)
		}
		o.Drain = min(longest+o.RingTimeout, MaxDrain)
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// startServer starts the in-process registrar and proxy (with the
// tenant's simulated PSAPs, so that emergency calls are answered); it
// returns its UDP address.
func (r *runner) startServer() (string, error) {
	var trunks []server.Trunk
	for _, t := range r.f.Tenant.Trunks {
		trunks = append(trunks, server.Trunk{ID: t.ID, From: t.From})
	}
	cfg := server.Config{Directory: r.dir, Listen: []server.Listen{{Transport: "udp", Addr: r.opts.Listen}},
		Trunks: trunks, Metrics: metrics.New(r.opts.Registry), Logger: r.opts.Logger, DrainTimeout: time.Second}
	if len(r.f.Tenant.PSAPs) > 0 {
		dir, err := r.f.Tenant.PSAPDirectory()
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrInput, err)
		}
		if r.psaps, err = devices.NewPSAPs(dir.PSAPs(), r.opts.Logger); err != nil {
			return "", fmt.Errorf("load: %w", err)
		}
		cfg.PSAPs, cfg.PSAPProxy = dir, r.psaps.Addr()
	}
	srv, stop, err := server.Start(cfg)
	if err != nil {
		return "", fmt.Errorf("load: starting the proxy: %w", err)
	}
	r.stopSrv = stop
	return srv.Addr("udp"), nil
}
