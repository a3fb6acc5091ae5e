// Package server wires sipgo, the registrar and the forking proxy to the
// tenant directory: `ocmsim serve`. Inbound calls from the operator trunk and
// calls from authenticated devices are routed by routing.Directory; the
// registrar supplies live reachability.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/metrics"
	"ocmsim/internal/psap"
	"ocmsim/internal/rxstamp"
	"ocmsim/internal/uatx"
	"ocmsim/routing"
	"ocmsim/sip/digest"
	"ocmsim/sip/proxy"
	"ocmsim/sip/registrar"

	_ "ocmsim/internal/udpsize" // emergency INVITEs with PIDF-LO exceed 1,300 bytes
)

// Trunk is the operator side: who may send inbound PSTN calls.
type Trunk struct {
	ID   string
	From []netip.Prefix
}

// DefaultTrunks trusts loopback as the operator trunk.
var DefaultTrunks = []Trunk{{ID: "pstn", From: []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
}}}

// Config is what New needs. Only Directory is required.
type Config struct {
	Directory *routing.Directory
	// Listen defaults to DefaultListen.
	Listen []Listen
	// Trunks defaults to DefaultTrunks.
	Trunks []Trunk
	// OutboundTrunk is the "host:port" where calls from devices to numbers
	// outside the tenant go; empty answers them 404.
	OutboundTrunk string
	// Voicemail is the SIP URI unanswered calls go to when a user's
	// unanswered target is voicemail; empty means 480.
	Voicemail string
	// PSAPs are the answering points emergency calls go to; nil answers
	// emergency calls 503.
	PSAPs *psap.Directory
	// PSAPProxy, when set, is the "host:port" every PSAP call is sent to
	// (the Request-URI stays the PSAP's URI), like an ESRP. Without it a
	// PSAP URI's host must be an IP address.
	PSAPProxy string
	// Algorithms are the digest algorithms offered, in order; default MD5
	// first, then SHA-256 (SIPp 3.6.1 reads only the first challenge).
	Algorithms []string
	// Metrics defaults to unregistered collectors.
	Metrics *metrics.Metrics
	// Observer, when set, is also told about every ended branch and call
	// (after the metrics are updated); it must not block.
	Observer proxy.Observer
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// MaxMessageSize is the largest request accepted; bigger ones get 413.
	// Default DefaultMaxMessageSize.
	MaxMessageSize int
	// DrainTimeout bounds how long shutdown waits for calls in progress;
	// default 5 s.
	DrainTimeout time.Duration
	// OverloadLag, when positive: a new INVITE (no To-tag) that waited
	// longer than this in a UDP socket's receive buffer is refused with 503
	// and Retry-After (this needs the kernel's receive times: Linux).
	// Default 0: never refused.
	OverloadLag time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
}

// Server is a running registrar and proxy.
type Server struct {
	cfg       Config
	dir       *routing.Directory
	log       *slog.Logger
	m         *metrics.Metrics
	sockets   []*socket
	ua        *sipgo.UserAgent
	srv       *sipgo.Server                              // TCP, and the handlers of every method
	handlers  map[sip.RequestMethod]sipgo.RequestHandler // as instrumented, for the UDP layers
	udp       *uatx.Layer                                // the first UDP socket's, which the proxy sends from
	registrar *registrar.Registrar
	proxy     *proxy.Proxy
	auth      *digest.Authenticator
	voicemail *sip.Uri
	outbound  *sip.Uri

	draining atomic.Bool
	stopping chan struct{} // closed when shutdown begins
	calls    gate
	dropped  atomic.Uint64 // datagrams the guard dropped
	received atomic.Uint64 // datagrams read
	overload overloadLog
	cids     atomic.Uint64 // Content-IDs of PIDF-LO bodies
	quiet    atomic.Bool   // the guard passes nothing on: closing
}

// New opens the sockets and builds the server; Serve runs it.
func New(cfg Config) (*Server, error) {
	if cfg.Directory == nil {
		return nil, errors.New("server: a tenant directory is required")
	}
	s := &Server{cfg: cfg, dir: cfg.Directory, log: cfg.Logger, m: cfg.Metrics, stopping: make(chan struct{})}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.m == nil {
		s.m = metrics.New(nil)
	}
	if len(s.cfg.Listen) == 0 {
		s.cfg.Listen = DefaultListen
	}
	if s.cfg.Trunks == nil {
		s.cfg.Trunks = DefaultTrunks
	}
	if s.cfg.MaxMessageSize <= 0 {
		s.cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if s.cfg.DrainTimeout <= 0 {
		s.cfg.DrainTimeout = 5 * time.Second
	}
	if err := s.parseURIs(); err != nil {
		return nil, err
	}
	sockets, err := open(s.cfg.Listen)
	if err != nil {
		return nil, err
	}
	s.sockets = sockets
	if err := s.build(); err != nil {
		s.closeSockets()
		return nil, err
	}
	return s, nil
}

func (s *Server) parseURIs() error {
	for _, p := range []struct {
		name, val string
		dst       **sip.Uri
	}{{"voicemail", s.cfg.Voicemail, &s.voicemail}, {"outbound trunk", "sip:" + s.cfg.OutboundTrunk, &s.outbound}} {
		if p.val == "" || p.val == "sip:" {
			continue
		}
		var u sip.Uri
		if err := sip.ParseUri(p.val, &u); err != nil {
			return fmt.Errorf("server: %s %q: %w", p.name, p.val, err)
		}
		*p.dst = &u
	}
	return nil
}

func (s *Server) build() error {
	s.auth = &digest.Authenticator{Realm: s.dir.Domain(), Algorithms: s.cfg.Algorithms, Now: s.cfg.Now}
	s.proxy = &proxy.Proxy{Locator: proxy.LocatorFunc(s.locate), Admit: s.admit,
		Observer: observer{m: s.m, next: s.cfg.Observer}, Logger: s.log, Now: s.cfg.Now}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ocmsim"),
		// Contact is left to the registrar (and to lazy parsing) so a bad
		// one gets 400 instead of the whole request being dropped.
		sipgo.WithUserAgentParser(sip.NewParser(sip.WithHeadersParsers(registrar.HeadersParsers()))),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerUnhandledResponseHandler(s.proxy.HandleUnmatchedResponse)))
	if err != nil {
		return fmt.Errorf("server: user agent: %w", err)
	}
	s.ua = ua
	if s.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(s.log)); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if s.proxy.Client, err = proxy.NewClient(ua, s.sockets[0].Addr); err != nil {
		return err
	}
	store := &registrar.Bindings{OnChange: s.bindingChanged}
	s.registrar = &registrar.Registrar{
		Accounts: registrar.AccountsFunc(s.account),
		Bindings: store,
		Auth:     s.auth,
		Domain:   s.dir.Domain(),
		Now:      s.cfg.Now,
		Logger:   s.log,
	}
	if err := s.proxy.Register(s.srv); err != nil {
		return err
	}
	s.srv.OnRegister(s.registrar.HandleRegister)
	s.instrument()
	s.openUDPLayers()
	s.proxy.Client.TxRequester = txRouter{udp: s.udp, ua: ua}
	s.proxy.WriteResponse = s.writeResponse
	return nil
}

// account maps SIP credentials to a tenant device.
func (s *Server) account(username string) (registrar.Account, bool) {
	dev, ok := s.dir.DeviceByUsername(username)
	if !ok {
		return registrar.Account{}, false
	}
	return registrar.Account{Device: dev.ID, Kind: string(dev.Kind), Password: dev.Password}, true
}

func (s *Server) bindingChanged(ev registrar.Event) {
	switch ev.Type {
	case registrar.Registered:
		s.m.Registrations.WithLabelValues(ev.Kind).Inc()
	case registrar.Removed, registrar.Expired:
		s.m.Registrations.WithLabelValues(ev.Kind).Dec()
	}
	s.log.Debug("binding", "event", ev.Type.String(), "device", ev.Device, "contact", ev.Contact)
}

// Addr returns the "host:port" the server listens on for a transport, or "".
func (s *Server) Addr(transport string) string {
	for _, so := range s.sockets {
		if so.Transport == transport {
			return so.Addr
		}
	}
	return ""
}

// Bindings returns the registrar's store.
func (s *Server) Bindings() *registrar.Bindings { return s.registrar.Store() }

// Proxy returns the forking proxy (recent calls).
func (s *Server) Proxy() *proxy.Proxy { return s.proxy }

// Serve serves until ctx is done, then stops taking calls, waits (bounded)
// for calls in progress and closes everything. It returns nil after a clean stop.
func (s *Server) Serve(ctx context.Context) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	errc := make(chan error, len(s.sockets)+1)
	for _, so := range s.sockets {
		go func() {
			if so.layer != nil {
				errc <- so.layer.Serve()
				return
			}
			errc <- s.srv.ServeTCP(so.tcp)
		}()
	}
	go func() { errc <- s.registrar.Store().Run(runCtx) }()
	pending := len(s.sockets) + 1
	s.log.Info("serving", "sip", s.listenNames(), "tenant", s.dir.ID())
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		pending--
	}
	s.shutdown(func() {
		stop()
		for range pending {
			<-errc
		}
	})
	if ctx.Err() == nil && err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// guard wraps a UDP socket in the bad-input guard, which also measures
// how late it reads.
func (s *Server) guard(conn net.PacketConn) *guardConn {
	return &guardConn{PacketConn: conn, reads: rxstamp.NewReader(conn), limit: s.cfg.MaxMessageSize, buf: make([]byte, maxDatagram),
		log: s.log, m: s.m, dropped: &s.dropped, received: &s.received, quiet: &s.quiet}
}

// Dropped is how many datagrams the bad-input guard dropped as unreadable.
func (s *Server) Dropped() uint64 { return s.dropped.Load() }

// Received is the number of UDP datagrams read so far (a measure of
// activity: it stops moving when the server is idle).
func (s *Server) Received() uint64 { return s.received.Load() }

func (s *Server) listenNames() []string {
	var out []string
	for _, so := range s.sockets {
		out = append(out, so.Transport+"://"+so.Addr)
	}
	return out
}

// shutdown refuses new calls, waits for calls in progress, closes the
// sockets, runs stopped (which waits for the serving goroutines) and closes
// the user agent last, so no reply is sent on a socket sipgo reopens.
func (s *Server) shutdown(stopped func()) {
	s.draining.Store(true)
	close(s.stopping)
	select {
	case <-s.calls.close():
	case <-time.After(s.cfg.DrainTimeout):
		s.log.Warn("shutdown: calls still in progress after the drain timeout")
	}
	// sipgo handles each datagram on its own goroutine, which it does not
	// let us wait for; one that finds its socket already gone opens a new
	// one, which nothing would close. So first stop passing datagrams on,
	// give those already read a moment, then close.
	s.quiet.Store(true)
	time.Sleep(quietPeriod)
	s.closeSockets()
	stopped()
	s.srv.Close()
	s.ua.Close()
}

// quietPeriod is how long shutdown lets requests already read finish.
const quietPeriod = 20 * time.Millisecond

func (s *Server) closeSockets() {
	for _, so := range s.sockets {
		so.close()
	}
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// Start builds a server from cfg and serves it in the background; stop
// shuts it down (draining as Serve does) and returns Serve's error.
func Start(cfg Config) (srv *Server, stop func() error, err error) {
	if srv, err = New(cfg); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	return srv, func() error { cancel(); return <-served }, nil
}
