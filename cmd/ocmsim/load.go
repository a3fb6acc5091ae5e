package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"ocmsim/scenarios/load"
	"ocmsim/sip/server"
)

// exitThresholds is the exit code of a load run that breached a threshold:
// distinct from 1 (the run could not run) and 2 (bad input).
const exitThresholds = 99

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("load", "FILE [--proxy host:port] [--http addr] [--out summary.json] [--duration D] [--rate R] [--sockets N] [--quiet]", stderr)
	proxy := fs.String("proxy", "", "host:port (UDP) of an external proxy serving the tenant; default: an in-process one on loopback")
	httpAddr := fs.String("http", "", "serve Prometheus /metrics (server ocmsim_* and generator ocmsim_load_*) here during the run")
	out := fs.String("out", "", "write the summary as JSON to this file")
	duration := fs.Duration("duration", 0, "replace the profile's duration (0: register, then stop)")
	rate := fs.String("rate", "", "replace the profile's rate by a constant one, e.g. 50/s")
	sockets := fs.Int("sockets", load.DefaultSockets, "UDP sockets the simulated devices are spread over")
	registerOnly := fs.Bool("register-only", false, "register the devices, print the summary and exit (bindings stay until they expire)")
	quiet := fs.Bool("quiet", false, "no live progress on stderr")
	pprofOn := fs.Bool("pprof", false, "serve /debug/pprof/ on the --http address")
	seed := fs.Uint64("seed", 1, "seed of the choice of mix entries and users")
	logLevel := fs.String("log-level", "", "SIP stack logs to stderr at this level (debug, info, warn, error); default none")
	procs := fs.Int("procs", 0, procsUsage+" (half the CPUs with --proxy, every CPU without)")
	linger := fs.Duration("linger", server.RFCLinger, lingerUsage)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitBadArgs
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitBadArgs
	}
	fail := func(code int, err error) int { fmt.Fprintln(stderr, "ocmsim load:", err); return code }
	defaultProcs := 0 // in process the proxy runs here too: every CPU
	if *proxy != "" {
		defaultProcs = sharedProcs(runtime.GOMAXPROCS(0))
	}
	applyProcs(*procs, defaultProcs)
	server.LingerTransactions(*linger)
	opts := load.Options{Proxy: *proxy, Sockets: *sockets, Duration: *duration, RegisterOnly: *registerOnly, Seed: *seed}
	if *rate != "" {
		if opts.Rate, err = load.ParseRate(*rate); err != nil {
			return fail(exitBadArgs, err)
		}
	}
	if flagSet(fs, "duration") && *duration <= 0 {
		opts.RegisterOnly = true
	}
	if *logLevel != "" {
		if opts.Logger, err = newLogger(stderr, *logLevel, "text"); err != nil {
			return fail(exitBadArgs, err)
		}
	}
	files, ok := loadScenarios(pos, stderr)
	if !ok {
		return exitBadArgs
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts.Registry = reg
	if *httpAddr != "" {
		stop, err := serveMetrics(*httpAddr, reg, *pprofOn)
		if err != nil {
			return fail(exitBadArgs, err)
		}
		defer stop()
	}
	if !*quiet {
		opts.Progress, opts.ProgressEvery = progressPrinter(stderr)
	}
	memCtx, stopMem := context.WithCancel(ctx)
	defer stopMem()
	opts.Registered = func() { tuneLoadMemory(memCtx) }
	sum, err := load.Run(ctx, files[0], opts)
	if opts.Progress != nil && isTerminal(stderr) {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		if errors.Is(err, load.ErrInput) {
			return fail(exitBadArgs, err)
		}
		return fail(exitFailed, err)
	}
	if err := sum.WriteText(stdout); err != nil {
		return fail(exitFailed, err)
	}
	if *out != "" {
		if err := writeSummary(*out, sum); err != nil {
			return fail(exitFailed, err)
		}
	}
	switch {
	case !sum.Passed():
		return exitThresholds
	case sum.Interrupted:
		fmt.Fprintln(stderr, "ocmsim load: interrupted")
		return exitFailed
	}
	return exitOK
}

func flagSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// serveMetrics serves /metrics of reg (and /debug/pprof/ withPprof) on
// addr until stop.
func serveMetrics(addr string, reg *prometheus.Registry, withPprof bool) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--http: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if withPprof {
		handlePprof(mux)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	return func() { hs.Close() }, nil
}

// handlePprof serves the runtime's profiles under /debug/pprof/ on mux:
// the index and the heap, goroutine, allocs, block and mutex profiles
// (?debug=, ?seconds=), a CPU profile (profile?seconds=) and an execution
// trace (trace?seconds=, for `go tool trace`).
func handlePprof(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

// progressPrinter returns the live progress: one refreshing line on a
// terminal, a plain line every 5 s otherwise.
func progressPrinter(w io.Writer) (func(load.Progress), time.Duration) {
	tty := isTerminal(w)
	every, end := 5*time.Second, "\n"
	if tty {
		every, end = 250*time.Millisecond, "\x1b[K"
	}
	return func(p load.Progress) {
		prefix := ""
		if tty {
			prefix = "\r"
		}
		el := p.Elapsed.Round(100 * time.Millisecond)
		if p.Phase == "register" {
			fmt.Fprintf(w, "%s%8s registering %d devices…%s", prefix, el, p.Devices, end)
			return
		}
		fmt.Fprintf(w, "%s%8s %-5s %6.1f calls/s  placed %d  active %d  answered %d  failed %d  pdd p50 %s p95 %s%s",
			prefix, el, p.Phase, p.Rate, p.Placed, p.Active, p.Answered, p.Failed,
			p.PDD50.Round(10*time.Microsecond), p.PDD95.Round(10*time.Microsecond), end)
	}, every
}

func writeSummary(path string, sum *load.Summary) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sum.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
