package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"ocmsim/internal/httpapi"
	"ocmsim/internal/metrics"
	"ocmsim/scenarios"
	"ocmsim/sip/server"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "[-c FILE] [--sip udp://127.0.0.1:5060,tcp://127.0.0.1:5060] [--http 127.0.0.1:9090]", stderr)
	file := fs.String("c", "", "scenario or tenant file (default: the bundled demo tenant)")
	sipAddrs := fs.String("sip", "udp://127.0.0.1:5060,tcp://127.0.0.1:5060", "SIP listen addresses")
	httpAddr := fs.String("http", "127.0.0.1:9090", "HTTP address for /metrics, /healthz and /api (empty: off)")
	outbound := fs.String("trunk", "", "host:port where devices' calls to numbers outside the tenant go")
	voicemail := fs.String("voicemail", "", "SIP URI of the voicemail service for unanswered calls")
	psapProxy := fs.String("psap-proxy", "", "host:port every emergency call is sent to, Request-URI = the PSAP's URI (default: the URI's host, which must be an IP)")
	algorithms := fs.String("digest", "MD5,SHA-256", "digest algorithms offered, in order")
	pprofOn := fs.Bool("pprof", false, "serve /debug/pprof/ on the HTTP address")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "text or json")
	linger := fs.Duration("linger", server.RFCLinger, lingerUsage)
	procs := fs.Int("procs", 0, procsUsage+" (half the CPUs: its peers on loopback share the machine)")
	overload := fs.Duration("overload-lag", 0, "refuse new INVITEs with 503 while UDP datagrams wait longer than this to be read (0: never)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitBadArgs
	}
	if len(pos) > 0 {
		fs.Usage()
		return exitBadArgs
	}
	logger, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "ocmsim serve:", err)
		return exitBadArgs
	}
	slog.SetDefault(logger) // sipgo logs through slog.Default
	listens, err := server.ParseListen(*sipAddrs)
	if err != nil {
		fmt.Fprintln(stderr, "ocmsim serve:", err)
		return exitBadArgs
	}
	f, err := loadTenant(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadArgs
	}
	tuneServeMemory()
	server.LingerTransactions(*linger)
	applyProcs(*procs, sharedProcs(runtime.GOMAXPROCS(0)))
	psaps, err := f.Tenant.PSAPDirectory()
	if err != nil {
		fmt.Fprintln(stderr, "ocmsim serve:", err)
		return exitBadArgs
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := server.New(server.Config{
		Directory:     f.Directory,
		Listen:        listens,
		Trunks:        trunks(f),
		OutboundTrunk: *outbound,
		Voicemail:     *voicemail,
		PSAPs:         psaps,
		PSAPProxy:     *psapProxy,
		Algorithms:    splitList(*algorithms),
		Metrics:       metrics.New(reg),
		Logger:        logger,
		OverloadLag:   *overload,
	})
	if err != nil {
		fmt.Fprintln(stderr, "ocmsim serve:", err)
		return exitBadArgs
	}
	if *httpAddr != "" {
		ln, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			fmt.Fprintln(stderr, "ocmsim serve:", err)
			return exitBadArgs
		}
		handler := httpapi.Handler(reg, srv.Sources())
		if *pprofOn {
			mux := http.NewServeMux()
			mux.Handle("/", handler)
			handlePprof(mux)
			handler = mux
		}
		hs := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
		go hs.Serve(ln)
		defer hs.Close()
		logger.Info("http", "addr", ln.Addr().String(), "paths", "/metrics /healthz /api/registrations /api/calls /api/explain?number= /api/tenant")
	}
	fmt.Fprintf(stdout, "ocmsim serving tenant %s (%s) on %s\n", f.Directory.ID(), tenantName(*file), strings.Join(listenStrings(srv, listens), ", "))
	idleCtx, stopIdle := context.WithCancel(ctx)
	defer stopIdle()
	go releaseWhenIdle(idleCtx, srv.Received, serveIdle, debug.FreeOSMemory, logger)
	go limitMemory(idleCtx, liveHeap(), srv.Bindings().Len, 500*time.Millisecond)
	if err := srv.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "ocmsim serve:", err)
		return exitFailed
	}
	logger.Info("stopped")
	return exitOK
}

func tenantName(file string) string {
	if file == "" {
		return "bundled demo tenant"
	}
	return file
}

func listenStrings(srv *server.Server, listens []server.Listen) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range listens {
		if seen[l.Transport] {
			continue
		}
		seen[l.Transport] = true
		out = append(out, l.Transport+"://"+srv.Addr(l.Transport))
	}
	return out
}

func trunks(f *scenarios.File) []server.Trunk {
	if f.Tenant == nil || len(f.Tenant.Trunks) == 0 {
		return nil
	}
	var out []server.Trunk
	for _, t := range f.Tenant.Trunks {
		out = append(out, server.Trunk{ID: t.ID, From: t.From})
	}
	return out
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
