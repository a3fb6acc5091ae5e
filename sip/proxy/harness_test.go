package proxy

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"
)

const waitFor = 3 * time.Second

func TestMain(m *testing.M) {
	// sipgo's timers are process-wide: shrink them for the whole package.
	sip.SetTimers(10*time.Millisecond, 40*time.Millisecond, 50*time.Millisecond)
	sip.Timer_D = 100 * time.Millisecond
	// Any 100 Trying a test sees must come from the proxy, not sipgo.
	sip.Timer_1xx = time.Minute
	level := slog.LevelError + 4
	if os.Getenv("PROXY_DEBUG") != "" {
		level = slog.LevelDebug
	}
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	goleak.VerifyTestMain(m)
}

func testLogger() *slog.Logger {
	if os.Getenv("PROXY_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// node is a sipgo UA serving its own loopback UDP socket.
type node struct {
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	conn   net.PacketConn
	addr   string
	port   int
}

func newNode(tb testing.TB, opts ...sipgo.UserAgentOption) *node {
	tb.Helper()
	conn, err := ListenUDP("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ua, err := sipgo.NewUA(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		tb.Fatal(err)
	}
	addr := conn.LocalAddr().String()
	client, err := NewClient(ua, addr)
	if err != nil {
		tb.Fatal(err)
	}
	return &node{ua: ua, srv: srv, client: client, conn: conn, addr: addr, port: conn.LocalAddr().(*net.UDPAddr).Port}
}

// serve starts reading; register handlers first.
func (n *node) serve(tb testing.TB) {
	done := make(chan struct{})
	go func() { defer close(done); _ = n.srv.ServeUDP(n.conn) }()
	// sipgo registers the socket asynchronously; a request sent before that
	// would try to bind the same address again.
	for {
		if c, err := n.ua.TransportLayer().GetConnection("udp", n.addr); err == nil && c != nil {
			c.TryClose()
			break
		}
		time.Sleep(time.Millisecond)
	}
	tb.Cleanup(func() {
		// A datagram read just before the socket closed is handled on its
		// own goroutine; finding the listener gone from the pool, sipgo opens
		// a new socket for the reply. Give those goroutines a moment so that
		// ua.Close (which clears the pool) closes such sockets too.
		n.conn.Close()
		<-done
		time.Sleep(10 * time.Millisecond)
		n.ua.Close()
	})
}

func (n *node) uri(user string) sip.Uri {
	return sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: n.port}
}

// env is a proxy on loopback whose Observer feeds channels.
type env struct {
	*Proxy
	node     *node
	calls    chan CallRecord
	branches chan BranchRecord
}

type chanObserver struct {
	calls    chan CallRecord
	branches chan BranchRecord
}

func (o chanObserver) BranchEnded(_ string, br BranchRecord) {
	select {
	case o.branches <- br:
	default:
	}
}

func (o chanObserver) CallEnded(rec CallRecord) {
	select {
	case o.calls <- rec:
	default: // benchmarks do not read them
	}
}

// newTestProxy starts a proxy on loopback with loc and optional tweaks.
func newTestProxy(tb testing.TB, loc Locator, tweak ...func(*Proxy)) *env {
	tb.Helper()
	e := &env{Proxy: &Proxy{Locator: loc, Logger: testLogger()}, calls: make(chan CallRecord, 1024),
		branches: make(chan BranchRecord, 1024)}
	e.Observer = chanObserver{e.calls, e.branches}
	e.node = newNode(tb, sipgo.WithUserAgentTransactionLayerOptions(
		sip.WithTransactionLayerUnhandledResponseHandler(e.HandleUnmatchedResponse)))
	e.Client = e.node.client
	for _, f := range tweak {
		f(e.Proxy)
	}
	if err := e.Register(e.node.srv); err != nil {
		tb.Fatal(err)
	}
	e.node.serve(tb)
	return e
}

func (e *env) addr() string { return e.node.addr }

// waitCall returns the next call record the proxy finished.
func (e *env) waitCall(tb testing.TB) CallRecord {
	tb.Helper()
	select {
	case rec := <-e.calls:
		return rec
	case <-time.After(waitFor):
		tb.Fatalf("no call ended within %v", waitFor)
		return CallRecord{}
	}
}

// plans is a test Locator: Request-URI user → plan; unknown → 404.
type plans map[string]Plan

func (m plans) Locate(_ context.Context, req *sip.Request) Plan {
	if p, ok := m[req.Recipient.User]; ok {
		return p
	}
	return Plan{Refusal: &Refusal{Status: 404, Reason: "Number not found"}}
}

func toTag(m interface{ To() *sip.ToHeader }) string {
	tag, _ := m.To().Params.Get("tag")
	return tag
}

func header(m interface{ GetHeader(string) sip.Header }, name string) string {
	if h := m.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

func branchRec(tb testing.TB, rec CallRecord, device string) BranchRecord {
	tb.Helper()
	for _, b := range rec.Branches {
		if b.Device == device {
			return b
		}
	}
	tb.Fatalf("no branch %q in %+v", device, rec.Branches)
	return BranchRecord{}
}

func must(tb testing.TB, cond bool, format string, args ...any) {
	tb.Helper()
	if !cond {
		tb.Fatalf(format, args...)
	}
}
