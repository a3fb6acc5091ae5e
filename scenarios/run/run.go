// Package run runs ocmsim scenarios end to end over real SIP on loopback:
// for each scenario a fresh tenant directory, the registrar and forking
// proxy of package sip/server on OS-chosen ports (or an external proxy),
// one simulated device per tenant device (package devices), then every
// step in order, checking its expectations. Run returns a Report: a ring
// matrix per call and every checked expectation; WriteText, WriteJUnit and
// WriteJSON format it.
//
// It is a package of its own, not part of package scenarios, because the
// tests of sip/server load scenario files: scenarios must not import
// sip/server.
//
//	f, _ := scenarios.Load("scenarios/examples/01-native-first.yaml")
//	rep, err := run.Run(ctx, f, run.Options{})
//	run.WriteText(os.Stdout, rep, run.TextOptions{})
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"ocmsim/devices"
	"ocmsim/internal/psap"
	"ocmsim/routing"
	"ocmsim/scenarios"
	"ocmsim/sip/server"
)

// Options says how Run drives a scenario. The zero value runs an
// in-process proxy on OS-chosen loopback ports.
type Options struct {
	// Proxy, when set, is the "host:port" (UDP) of an external registrar and
	// proxy serving the scenario's tenant; no server is started. admin: and
	// ps: steps then change only the runner's own model of the tenant.
	Proxy string
	// Listen is the UDP "host:port" of the in-process proxy; default
	// "127.0.0.1:0" (an OS-chosen port). Give a fixed one for real
	// softphones to register with.
	Listen string
	// Timeout bounds each wait of a step that gives none (wait: timeout,
	// events an expectation needs); default DefaultTimeout.
	Timeout time.Duration
	// Settle is how long the runner keeps watching for devices outside
	// `ringing:` after the listed ones rang, when the step gives no
	// `within:`; default DefaultSettle.
	Settle time.Duration
	// SoftphoneTimeout bounds the wait, before the first step, for every
	// `realSoftphone: true` device to register with the in-process proxy;
	// default DefaultSoftphoneTimeout. With an external proxy the runner
	// cannot see registrations and does not wait.
	SoftphoneTimeout time.Duration
	// Logger receives the SIP stack's logs; nil discards them.
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultTimeout = 3 * time.Second
	DefaultSettle  = 50 * time.Millisecond

	DefaultSoftphoneTimeout = 30 * time.Second
)

// voicemailUser is the username of the simulated voicemail service.
const voicemailUser = "voicemail"

// runClock is the scenario's modelled clock: real time plus what
// `admin: {advanceClock: D}` steps added.
type runClock struct{ offset atomic.Int64 }

func (c *runClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *runClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// env is what one scenario runs against: a fresh directory, the proxy (in
// process, or external), the devices and the voicemail service.
type env struct {
	dir       *routing.Directory
	clock     *runClock
	srv       *server.Server // nil with an external proxy
	stopSrv   func() error
	fleet     *devices.Fleet
	voicemail *devices.Fleet // nil when no user sends unanswered calls to voicemail
	psaps     *devices.Fleet // the tenant's PSAPs; nil without psaps: or with an external proxy
	psapDir   *psap.Directory
	simulated map[string]bool
	where     map[string]scenarios.Whereabouts // what each device reports on emergency calls
}

// services are the fleets of the call targets outside the tenant's users.
func (e *env) services() []*devices.Fleet {
	var out []*devices.Fleet
	for _, f := range []*devices.Fleet{e.voicemail, e.psaps} {
		if f != nil {
			out = append(out, f)
		}
	}
	return out
}

// Run runs the scenario f end to end over real SIP on loopback and
// reports every expectation checked. Each run has its own directory
// (built from f.Tenant), proxy and devices, all closed before Run returns.
// The error is for a scenario that cannot run at all (no tenant, a tenant
// that does not build); a failed expectation is in the Report.
func Run(ctx context.Context, f *scenarios.File, opts Options) (*Report, error) {
	if f == nil || f.Tenant == nil {
		return nil, errors.New("run: the scenario has no tenant")
	}
	if f.TenantOnly {
		return nil, fmt.Errorf("run: %s is a tenant file, not a scenario", f.Path)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	if opts.SoftphoneTimeout <= 0 {
		opts.SoftphoneTimeout = DefaultSoftphoneTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	clock := &runClock{}
	dir, err := f.Tenant.Build(clock.now)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	r := &runner{f: f, opts: opts, calls: map[string]*callState{},
		rep: &Report{File: f.Path, Name: f.Name, Started: time.Now()}}
	e, err := startEnv(ctx, f, dir, clock, opts)
	if err != nil {
		r.setupFailed(err)
		r.rep.Duration = time.Since(r.rep.Started)
		return r.rep, nil
	}
	r.env = e
	r.steps(ctx)
	r.finish(ctx)
	e.close()
	r.rep.Duration = time.Since(r.rep.Started)
	return r.rep, nil
}

// startEnv starts the proxy (unless external), the voicemail service and
// the fleet, and registers the devices.
func startEnv(ctx context.Context, f *scenarios.File, dir *routing.Directory, clock *runClock, opts Options) (e *env, err error) {
	e = &env{dir: dir, clock: clock, simulated: map[string]bool{}, where: map[string]scenarios.Whereabouts{}}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	vmURI := ""
	if usesVoicemail(f.Tenant) && opts.Proxy == "" {
		// The voicemail service never registers or dials: its proxy address
		// is never used.
		if e.voicemail, err = devices.NewFleet(devices.Config{Proxy: "127.0.0.1:9", Logger: opts.Logger}); err != nil {
			return e, fmt.Errorf("voicemail: %w", err)
		}
		spec := devices.Spec{ID: voicemailUser, Kind: devices.Voicemail, Behaviour: devices.Behaviour{NoRegister: true}}
		if err = e.voicemail.Add(spec); err != nil {
			return e, fmt.Errorf("voicemail: %w", err)
		}
		vmURI = "sip:" + voicemailUser + "@" + e.voicemail.Addr()
	}
	if len(f.Tenant.PSAPs) > 0 && opts.Proxy == "" {
		if err = e.startPSAPs(f.Tenant, opts.Logger); err != nil {
			return e, err
		}
	}
	proxyAddr := opts.Proxy
	if proxyAddr == "" {
		if proxyAddr, err = e.startServer(f, vmURI, opts.Listen, opts.Logger); err != nil {
			return e, err
		}
	}
	if e.fleet, err = devices.NewFleet(devices.Config{Proxy: proxyAddr, Domain: dir.Domain(), Logger: opts.Logger}); err != nil {
		return e, err
	}
	var real []string
	for _, uid := range f.Tenant.UserIDs() { // generated users too
		u, _ := dir.User(uid)
		for _, id := range u.Devices {
			b := f.Devices.For(id)
			if b.RealSoftphone {
				real = append(real, id)
				continue
			}
			dev, ok := dir.Device(id)
			if !ok {
				continue
			}
			spec := devices.Spec{ID: id, Username: dev.Username, Password: dev.Password, Kind: devices.Kind(dev.Kind),
				Behaviour: deviceBehaviour(b)}
			if err = e.fleet.Add(spec); err != nil {
				return e, err
			}
			e.simulated[id] = true
			e.where[id] = b.Where
			if e.where[id].Cell == "" && dev.Cell != "" {
				e.where[id] = e.where[id].Merge(scenarios.Whereabouts{Cell: dev.Cell})
			}
		}
	}
	rctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err = e.fleet.RegisterAll(rctx); err != nil {
		return e, fmt.Errorf("registering the devices: %w", err)
	}
	if err = e.waitSoftphones(ctx, real, opts); err != nil {
		return e, err
	}
	return e, nil
}

// waitSoftphones waits, at most opts.SoftphoneTimeout, until every real
// softphone (devices the runner does not simulate) has a live binding in
// the in-process proxy. With an external proxy it cannot tell: no wait.
func (e *env) waitSoftphones(ctx context.Context, ids []string, opts Options) error {
	if len(ids) == 0 || e.srv == nil {
		return nil
	}
	addr := e.srv.Addr("udp")
	opts.Logger.Info("waiting for real softphones to register", "devices", ids, "proxy", addr,
		"domain", e.dir.Domain(), "timeout", opts.SoftphoneTimeout)
	wctx, cancel := context.WithTimeout(ctx, opts.SoftphoneTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var missing []string
		for _, id := range ids {
			if !e.srv.Bindings().Registered(id, e.clock.now()) {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-tick.C:
		case <-wctx.Done():
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("real softphone(s) not registered within %v at %s (domain %s): %s",
				opts.SoftphoneTimeout, addr, e.dir.Domain(), strings.Join(missing, ", "))
		}
	}
}

func (e *env) startServer(f *scenarios.File, voicemail, listen string, log *slog.Logger) (string, error) {
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	trunks := []server.Trunk{}
	for _, t := range f.Tenant.Trunks {
		trunks = append(trunks, server.Trunk{ID: t.ID, From: t.From})
	}
	if len(trunks) == 0 {
		trunks = nil // the server's default: loopback
	}
	srv, stop, err := server.Start(server.Config{Directory: e.dir, Listen: []server.Listen{{Transport: "udp", Addr: listen}},
		Trunks: trunks, Voicemail: voicemail, Now: e.clock.now, Logger: log, DrainTimeout: time.Second,
		PSAPs: e.psapDir, PSAPProxy: e.psapAddr()})
	if err != nil {
		return "", fmt.Errorf("starting the proxy: %w", err)
	}
	e.srv, e.stopSrv = srv, stop
	return srv.Addr("udp"), nil
}

// close stops the devices, then the proxy, then the voicemail service, and
// waits for each.
func (e *env) close() {
	if e.fleet != nil {
		e.fleet.Close()
	}
	if e.stopSrv != nil {
		e.stopSrv()
	}
	for _, f := range e.services() {
		f.Close()
	}
}

// usesVoicemail reports whether any user sends unanswered calls to voicemail.
func usesVoicemail(t *scenarios.Tenant) bool {
	for _, u := range t.Users {
		if u.CallSettings != nil && u.CallSettings.UnansweredTarget == routing.TargetVoicemail {
			return true
		}
	}
	return false
}

// deviceBehaviour maps a scenario's device behaviour to the simulator's.
func deviceBehaviour(b scenarios.Behaviour) devices.Behaviour {
	return devices.Behaviour{RingAfter: b.RingAfter, Answer: devices.Answer{Never: b.Answer.Never, After: b.Answer.After},
		Reject: b.Reject, Offline: b.Offline, NoRegister: !b.Register, UnregisterAt: b.UnregisterAt, Network: string(b.Network)}
}
