// Package uatx is a lean SIP transaction layer (RFC 3261 §17 with RFC
// 6026's Accepted states) for UDP sockets that carry many transactions:
// the simulated user agents of a fleet, and the proxy and registrar of
// `ocmsim serve`. One reader parses every datagram and matches it to its
// transaction in place: no goroutine, state machine or timer per message,
// which is much of what sipgo's own layer costs.
//
// Its transactions satisfy sipgo's sip.ServerTransaction and
// sip.ClientTransaction, and a Layer is a sipgo.ClientTransactionRequester:
// set it as a sipgo.Client's TxRequester and the client still builds
// requests and answers digest challenges, while the Layer sends them and
// runs their transactions. Timers are sipgo's (sip.T1, sip.Timer_D, ...),
// read when a transaction starts.
package uatx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// Handler gets every request that starts a server transaction, on the
// reader goroutine: it must not block. For an ACK that matched no
// transaction (the ACK of a 2xx) tx is nil. A handler that goes on with
// the request elsewhere calls tx.Release when it is done with it.
type Handler func(req *sip.Request, tx *ServerTx)

// Layer runs the transactions of one UDP socket.
type Layer struct {
	conn   net.PacketConn
	handle Handler
	stray  func(*sip.Response)
	log    *slog.Logger
	parser *sip.Parser

	lingering *sweeper

	mu      sync.Mutex
	closed  bool
	servers map[txKey]*ServerTx
	clients map[txKey]*ClientTx
	addrs   map[string]net.Addr // resolved destinations
}

// txKey matches a message to its transaction: the top Via branch and the
// method (INVITE for an ACK of a non-2xx; the CSeq method for responses).
type txKey struct {
	branch string
	method sip.RequestMethod
}

// ErrClosed is returned by requests sent on a closed Layer.
var ErrClosed = errors.New("uatx: layer closed")

// Option changes a Layer New makes.
type Option func(*Layer)

// WithParser parses datagrams with p (sipgo's default parser otherwise).
func WithParser(p *sip.Parser) Option { return func(l *Layer) { l.parser = p } }

// New makes a Layer over conn. handle gets new requests; stray gets the
// responses no client transaction matched (a 2xx of a fork race after
// the INVITE transaction ended); it may be nil. Call Serve to read.
func New(conn net.PacketConn, handle Handler, stray func(*sip.Response), log *slog.Logger, opts ...Option) *Layer {
	if log == nil {
		log = slog.Default()
	}
	if stray == nil {
		stray = func(*sip.Response) {}
	}
	l := &Layer{conn: conn, handle: handle, stray: stray, log: log, parser: sip.NewParser(), lingering: newSweeper(),
		servers: map[txKey]*ServerTx{}, clients: map[txKey]*ClientTx{}, addrs: map[string]net.Addr{}}
	for _, o := range opts {
		o(l)
	}
	return l
}

// WriteResponse sends res statelessly, outside any transaction, to its
// destination (set, else its top Via's received/rport or sent-by): a
// proxy relaying a late 2xx.
func (l *Layer) WriteResponse(res *sip.Response) error {
	dst, err := l.resolve(res.Destination())
	if err != nil {
		return err
	}
	return l.write(res, dst)
}

// Serve reads and dispatches datagrams until the socket is closed; then it
// terminates every transaction and returns nil.
func (l *Layer) Serve() error {
	stop := make(chan struct{})
	defer close(stop)
	go l.lingering.run(stop)
	buf := make([]byte, 65535)
	for {
		n, src, err := l.conn.ReadFrom(buf)
		if err != nil {
			l.close()
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("uatx: read: %w", err)
		}
		l.receive(buf[:n], src)
	}
}

// close terminates every transaction; later requests fail with ErrClosed.
func (l *Layer) close() {
	l.mu.Lock()
	l.closed = true
	servers := make([]*ServerTx, 0, len(l.servers))
	for _, tx := range l.servers {
		servers = append(servers, tx)
	}
	clients := make([]*ClientTx, 0, len(l.clients))
	for _, tx := range l.clients {
		clients = append(clients, tx)
	}
	l.mu.Unlock()
	for _, tx := range servers {
		tx.terminate(sip.ErrTransactionTerminated)
	}
	for _, tx := range clients {
		tx.terminate(sip.ErrTransactionTerminated)
	}
}

// receive parses one datagram and hands it to its transaction.
func (l *Layer) receive(data []byte, src net.Addr) {
	if len(bytes.TrimSpace(data)) == 0 {
		return // keep-alive
	}
	msg, err := l.parser.ParseSIP(data)
	if err != nil {
		l.log.Debug("uatx: dropped an unparsable datagram", "from", src.String(), "error", err)
		return
	}
	msg.SetTransport("UDP")
	switch m := msg.(type) {
	case *sip.Request:
		m.SetSource(src.String()) // responses built from it go back there
		l.onRequest(m, src)
	case *sip.Response:
		l.onResponse(m)
	}
}

func (l *Layer) onRequest(req *sip.Request, src net.Addr) {
	key, ok := requestKey(req)
	if !ok {
		l.log.Debug("uatx: dropped a request without Via or CSeq", "from", src.String(), "method", req.Method.String())
		return
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	switch req.Method {
	case sip.ACK:
		inv := l.servers[txKey{key.branch, sip.INVITE}]
		l.mu.Unlock()
		if inv == nil || !inv.acked() {
			l.handle(req, nil) // the ACK of a 2xx: a request of its own
		}
		return
	case sip.CANCEL:
		if inv := l.servers[txKey{key.branch, sip.INVITE}]; inv != nil && l.servers[key] == nil {
			tx := newServerTx(l, key, req, src)
			l.servers[key] = tx
			l.mu.Unlock()
			inv.cancel(tx)
			return
		}
	}
	if tx := l.servers[key]; tx != nil {
		l.mu.Unlock()
		tx.retransmitted()
		return
	}
	tx := newServerTx(l, key, req, src)
	l.servers[key] = tx
	l.mu.Unlock()
	l.handle(req, tx)
}

func (l *Layer) onResponse(res *sip.Response) {
	via, cseq := res.Via(), res.CSeq()
	if via == nil || cseq == nil {
		return
	}
	branch, _ := via.Params.Get("branch")
	l.mu.Lock()
	tx := l.clients[txKey{branch, cseq.MethodName}]
	l.mu.Unlock()
	if tx == nil {
		l.stray(res)
		return
	}
	tx.receive(res)
}

// requestKey is the server transaction key of req (RFC 3261 §17.2.3); for
// a request without an RFC 3261 branch, the Call-ID, CSeq and From tag
// stand in for it.
func requestKey(req *sip.Request) (txKey, bool) {
	via, cseq := req.Via(), req.CSeq()
	if via == nil || cseq == nil {
		return txKey{}, false
	}
	branch, _ := via.Params.Get("branch")
	if !strings.HasPrefix(branch, sip.RFC3261BranchMagicCookie) {
		var from string
		if f := req.From(); f != nil {
			from, _ = f.Params.Get("tag")
		}
		cid := ""
		if c := req.CallID(); c != nil {
			cid = string(*c)
		}
		branch = fmt.Sprintf("%s|%s|%d|%s|%s", branch, cid, cseq.SeqNo, from, via.Host)
	}
	return txKey{branch, req.Method}, true
}

// Request sends req and runs its client transaction: sipgo.Client calls it
// once it has built the request. An ACK is only sent (no transaction, nil).
func (l *Layer) Request(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dst, err := l.resolve(req.Destination())
	if err != nil {
		return nil, err
	}
	if req.IsAck() {
		return nil, l.write(req, dst)
	}
	via := req.Via()
	if via == nil {
		return nil, errors.New("uatx: request without Via")
	}
	branch, _ := via.Params.Get("branch")
	key := txKey{branch, req.Method}
	tx := newClientTx(l, key, req, dst)
	tx.deliver, _ = ctx.Value(deliveryKey{}).(Delivery)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	if l.clients[key] != nil {
		l.mu.Unlock()
		return nil, fmt.Errorf("uatx: a transaction with branch %q is already running", branch)
	}
	l.clients[key] = tx
	l.mu.Unlock()
	if err := tx.start(); err != nil {
		return nil, err
	}
	return tx, nil
}

// resolve turns a "host:port" destination into an address, once.
func (l *Layer) resolve(hostport string) (net.Addr, error) {
	l.mu.Lock()
	a, ok := l.addrs[hostport]
	l.mu.Unlock()
	if ok {
		return a, nil
	}
	ua, err := net.ResolveUDPAddr("udp", hostport)
	if err != nil {
		return nil, fmt.Errorf("uatx: destination %q: %w", hostport, err)
	}
	l.mu.Lock()
	if len(l.addrs) < maxResolved {
		l.addrs[hostport] = ua
	}
	l.mu.Unlock()
	return ua, nil
}

// maxResolved bounds the cache of resolved destinations (a proxy sends
// to every registered device).
const maxResolved = 1 << 17

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// write sends one message to dst.
func (l *Layer) write(msg sip.Message, dst net.Addr) error {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	msg.StringWrite(buf)
	err := l.send(buf.Bytes(), dst)
	buffers.Put(buf)
	return err
}

// encode is msg on the wire, kept for retransmissions: the caller may
// change msg once sent (sipgo's digest answer reuses the request).
func encode(msg sip.Message) []byte {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	msg.StringWrite(buf)
	b := bytes.Clone(buf.Bytes())
	buffers.Put(buf)
	return b
}

// send sends one datagram to dst.
func (l *Layer) send(b []byte, dst net.Addr) error {
	if _, err := l.conn.WriteTo(b, dst); err != nil {
		return fmt.Errorf("uatx: send to %s: %w", dst, err)
	}
	return nil
}

func (l *Layer) forgetServer(tx *ServerTx) {
	l.mu.Lock()
	if l.servers[tx.key] == tx {
		delete(l.servers, tx.key)
	}
	l.mu.Unlock()
}

func (l *Layer) forgetClient(tx *ClientTx) {
	l.mu.Lock()
	if l.clients[tx.key] == tx {
		delete(l.clients, tx.key)
	}
	l.mu.Unlock()
}
