package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"ocmsim/internal/metrics"
	"ocmsim/scenarios"
	"ocmsim/sip/proxy"
)

// waitFor bounds every wait of a test.
const waitFor = 3 * time.Second

func TestMain(m *testing.M) {
	// sipgo's timers are process-wide: shrink them for the whole package.
	sip.SetTimers(10*time.Millisecond, 40*time.Millisecond, 50*time.Millisecond)
	sip.Timer_D = 100 * time.Millisecond
	// Every 100 Trying a test sees comes from the proxy, not from sipgo.
	sip.Timer_1xx = time.Minute
	sip.SetDefaultLogger(testLogger())
	sip.SIPDebug = os.Getenv("SERVER_DEBUG") == "sip"
	goleak.VerifyTestMain(m)
}

func testLogger() *slog.Logger {
	if os.Getenv("SERVER_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Numbers and devices of testdata/tenant.yaml.
const (
	annNumber       = "+14255550100" // NativeFirst
	benNumber       = "+14255550101" // TeamsFirst
	suspendedNumber = "+16045550100"
	portingNumber   = "+14255550150"
	unassigned      = "+14255550199"
	unknownNumber   = "+14255550999"
	outsideNumber   = "+12065551234"
	password        = "secret"
)

// tenantFile loads testdata/tenant.yaml.
func tenantFile(tb testing.TB) *scenarios.File {
	tb.Helper()
	data, err := os.ReadFile("testdata/tenant.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	f, err := scenarios.Parse("testdata/tenant.yaml", data)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// testServer is a Server serving on 127.0.0.1 UDP port 0.
type testServer struct {
	*Server
	addr   string
	m      *metrics.Metrics
	reg    *prometheus.Registry
	calls  chan proxy.CallRecord
	stop   context.CancelFunc
	served chan error // Serve's result
}

// startServer serves the test tenant until the test ends; tweak adjusts
// the config first.
func startServer(tb testing.TB, tweak ...func(*Config)) *testServer {
	tb.Helper()
	reg := prometheus.NewRegistry()
	ts := &testServer{m: metrics.New(reg), reg: reg, calls: make(chan proxy.CallRecord, 64), served: make(chan error, 1)}
	f := tenantFile(tb)
	psaps, err := f.Tenant.PSAPDirectory()
	if err != nil {
		tb.Fatal(err)
	}
	cfg := Config{
		Directory:    f.Directory,
		PSAPs:        psaps,
		Listen:       []Listen{{"udp", "127.0.0.1:0"}},
		Metrics:      ts.m,
		Observer:     callObserver(ts.calls),
		Logger:       testLogger(),
		DrainTimeout: 2 * time.Second,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts.Server, ts.addr = srv, srv.Addr("udp")
	ctx, cancel := context.WithCancel(context.Background())
	ts.stop = cancel
	go func() { ts.served <- srv.Serve(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-ts.served:
			if err != nil {
				tb.Errorf("Serve: %v", err)
			}
			ts.served <- err // for a test that reads it after cleanup
		case <-time.After(cfg.DrainTimeout + waitFor):
			tb.Errorf("Serve did not return")
		}
	})
	return ts
}

// waitCall returns the next call the proxy finished.
func (ts *testServer) waitCall(tb testing.TB) proxy.CallRecord {
	tb.Helper()
	select {
	case rec := <-ts.calls:
		return rec
	case <-time.After(waitFor):
		tb.Fatalf("no call ended within %v", waitFor)
		return proxy.CallRecord{}
	}
}

// uri is a Request-URI for user at the server.
func (ts *testServer) uri(user string) sip.Uri {
	host, port := splitHostPort(ts.addr)
	return sip.Uri{Scheme: "sip", User: user, Host: host, Port: port}
}

type callObserver chan proxy.CallRecord

func (callObserver) BranchEnded(string, proxy.BranchRecord) {}

func (o callObserver) CallEnded(rec proxy.CallRecord) {
	select {
	case o <- rec:
	default:
	}
}

func splitHostPort(addr string) (string, int) {
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		panic(err)
	}
	return a.IP.String(), a.Port
}

// phone is a sipgo user agent on its own loopback socket: a device of the
// tenant, the PSTN side of the trunk or the outbound trunk. It answers
// what the test tells it to.
type phone struct {
	name      string
	transport string // "udp" or "tcp": how it listens, registers and dials
	ua        *sipgo.UserAgent
	client    *sipgo.Client
	addr      string
	port      int

	invites chan *incoming    // initial INVITEs, after the 180 went out
	acks    chan *sip.Request // ACKs for 2xx
	byes    chan *sip.Request // BYEs (answered 200)
	cancels chan *sip.Request // CANCELs of INVITEs (sipgo answers them)

	mu       sync.Mutex
	closing  chan struct{}     // closed first on cleanup: ringing INVITEs end
	settling []<-chan struct{} // INVITEs ended by a non-2xx: their tx's Done
}

// incoming is an INVITE the phone rings for; send a final status on answer.
type incoming struct {
	req       *sip.Request
	answer    chan int
	cancelled chan struct{}
}

// respond answers the INVITE with code (200 answers the call).
func (in *incoming) respond(code int) { in.answer <- code }

func newPhone(tb testing.TB, name string) *phone { return newPhoneOn(tb, name, "udp") }

// newPhoneOn is newPhone on transport "udp" or "tcp": a TCP phone listens
// on a TCP socket, registers and dials over TCP (on a connection its client
// opens, which the server reuses towards it) and says transport=tcp in its
// Contact.
func newPhoneOn(tb testing.TB, name, transport string) *phone {
	tb.Helper()
	var (
		laddr       net.Addr
		serve       func(*sipgo.Server) error
		closeSocket func() error
	)
	switch transport {
	case "udp":
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		laddr, closeSocket = conn.LocalAddr(), conn.Close
		serve = func(srv *sipgo.Server) error { return srv.ServeUDP(conn) }
	case "tcp":
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		laddr, closeSocket = l.Addr(), l.Close
		serve = func(srv *sipgo.Server) error { return srv.ServeTCP(l) }
	default:
		tb.Fatalf("transport %q", transport)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		tb.Fatal(err)
	}
	// The client opens its own socket on first use: sharing the listening
	// one would race ServeUDP's asynchronous registration of it.
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		tb.Fatal(err)
	}
	_, port := splitHostPort(laddr.String())
	p := &phone{name: name, transport: transport, ua: ua, client: client, addr: laddr.String(), port: port,
		invites: make(chan *incoming, 16), acks: make(chan *sip.Request, 16),
		byes: make(chan *sip.Request, 16), cancels: make(chan *sip.Request, 16), closing: make(chan struct{})}
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, _ sip.ServerTransaction) { p.acks <- req })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		p.byes <- req
	})
	done := make(chan struct{})
	go func() { defer close(done); _ = serve(srv) }()
	tb.Cleanup(func() {
		// A cancelled or refused INVITE's transaction still absorbs the
		// ACK of its final response; closing under it would make sipgo
		// open a new socket, after ua.Close, for what it handles late.
		p.mu.Lock()
		close(p.closing)
		settling := p.settling
		p.mu.Unlock()
		for _, done := range settling {
			<-done
		}
		closeSocket()
		<-done
		ua.Close()
	})
	return p
}

func (p *phone) contact() sip.Uri {
	u := sip.Uri{Scheme: "sip", User: p.name, Host: "127.0.0.1", Port: p.port}
	if p.transport == "tcp" {
		u.UriParams = sip.HeaderParams{{K: "transport", V: "tcp"}}
	}
	return u
}

// serverAddr is the server's address on the phone's transport.
func (p *phone) serverAddr(ts *testServer) string {
	if p.transport == "tcp" {
		return ts.Addr("tcp")
	}
	return ts.addr
}

func (p *phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.To().Params.Has("tag") { // re-INVITE
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		return
	}
	in := &incoming{req: req, answer: make(chan int, 1), cancelled: make(chan struct{})}
	tx.OnCancel(func(r *sip.Request) {
		close(in.cancelled)
		p.cancels <- r
	})
	tag := sip.GenerateTagN(8)
	respond := func(code int, reason string) {
		res := sip.NewResponseFromRequest(req, code, reason, nil)
		res.To().Params.Add("tag", tag)
		if code < 300 {
			res.AppendHeader(&sip.ContactHeader{Address: p.contact()})
		}
		_ = tx.Respond(res)
	}
	respond(180, "Ringing")
	p.invites <- in
	select {
	case code := <-in.answer:
		respond(code, "Test")
		if code < 300 {
			return
		}
	case <-in.cancelled:
	case <-tx.Done():
	case <-p.closing:
		return
	}
	p.mu.Lock()
	select {
	case <-p.closing:
	default:
		p.settling = append(p.settling, tx.Done()) // the ACK, then Timer I; or Timer H
	}
	p.mu.Unlock()
}

// ringing returns the next INVITE the phone received.
func (p *phone) ringing(tb testing.TB) *incoming {
	tb.Helper()
	select {
	case in := <-p.invites:
		return in
	case <-time.After(waitFor):
		tb.Fatalf("%s: no INVITE within %v", p.name, waitFor)
		return nil
	}
}

// silent checks that the phone got no INVITE so far.
func (p *phone) silent(tb testing.TB) {
	tb.Helper()
	select {
	case in := <-p.invites:
		tb.Errorf("%s rang: %s", p.name, in.req.StartLine())
	default:
	}
}

// next returns the next request from ch.
func next(tb testing.TB, name, what string, ch chan *sip.Request) *sip.Request {
	tb.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitFor):
		tb.Fatalf("%s: no %s within %v", name, what, waitFor)
		return nil
	}
}

func ctxFor(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	tb.Cleanup(cancel)
	return ctx
}

// registerRequest is a REGISTER for the phone's device with contacts (its
// own address when none).
func (p *phone) registerRequest(ts *testServer, user string, contacts ...string) *sip.Request {
	host, port := splitHostPort(p.serverAddr(ts))
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	if p.transport == "tcp" {
		req.SetTransport("TCP")
	}
	aor := sip.Uri{Scheme: "sip", User: user, Host: "ocm.test"}
	from := &sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	if len(contacts) == 0 {
		c := p.contact()
		contacts = []string{"<" + c.String() + ">"}
	}
	for _, c := range contacts {
		req.AppendHeader(sip.NewHeader("Contact", c))
	}
	return req
}

// register registers the phone as device user with password and returns
// the first and the final response.
func (p *phone) register(tb testing.TB, ts *testServer, user, pass string, contacts ...string) (challenge, final *sip.Response) {
	tb.Helper()
	req := p.registerRequest(ts, user, contacts...)
	res, err := p.client.Do(ctxFor(tb), req)
	if err != nil {
		tb.Fatalf("%s: REGISTER: %v", p.name, err)
	}
	if res.StatusCode != 401 {
		return res, res
	}
	final, err = p.client.DoDigestAuth(ctxFor(tb), req, res, sipgo.DigestAuth{Username: user, Password: pass})
	if err != nil {
		tb.Fatalf("%s: REGISTER with credentials: %v", p.name, err)
	}
	return res, final
}

// passwords are the devices' own passwords in testdata/tenant.yaml.
var passwords = map[string]string{"ann-desk": "desk-secret"}

// passwordOf is a test device's digest password.
func passwordOf(device string) string {
	if p, ok := passwords[device]; ok {
		return p
	}
	return password
}

// mustRegister registers the phone as the device it is named after.
func (p *phone) mustRegister(tb testing.TB, ts *testServer) {
	tb.Helper()
	if _, res := p.register(tb, ts, p.name, passwordOf(p.name)); res.StatusCode != 200 {
		tb.Fatalf("%s: REGISTER: %d %s", p.name, res.StatusCode, res.Reason)
	}
}

// call is a call placed by a phone through the server.
type call struct {
	sess     *sipgo.DialogClientSession
	statuses chan int // every response status, in order
	err      chan error
	cancel   context.CancelFunc // cancelling a ringing call sends CANCEL
}

// dial sends an INVITE to the server for user (a number or a user name)
// with From fromUser; creds (username, password) answer a 407. It returns
// at once; wait with final.
func (p *phone) dial(tb testing.TB, ts *testServer, fromUser, user string, creds ...string) *call {
	tb.Helper()
	return p.dialTo(tb, ts, fromUser, ts.uri(user), creds...)
}

// dialTo is dial with any Request-URI, sent to the server's address.
func (p *phone) dialTo(tb testing.TB, ts *testServer, fromUser string, uri sip.Uri, creds ...string) *call {
	tb.Helper()
	return p.dialWith(tb, ts, fromUser, uri, nil, creds...)
}

// dialWith is dialTo with tweak applied to the INVITE before it is sent.
func (p *phone) dialWith(tb testing.TB, ts *testServer, fromUser string, uri sip.Uri, tweak func(*sip.Request), creds ...string) *call {
	tb.Helper()
	dua := sipgo.DialogUA{Client: p.client, ContactHDR: sip.ContactHeader{Address: p.contact()}}
	req := sip.NewRequest(sip.INVITE, uri)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser, Host: "ocm.test"}}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.SetDestination(p.serverAddr(ts))
	if p.transport == "tcp" {
		req.SetTransport("TCP")
	}
	if tweak != nil {
		tweak(req)
	}
	sess, err := dua.WriteInvite(context.Background(), req)
	if err != nil {
		tb.Fatalf("%s: INVITE: %v", p.name, err)
	}
	c := &call{sess: sess, statuses: make(chan int, 32), err: make(chan error, 1)}
	opts := sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		c.statuses <- res.StatusCode
		return nil
	}}
	if len(creds) == 2 {
		opts.Username, opts.Password = creds[0], creds[1]
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	tb.Cleanup(func() { cancel(); <-c.err; sess.Close() })
	go func() { c.err <- sess.WaitAnswer(ctx, opts) }()
	return c
}

// final waits for the call's final response and returns it (nil on a
// transport error).
func (c *call) final(tb testing.TB) *sip.Response {
	tb.Helper()
	select {
	case err := <-c.err:
		c.err <- err // for cleanup
		var de *sipgo.ErrDialogResponse
		switch {
		case err == nil:
			return c.sess.InviteResponse
		case errors.As(err, &de):
			return de.Res
		}
		tb.Fatalf("INVITE: %v", err)
	case <-time.After(waitFor):
		tb.Fatalf("no final response within %v", waitFor)
	}
	return nil
}

// seen returns the statuses received so far.
func (c *call) seen() []int {
	var out []int
	for {
		select {
		case s := <-c.statuses:
			out = append(out, s)
		default:
			return out
		}
	}
}

func header(m interface{ GetHeader(string) sip.Header }, name string) string {
	if h := m.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}
