package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	_ "ocmsim/internal/udpsize" // emergency INVITEs with PIDF-LO exceed 1,300 bytes
)

// CompletedElsewhere is the default Reason sent on the CANCELs of losing
// branches (RFC 3326).
const CompletedElsewhere = `SIP;cause=200;text="Call completed elsewhere"`

// Proxy is a stateful forking proxy. Set the fields, then call Register
// before serving; do not change them afterwards.
type Proxy struct {
	// Locator plans initial INVITEs. Nil answers every INVITE 404.
	Locator Locator
	// Client sends the forwarded requests. Required. Build it with NewClient
	// (or sipgo.WithClientAddr + sipgo.WithClientConnectionAddr on the
	// listening address) so Via and Record-Route carry the proxy's address.
	Client *sipgo.Client
	// Admit, when set, runs first on every initial INVITE; ok=false answers
	// res (403 when res is nil) and records nothing (e.g. a 407 challenge).
	Admit func(req *sip.Request) (ok bool, res *sip.Response)
	// Observer, when set, is told about every ended branch and call.
	Observer Observer
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// TimerC bounds how long a ringing branch may stay without a final
	// response (RFC 3261 §16.6 step 11). Default 3 minutes.
	TimerC time.Duration
	// CompletedElsewhere is the Reason header value on losing branches'
	// CANCELs. Default: the CompletedElsewhere constant.
	CompletedElsewhere string
	// RecentSize is how many CallRecords Recent keeps. Default 256.
	RecentSize int
	// Now defaults to time.Now.
	Now func() time.Time
	// OwnPorts are ports the proxy listens on besides sipgo's transport
	// layer's (UDP sockets served by another transaction layer): a Route
	// or Request-URI with the client's host and one of them is the proxy.
	OwnPorts []int
	// WriteResponse sends a response statelessly (a late 2xx relayed by
	// HandleUnmatchedResponse). Default: the server's WriteResponse.
	WriteResponse func(*sip.Response) error

	srv    *sipgo.Server
	recent ring
}

// ListenUDP opens a UDP socket with a 4 MiB receive buffer, so bursts of
// calls are not dropped by the kernel's default buffer; serve it with
// (*sipgo.Server).ServeUDP.
func ListenUDP(addr string) (*net.UDPConn, error) {
	laddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("resolve %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, fmt.Errorf("listen udp %q: %w", addr, err)
	}
	if err := conn.SetReadBuffer(4 << 20); err != nil {
		conn.Close()
		return nil, fmt.Errorf("set read buffer on %q: %w", addr, err)
	}
	return conn, nil
}

// NewClient returns a sipgo client that sends from, and advertises in Via
// and Record-Route, listenAddr ("ip:port" of the socket the server serves).
func NewClient(ua *sipgo.UserAgent, listenAddr string) (*sipgo.Client, error) {
	c, err := sipgo.NewClient(ua, sipgo.WithClientAddr(listenAddr), sipgo.WithClientConnectionAddr(listenAddr))
	if err != nil {
		return nil, fmt.Errorf("proxy client on %q: %w", listenAddr, err)
	}
	return c, nil
}

// Register installs the proxy's handlers on srv: INVITE, ACK, CANCEL, BYE,
// UPDATE, INFO, PRACK, REFER, MESSAGE, NOTIFY, SUBSCRIBE and OPTIONS.
func (p *Proxy) Register(srv *sipgo.Server) error {
	if p.Client == nil {
		return errors.New("proxy: Client is required")
	}
	p.srv = srv
	for _, m := range []sip.RequestMethod{sip.INVITE, sip.ACK, sip.CANCEL, sip.BYE, sip.UPDATE,
		sip.INFO, sip.PRACK, sip.REFER, sip.MESSAGE, sip.NOTIFY, sip.SUBSCRIBE, sip.OPTIONS} {
		srv.OnRequest(m, p.Handler(m))
	}
	return nil
}

// Handler returns the handler Register installs for method m, so a caller can wrap it.
func (p *Proxy) Handler(m sip.RequestMethod) sipgo.RequestHandler {
	switch m {
	case sip.INVITE:
		return p.handleInvite
	case sip.ACK:
		return p.handleAck
	case sip.CANCEL:
		return p.handleCancel
	}
	return p.handleRequest
}

// Recent returns up to n of the latest call records, newest first.
func (p *Proxy) Recent(n int) []CallRecord { return p.recent.last(n) }

// HandleUnmatchedResponse relays a 2xx to an INVITE that arrives after its
// client transaction is gone (RFC 3261 §16.7 step 5). Install it with
// sip.WithTransactionLayerUnhandledResponseHandler (or as a uatx Layer's
// stray handler, with WriteResponse set); other responses are dropped.
func (p *Proxy) HandleUnmatchedResponse(res *sip.Response) {
	cseq := res.CSeq()
	write := p.WriteResponse
	if write == nil && p.srv != nil {
		write = p.srv.WriteResponse
	}
	if write == nil || !res.IsSuccess() || cseq == nil || cseq.MethodName != sip.INVITE {
		return
	}
	if v := res.Via(); v == nil || !p.isSelf(v.Host, v.Port, v.Transport) {
		return
	}
	res.RemoveHeader("Via")
	next := res.Via()
	if next == nil {
		return
	}
	res.SetDestination("")
	res.SetTransport(strings.ToUpper(next.Transport)) // the caller's side, not the device's
	if err := write(res); err != nil {
		p.logger().Debug("relay unmatched 2xx", "call_id", callID(res), "error", err)
	}
}

func (p *Proxy) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

func (p *Proxy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Proxy) timerC() time.Duration {
	if p.TimerC > 0 {
		return p.TimerC
	}
	return 3 * time.Minute
}

func (p *Proxy) completedElsewhere() string {
	if p.CompletedElsewhere != "" {
		return p.CompletedElsewhere
	}
	return CompletedElsewhere
}

func (p *Proxy) recentSize() int {
	if p.RecentSize > 0 {
		return p.RecentSize
	}
	return 256
}

// isSelf reports whether host:port (as found in a Route or Via) is this proxy.
func (p *Proxy) isSelf(host string, port int, transport string) bool {
	if host == "" || host != p.Client.Hostname() {
		return false
	}
	if port == 0 {
		port = sip.DefaultPort(transport)
	}
	if slices.Contains(p.OwnPorts, port) {
		return true
	}
	tl := p.Client.TransportLayer()
	for _, network := range [...]string{"udp", "tcp", "tls", "ws", "wss"} {
		// ListenPorts locks; GetListenPort would race with a later Serve*.
		if slices.Contains(tl.ListenPorts(network), port) {
			return true
		}
	}
	return false
}

// callID is the Call-ID of msg or "".
func callID(msg interface{ CallID() *sip.CallIDHeader }) string {
	if h := msg.CallID(); h != nil {
		return h.Value()
	}
	return ""
}
