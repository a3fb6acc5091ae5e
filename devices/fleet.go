package devices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/rxstamp"
	"ocmsim/internal/uatx"
)

// Config is what NewFleet needs. Only Proxy is required.
type Config struct {
	// Proxy is the "host:port" (UDP) of the registrar and proxy.
	Proxy string
	// Domain is the host of the devices' AORs and of the REGISTER
	// Request-URI (the tenant's SIP domain); default: Proxy's host.
	Domain string
	// Listen is the local UDP address; default "127.0.0.1:0". Use a
	// concrete IP: it is the host of every Contact and Via.
	Listen string
	// Expires is the registration lifetime asked for; default 3600 s.
	Expires time.Duration
	// RefreshAfter says when to refresh a registration the registrar
	// granted for granted; default granted/2. Tests inject a short one.
	RefreshAfter func(granted time.Duration) time.Duration
	// OnEvent, when set, is called after every event is journaled, on the
	// goroutine that recorded it; it must not block.
	OnEvent func(Event)
	// DiscardEvents keeps no journal: events only reach OnEvent, and Wait,
	// Events, Call.Wait and Call.Events see none. Load tests set it (the
	// journal cost ~7 % of the generator's CPU); late events of forgotten
	// calls are still dropped.
	DiscardEvents bool
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now; it stamps events.
	Now func() time.Time
}

// ErrClosed is returned by operations on a closed fleet.
var ErrClosed = errors.New("devices: fleet closed")

// ErrUnknownDevice is returned for a device id the fleet does not hold.
var ErrUnknownDevice = errors.New("devices: unknown device")

// Fleet is a set of simulated devices and callers sharing one UDP socket
// and one lean transaction layer (uatx; sipgo's client builds requests).
// Requests are dispatched to devices by the Request-URI user (the
// device's username); everything else belongs to the calls placed with
// Dial. It is safe for concurrent use.
type Fleet struct {
	cfg    Config
	log    *slog.Logger
	conn   *countingConn
	ua     *sipgo.UserAgent
	layer  *uatx.Layer
	client *sipgo.Client
	addr   string // local "ip:port"
	host   string
	port   int
	proxy  sip.Uri // host and port of Config.Proxy
	domain string
	events *journal
	served chan struct{}

	// life ends when Close starts; every background operation derives
	// from it.
	life context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	closed  bool
	wg      sync.WaitGroup // handlers and background goroutines
	devices map[string]*device
	byUser  map[string]*device
	calls   map[string]*Call // by Call-ID
}

// NewFleet opens the socket and starts serving it.
func NewFleet(cfg Config) (*Fleet, error) {
	host, port, err := sip.ParseAddr(cfg.Proxy)
	if err != nil || port == 0 {
		return nil, fmt.Errorf("devices: proxy address %q: want host:port", cfg.Proxy)
	}
	f := &Fleet{cfg: cfg, log: cfg.Logger, proxy: sip.Uri{Scheme: "sip", Host: host, Port: port},
		domain: cfg.Domain, served: make(chan struct{}),
		devices: map[string]*device{}, byUser: map[string]*device{}, calls: map[string]*Call{}}
	if f.log == nil {
		f.log = slog.Default()
	}
	if f.domain == "" {
		f.domain = host
	}
	if f.cfg.Listen == "" {
		f.cfg.Listen = "127.0.0.1:0"
	}
	if f.cfg.Expires <= 0 {
		f.cfg.Expires = time.Hour
	}
	f.events = newJournal(cfg.OnEvent, cfg.DiscardEvents)
	if err := f.open(); err != nil {
		return nil, err
	}
	f.life, f.stop = context.WithCancel(context.Background())
	go func() {
		defer close(f.served)
		if err := f.layer.Serve(); err != nil {
			f.log.Error("devices: socket read failed", "addr", f.addr, "error", err)
		}
	}()
	return f, nil
}

func (f *Fleet) open() error {
	laddr, err := net.ResolveUDPAddr("udp", f.cfg.Listen)
	if err != nil {
		return fmt.Errorf("devices: listen address %q: %w", f.cfg.Listen, err)
	}
	conn, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return fmt.Errorf("devices: listen %q: %w", f.cfg.Listen, err)
	}
	// Thousands of devices answer in bursts: the default buffer drops them.
	_ = conn.SetReadBuffer(4 << 20)
	f.conn = &countingConn{PacketConn: conn, sends: newSendLog(), reads: rxstamp.NewReader(conn)}
	ua := conn.LocalAddr().(*net.UDPAddr)
	f.addr, f.host, f.port = ua.String(), ua.IP.String(), ua.Port
	fail := func(err error) error { conn.Close(); return fmt.Errorf("devices: %w", err) }
	if f.ua, err = sipgo.NewUA(sipgo.WithUserAgent("ocmsim-devices"), sipgo.WithUserAgentHostname(f.host)); err != nil {
		return fail(err)
	}
	if f.client, err = sipgo.NewClient(f.ua, sipgo.WithClientAddr(f.addr), sipgo.WithClientLogger(f.log)); err != nil {
		f.ua.Close()
		return fail(err)
	}
	f.layer = uatx.New(f.conn, f.dispatch, f.onStrayResponse, f.log)
	f.client.TxRequester = f.layer
	return nil
}

// Addr returns the local "ip:port" every device and caller uses.
func (f *Fleet) Addr() string { return f.addr }

// Sent returns how many SIP messages the fleet sent so far, and how many
// of them were retransmissions.
func (f *Fleet) Sent() Sent { return f.conn.sends.counts() }

// ReceiveLag is how long the datagrams the fleet read had waited in its
// socket (empty where the system gives no receive times).
func (f *Fleet) ReceiveLag() ReceiveLag { return f.conn.lag.snapshot() }

// Add adds a device. Register it (or RegisterAll) to make it reachable.
func (f *Fleet) Add(s Spec) error {
	if s.ID == "" {
		return errors.New("devices: a device needs an id")
	}
	if s.Username == "" {
		s.Username = s.ID
	}
	d := newDevice(f, s)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	if _, dup := f.devices[s.ID]; dup {
		return fmt.Errorf("devices: device %q added twice", s.ID)
	}
	if _, dup := f.byUser[s.Username]; dup {
		return fmt.Errorf("devices: username %q of device %q is already taken", s.Username, s.ID)
	}
	f.devices[s.ID], f.byUser[s.Username] = d, d
	return nil
}

// IDs returns the ids of the devices, in no particular order.
func (f *Fleet) IDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.devices))
	for id := range f.devices {
		out = append(out, id)
	}
	return out
}

func (f *Fleet) device(id string) (*device, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	d, ok := f.devices[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownDevice, id)
	}
	return d, nil
}

func (f *Fleet) byUsername(user string) *device {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byUser[user]
}

// Wait returns the first event of the journal that matches m, waiting
// for it until ctx is done. Events already recorded count.
func (f *Fleet) Wait(ctx context.Context, m Match) (Event, error) { return f.events.wait(ctx, "", m) }

// Events returns the recorded events that match m (all when m is nil), in
// the order they happened.
func (f *Fleet) Events(m Match) []Event { return f.events.filter("", m) }

// Forget drops a finished call and its events (long load runs): a 2xx
// retransmitted later is no longer ACKed, and a Wait for all events
// running meanwhile may miss some.
func (f *Fleet) Forget(callID string) {
	f.events.forget(callID)
	f.mu.Lock()
	c := f.calls[callID]
	delete(f.calls, callID)
	f.mu.Unlock()
	if c != nil {
		c.release()
	}
}

func (f *Fleet) record(e Event) {
	if e.At.IsZero() {
		e.At = f.now()
	}
	f.events.add(e)
}

func (f *Fleet) now() time.Time {
	if f.cfg.Now != nil {
		return f.cfg.Now()
	}
	return time.Now()
}

// begin starts a public operation: Close cancels its context and waits
// for it. Call done when the operation returns.
func (f *Fleet) begin(ctx context.Context) (_ context.Context, done func(), _ error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, nil, ErrClosed
	}
	f.wg.Add(1)
	f.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(f.life, cancel)
	return ctx, func() { stop(); cancel(); f.wg.Done() }, nil
}

// spawn runs fn on a goroutine Close waits for; false once closed.
func (f *Fleet) spawn(fn func()) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.wg.Add(1)
	go func() { defer f.wg.Done(); fn() }()
	return true
}

// dispatch hands a new request to its handler. INVITE and BYE run on a
// goroutine Close waits for (a call lasts; a BYE stops media); the others
// are answered on the reader goroutine.
func (f *Fleet) dispatch(req *sip.Request, tx *uatx.ServerTx) {
	var h func(*sip.Request, *uatx.ServerTx)
	switch req.Method {
	case sip.INVITE:
		h = f.onInvite
	case sip.BYE:
		h = f.onBye
	case sip.ACK:
		f.onAck(req)
		return
	case sip.CANCEL: // one that matched no INVITE
		respond(tx, 481, "Call/Transaction Does Not Exist")
		return
	case sip.OPTIONS:
		respond(tx, 200, "OK")
		return
	default:
		_, _ = tx.Reply(uatx.Reply{Code: 405, Reason: "Method Not Allowed",
			Headers: []sip.Header{sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS")}})
		return
	}
	if !f.spawn(func() { defer tx.Release(); h(req, tx) }) {
		tx.Release()
	}
}

func (f *Fleet) onInvite(req *sip.Request, tx *uatx.ServerTx) {
	d := f.byUsername(req.Recipient.User)
	if d == nil {
		respond(tx, 404, "Not Found")
		return
	}
	if req.To().Params.Has("tag") {
		d.onReinvite(req, tx)
		return
	}
	d.onInvite(req, tx)
}

func (f *Fleet) onAck(req *sip.Request) {
	if d := f.byUsername(req.Recipient.User); d != nil {
		d.onAck(req)
	}
}

func (f *Fleet) onBye(req *sip.Request, tx *uatx.ServerTx) {
	if d := f.byUsername(req.Recipient.User); d != nil && d.onBye(req, tx) {
		return
	}
	if c := f.call(callID(req)); c != nil && c.onBye(req, tx) {
		return
	}
	respond(tx, 481, "Call/Transaction Does Not Exist")
}

// onStrayResponse gets responses no client transaction matched: 2xx of a
// fork race that came after the INVITE transaction ended.
func (f *Fleet) onStrayResponse(res *sip.Response) {
	if c := f.call(callID(res)); c != nil {
		c.onResponse(res)
	}
}

func (f *Fleet) call(id string) *Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

func respond(tx *uatx.ServerTx, code int, reason string) {
	_, _ = tx.Reply(uatx.Reply{Code: code, Reason: reason})
}

func callID(m interface{ CallID() *sip.CallIDHeader }) string {
	if h := m.CallID(); h != nil {
		return string(*h)
	}
	return ""
}

func tagOf(params sip.HeaderParams) string {
	t, _ := params.Get("tag")
	return t
}
