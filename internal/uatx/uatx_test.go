package uatx_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/uatx"
)

// The Layer is what a sipgo.Client takes as its TxRequester.
var _ sipgo.ClientTransactionRequester = (*uatx.Layer)(nil)

// wait bounds every wait for an event that must come.
const wait = 2 * time.Second

// TestMain shrinks sipgo's timers: T1 10ms, T2 40ms, T4 50ms, so Timer
// A/E/G start at 10ms and B/F/H are 640ms; the lingering timers (D, I, J,
// K, L, M) are 400ms: short, yet long enough for a test to act on a
// lingering transaction.
func TestMain(m *testing.M) {
	sip.SetTimers(10*time.Millisecond, 40*time.Millisecond, 50*time.Millisecond)
	linger := 400 * time.Millisecond
	sip.Timer_D, sip.Timer_I, sip.Timer_J = linger, linger, linger
	sip.Timer_K, sip.Timer_L, sip.Timer_M = linger, linger, linger
	// The tests mostly wait on timers, not the CPU: unless -parallel is
	// given, run them all at once rather than GOMAXPROCS at a time.
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "64")
	}
	os.Exit(m.Run())
}

// ---------------------------------------------------------------------
// Harness: a Layer on a loopback socket, and a raw UDP peer.

type call struct {
	req *sip.Request
	tx  *uatx.ServerTx
}

type harness struct {
	t      *testing.T
	l      *uatx.Layer
	conn   net.PacketConn
	addr   *net.UDPAddr
	calls  chan call
	strays chan *sip.Response

	once   sync.Once
	served chan error
	err    error
}

// newHarness starts a Layer on 127.0.0.1:0. Every request the Layer hands
// to its handler is first given to onReq (when not nil, on the reader
// goroutine), then queued on calls; stray responses are queued on strays.
func newHarness(t *testing.T, onReq func(*sip.Request, *uatx.ServerTx)) *harness {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, conn: conn, addr: conn.LocalAddr().(*net.UDPAddr),
		calls: make(chan call, 256), strays: make(chan *sip.Response, 256), served: make(chan error, 1)}
	handle := func(req *sip.Request, tx *uatx.ServerTx) {
		if onReq != nil {
			onReq(req, tx)
		}
		select {
		case h.calls <- call{req, tx}:
		default:
			t.Errorf("handler backlog full")
		}
	}
	stray := func(res *sip.Response) {
		select {
		case h.strays <- res:
		default:
			t.Errorf("stray backlog full")
		}
	}
	h.l = uatx.New(conn, handle, stray, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go func() { h.served <- h.l.Serve() }()
	t.Cleanup(func() {
		if err := h.close(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return h
}

// close closes the socket and returns what Serve returned.
func (h *harness) close() error {
	h.once.Do(func() {
		h.conn.Close()
		select {
		case h.err = <-h.served:
		case <-time.After(wait):
			h.err = errors.New("Serve did not return after the socket closed")
		}
	})
	return h.err
}

// nextCall waits for the handler's next request.
func (h *harness) nextCall() call {
	h.t.Helper()
	select {
	case c := <-h.calls:
		return c
	case <-time.After(wait):
		h.t.Fatal("the handler got no request")
		return call{}
	}
}

// noCall checks that the handler got nothing more (use after a sync point).
func (h *harness) noCall() {
	h.t.Helper()
	select {
	case c := <-h.calls:
		h.t.Fatalf("unexpected request at the handler: %s %v", c.req.Method, c.req.CSeq())
	default:
	}
}

// nextStray waits for the next stray response.
func (h *harness) nextStray() *sip.Response {
	h.t.Helper()
	select {
	case r := <-h.strays:
		return r
	case <-time.After(wait):
		h.t.Fatal("no stray response")
		return nil
	}
}

func (h *harness) noStray() {
	h.t.Helper()
	select {
	case r := <-h.strays:
		h.t.Fatalf("unexpected stray response: %d %v", r.StatusCode, r.CSeq())
	default:
	}
}

// sync sends an OPTIONS with a fresh branch from p and waits until the
// handler has it: every datagram p sent before has then been processed,
// and whatever the Layer sent in reply is already queued at p. The sync
// transaction is released.
func (h *harness) sync(p *peer) {
	h.t.Helper()
	r := sipReq{Method: "OPTIONS", Branch: "z9hG4bK-sync-" + sip.GenerateBranchN(8), CallID: "sync"}
	p.send(h.addr, r.text())
	c := h.nextCall()
	if c.req.CallID().Value() != "sync" {
		h.t.Fatalf("handler got %s %s before the sync request", c.req.Method, c.req.CallID().Value())
	}
	c.tx.Release()
}

type peer struct {
	t    *testing.T
	conn net.PacketConn
	addr *net.UDPAddr
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &peer{t: t, conn: conn, addr: conn.LocalAddr().(*net.UDPAddr)}
}

// send writes one datagram (text with \n line ends turned into CRLF).
func (p *peer) send(to net.Addr, text string) {
	p.t.Helper()
	p.sendRaw(to, []byte(crlf(text)))
}

func (p *peer) sendRaw(to net.Addr, b []byte) {
	p.t.Helper()
	if _, err := p.conn.WriteTo(b, to); err != nil {
		p.t.Fatal(err)
	}
}

// read returns the next datagram, or false at the deadline d from now.
func (p *peer) read(d time.Duration) ([]byte, bool) {
	p.t.Helper()
	buf := make([]byte, 65535)
	p.conn.SetReadDeadline(time.Now().Add(d))
	n, _, err := p.conn.ReadFrom(buf)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, false
		}
		p.t.Fatal(err)
	}
	return buf[:n], true
}

// recvRaw waits (bounded) for the next datagram.
func (p *peer) recvRaw() []byte {
	p.t.Helper()
	b, ok := p.read(wait)
	if !ok {
		p.t.Fatal("peer: nothing received")
	}
	return b
}

func parse(t *testing.T, b []byte) sip.Message {
	t.Helper()
	m, err := sip.NewParser().ParseSIP(b)
	if err != nil {
		t.Fatalf("peer: unparsable message from the layer: %v\n%s", err, b)
	}
	return m
}

// recv waits for the next message that skip does not reject.
func (p *peer) recv(skip func(sip.Message) bool) (sip.Message, []byte) {
	p.t.Helper()
	end := time.Now().Add(wait)
	for time.Now().Before(end) {
		b, ok := p.read(time.Until(end))
		if !ok {
			break
		}
		m := parse(p.t, b)
		if skip != nil && skip(m) {
			continue
		}
		return m, b
	}
	p.t.Fatal("peer: no message received")
	return nil, nil
}

// recvRes waits for the next response, skipping requests with a method
// in skip (retransmissions in flight).
func (p *peer) recvRes(skip ...sip.RequestMethod) (*sip.Response, []byte) {
	p.t.Helper()
	m, b := p.recv(skipMethods(skip))
	res, ok := m.(*sip.Response)
	if !ok {
		p.t.Fatalf("peer: want a response, got %s", firstLine(b))
	}
	return res, b
}

// recvReq waits for the next request, skipping requests with a method in
// skip and responses with a status in skipStatus.
func (p *peer) recvReq(skip []sip.RequestMethod, skipStatus ...int) (*sip.Request, []byte) {
	p.t.Helper()
	m, b := p.recv(func(m sip.Message) bool {
		if r, ok := m.(*sip.Response); ok {
			for _, s := range skipStatus {
				if r.StatusCode == s {
					return true
				}
			}
			return false
		}
		return skipMethods(skip)(m)
	})
	req, ok := m.(*sip.Request)
	if !ok {
		p.t.Fatalf("peer: want a request, got %s", firstLine(b))
	}
	return req, b
}

func skipMethods(skip []sip.RequestMethod) func(sip.Message) bool {
	return func(m sip.Message) bool {
		r, ok := m.(*sip.Request)
		if !ok {
			return false
		}
		for _, s := range skip {
			if r.Method == s {
				return true
			}
		}
		return false
	}
}

// silent checks that nothing is queued at p. Use it only where a message,
// were it sent, would already have been queued (after a sync point or an
// event that follows the send), or with a window that a wrong behaviour
// would certainly fill.
func (p *peer) silent(d time.Duration, why string) {
	p.t.Helper()
	if b, ok := p.read(d); ok {
		p.t.Fatalf("peer: %s, but got %s", why, firstLine(b))
	}
}

// drainUntilQuiet reads until nothing came for quiet, giving up (false)
// when within passes first. It returns what it read.
func (p *peer) drainUntilQuiet(quiet, within time.Duration) ([][]byte, bool) {
	p.t.Helper()
	end := time.Now().Add(within)
	var got [][]byte
	for {
		if time.Now().Add(quiet).After(end) {
			return got, false
		}
		b, ok := p.read(quiet)
		if !ok {
			return got, true
		}
		got = append(got, b)
	}
}

// resendsStop fails unless the resends of a final response (wire, named
// what) stop within 500 ms of its ACK, with nothing else arriving.
func (p *peer) resendsStop(wire []byte, what string) {
	p.t.Helper()
	got, quiet := p.drainUntilQuiet(100*time.Millisecond, 500*time.Millisecond)
	if !quiet {
		p.t.Fatalf("%s still resent after the ACK (%d)", what, len(got))
	}
	for _, b := range got {
		if !bytes.Equal(b, wire) {
			p.t.Fatalf("unexpected %s", firstLine(b))
		}
	}
}

func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\r'); i >= 0 {
		return fmt.Sprintf("%q", b[:i])
	}
	return fmt.Sprintf("%q", b)
}

// ---------------------------------------------------------------------
// Hand-written messages.

// sipReq is a request as the peer writes it.
type sipReq struct {
	Method     string
	Branch     string // "" for no branch parameter (RFC 2543)
	CallID     string
	CSeq       int    // 1 when 0
	CSeqMethod string // Method when ""
	ToTag      string
	Vias       int // extra Via headers below the top one
}

func (r sipReq) text() string {
	cseq, cm := r.CSeq, r.CSeqMethod
	if cseq == 0 {
		cseq = 1
	}
	if cm == "" {
		cm = r.Method
	}
	via := "Via: SIP/2.0/UDP 127.0.0.1:5999"
	if r.Branch != "" {
		via += ";branch=" + r.Branch
	}
	to := "To: <sip:bob@127.0.0.1>"
	if r.ToTag != "" {
		to += ";tag=" + r.ToTag
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s sip:bob@127.0.0.1 SIP/2.0\n%s\n", r.Method, via)
	for i := 0; i < r.Vias; i++ {
		fmt.Fprintf(&b, "Via: SIP/2.0/UDP 10.0.0.%d:5060;branch=z9hG4bK-below-%d\n", i+1, i)
	}
	fmt.Fprintf(&b, "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=fromtag\n%s\nCall-ID: %s\nCSeq: %d %s\nContent-Length: 0\n\n",
		to, r.CallID, cseq, cm)
	return b.String()
}

// responseTo writes a response to req as the peer would: Via, From, To
// (with toTag unless empty or req's To has one), Call-ID and CSeq copied.
func responseTo(req *sip.Request, code int, reason, toTag string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %d %s\n", code, reason)
	for _, h := range req.GetHeaders("Via") {
		fmt.Fprintf(&b, "Via: %s\n", h.Value())
	}
	to := req.To().Value()
	if _, has := req.To().Params.Get("tag"); !has && toTag != "" {
		to += ";tag=" + toTag
	}
	fmt.Fprintf(&b, "From: %s\nTo: %s\nCall-ID: %s\nCSeq: %s\nContent-Length: 0\n\n",
		req.From().Value(), to, req.CallID().Value(), req.CSeq().Value())
	return b.String()
}

// clientReq builds a request from the layer to the peer, as a UA would.
func clientReq(method sip.RequestMethod, branch string, from, to *net.UDPAddr) *sip.Request {
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: "bob", Host: to.IP.String(), Port: to.Port})
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP",
		Host: from.IP.String(), Port: from.Port, Params: sip.NewParams()}
	via.Params.Add("branch", branch)
	req.AppendHeader(via)
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	fromH := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "alice", Host: from.IP.String()}, Params: sip.NewParams()}
	fromH.Params.Add("tag", "ftag-"+branch)
	req.AppendHeader(fromH)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "bob", Host: to.IP.String()}, Params: sip.NewParams()})
	cid := sip.CallIDHeader("cid-" + branch)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: method})
	req.AppendHeader(sip.NewHeader("Content-Length", "0"))
	req.SetTransport("UDP")
	req.SetDestination(to.String())
	return req
}

func newBranch() string { return sip.GenerateBranch() }

// request starts a client transaction on h to p, with extra headers.
func (h *harness) request(p *peer, method sip.RequestMethod, extra ...sip.Header) (*uatx.ClientTx, *sip.Request) {
	h.t.Helper()
	req := clientReq(method, newBranch(), h.addr, p.addr)
	for _, hd := range extra {
		req.AppendHeader(hd)
	}
	tx, err := h.l.Request(context.Background(), req)
	if err != nil {
		h.t.Fatalf("Request %s: %v", method, err)
	}
	ctx, ok := tx.(*uatx.ClientTx)
	if !ok {
		h.t.Fatalf("Request returned %T", tx)
	}
	return ctx, req
}

// nextResponse waits for the next response delivered on tx.Responses().
func nextResponse(t *testing.T, tx sip.ClientTransaction) *sip.Response {
	t.Helper()
	select {
	case r := <-tx.Responses():
		return r
	case <-tx.Done():
		t.Fatalf("transaction ended (%v) before a response", tx.Err())
	case <-time.After(wait):
		t.Fatal("no response delivered")
	}
	return nil
}

func noResponse(t *testing.T, tx sip.ClientTransaction) {
	t.Helper()
	select {
	case r := <-tx.Responses():
		t.Fatalf("unexpected delivery of %d %s", r.StatusCode, r.Reason)
	default:
	}
}

func waitDone(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatalf("%s did not end", what)
	}
}

func notDone(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
		t.Fatalf("%s ended", what)
	default:
	}
}

func branchOf(t *testing.T, m sip.Message) string {
	t.Helper()
	var via *sip.ViaHeader
	switch m := m.(type) {
	case *sip.Request:
		via = m.Via()
	case *sip.Response:
		via = m.Via()
	}
	if via == nil {
		t.Fatal("message without Via")
	}
	b, _ := via.Params.Get("branch")
	return b
}

func toTag(m interface{ To() *sip.ToHeader }) string {
	tag, _ := m.To().Params.Get("tag")
	return tag
}

func checkCSeq(t *testing.T, c *sip.CSeqHeader, seq uint32, method sip.RequestMethod) {
	t.Helper()
	if c == nil || c.SeqNo != seq || c.MethodName != method {
		t.Fatalf("CSeq %v, want %d %s", c, seq, method)
	}
}

func waitServerTxs(t *testing.T, l *uatx.Layer, want int) {
	t.Helper()
	end := time.Now().Add(wait)
	for {
		s, _ := l.Transactions()
		if s == want {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d server transactions, want %d", s, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------
// Client INVITE.

// TestClientInviteProvisional proves that an INVITE is retransmitted
// (Timer A, byte for byte) while unanswered, and that 100 and 180 are
// delivered on Responses() and stop the retransmissions and Timer B: the
// transaction outlives Timer B (64*T1) in Proceeding, until Terminate.
func TestClientInviteProvisional(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	start := time.Now()
	tx, _ := h.request(p, sip.INVITE)

	first := p.recvRaw()
	inv := parse(t, first).(*sip.Request)
	if inv.Method != sip.INVITE || !strings.HasPrefix(branchOf(t, inv), sip.RFC3261BranchMagicCookie) {
		t.Fatalf("peer got %s", firstLine(first))
	}
	for i := 0; i < 2; i++ { // Timer A
		if b := p.recvRaw(); !bytes.Equal(b, first) {
			t.Fatalf("retransmission %d differs:\n%s\nvs\n%s", i+1, b, first)
		}
	}

	p.send(h.addr, responseTo(inv, 100, "Trying", ""))
	if r := nextResponse(t, tx); r.StatusCode != 100 {
		t.Fatalf("delivered %d, want 100", r.StatusCode)
	}
	p.send(h.addr, responseTo(inv, 180, "Ringing", "tag-a"))
	if r := nextResponse(t, tx); r.StatusCode != 180 || toTag(r) != "tag-a" {
		t.Fatalf("delivered %d tag %q, want 180 tag-a", r.StatusCode, toTag(r))
	}

	// At most a retransmission in flight; then nothing, and Timer B (640ms
	// from the start) must not end the transaction.
	got, quiet := p.drainUntilQuiet(100*time.Millisecond, time.Second)
	if !quiet {
		t.Fatalf("INVITE still retransmitted after a provisional (%d more)", len(got))
	}
	for _, b := range got {
		if !bytes.Equal(b, first) {
			t.Fatalf("unexpected %s", firstLine(b))
		}
	}
	select {
	case <-tx.Done():
		t.Fatalf("transaction ended (%v) in Proceeding", tx.Err())
	case <-time.After(time.Until(start.Add(sip.Timer_B + 100*time.Millisecond))):
	}
	p.silent(time.Millisecond, "no retransmission after a provisional")

	tx.Terminate()
	waitDone(t, tx.Done(), "terminated transaction")
	if err := tx.Err(); err != nil {
		t.Fatalf("Err after Terminate: %v", err)
	}
	if _, c := h.l.Transactions(); c != 0 {
		t.Fatalf("%d client transactions left", c)
	}
}

// TestClientInvite2xx proves that the first 2xx to an INVITE is delivered
// without the layer sending an ACK (the ACK of a 2xx is the core's), that
// later 2xx (another To-tag, or the same again) go to OnRetransmission
// only, and that the transaction ends after Timer M, after which a 2xx is
// stray.
func TestClientInvite2xx(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	tx, _ := h.request(p, sip.INVITE)
	retrans := make(chan *sip.Response, 8)
	if !tx.OnRetransmission(func(r *sip.Response) { retrans <- r }) {
		t.Fatal("OnRetransmission refused on a live transaction")
	}
	inv, _ := p.recvReq(nil)
	p.send(h.addr, responseTo(inv, 180, "Ringing", "tag-a"))
	if r := nextResponse(t, tx); r.StatusCode != 180 {
		t.Fatalf("delivered %d, want 180", r.StatusCode)
	}
	p.send(h.addr, responseTo(inv, 200, "OK", "tag-a"))
	if r := nextResponse(t, tx); r.StatusCode != 200 || toTag(r) != "tag-a" {
		t.Fatalf("delivered %d tag %q, want 200 tag-a", r.StatusCode, toTag(r))
	}

	for _, tag := range []string{"tag-b", "tag-a"} {
		p.send(h.addr, responseTo(inv, 200, "OK", tag))
		select {
		case r := <-retrans:
			if r.StatusCode != 200 || toTag(r) != tag {
				t.Fatalf("OnRetransmission got %d tag %q, want 200 %s", r.StatusCode, toTag(r), tag)
			}
		case <-time.After(wait):
			t.Fatalf("2xx with tag %s did not reach OnRetransmission", tag)
		}
	}
	h.sync(p) // the last receive call has returned
	noResponse(t, tx)
	h.noStray()
	for { // an ACK, were the layer to send one, went out before the sync
		b, ok := p.read(time.Millisecond)
		if !ok {
			break
		}
		if m := parse(t, b).(*sip.Request); m.Method != sip.INVITE {
			t.Fatalf("the layer sent %s after a 2xx", m.Method)
		}
	}

	waitDone(t, tx.Done(), "INVITE transaction (Timer M)")
	if err := tx.Err(); err != nil {
		t.Fatalf("Err after Timer M: %v", err)
	}
	if tx.OnRetransmission(func(*sip.Response) {}) {
		t.Fatal("OnRetransmission accepted after the end")
	}
	if _, c := h.l.Transactions(); c != 0 {
		t.Fatalf("%d client transactions left", c)
	}
	p.send(h.addr, responseTo(inv, 200, "OK", "tag-c"))
	if r := h.nextStray(); toTag(r) != "tag-c" {
		t.Fatalf("stray tag %q", toTag(r))
	}
}

// TestClientInviteNon2xxAcked proves that a 3xx-6xx final to an INVITE is
// delivered once and ACKed by the layer itself (RFC 3261 §17.1.1.3: same
// Request-URI, one Via with the INVITE's branch, From, Call-ID, the To of
// the response, CSeq number with method ACK), that a retransmitted final
// gets the same ACK again without a second delivery, that the ACK carries
// the INVITE's Route set and is never sent unprompted, and that the
// transaction ends after Timer D without an error.
func TestClientInviteNon2xxAcked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code   int
		reason string
	}{{486, "Busy Here"}, {302, "Moved Temporarily"}, {603, "Decline"}, {500, "Server Internal Error"}} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			t.Parallel()
			h, p := newHarness(t, nil), newPeer(t)
			routes := []string{"<sip:proxy1.test;lr>", "<sip:proxy2.test;lr>"}
			tx, req := h.request(p, sip.INVITE, sip.NewHeader("Route", routes[0]), sip.NewHeader("Route", routes[1]))
			retrans := make(chan *sip.Response, 8)
			tx.OnRetransmission(func(r *sip.Response) { retrans <- r })
			inv, _ := p.recvReq(nil)

			final := responseTo(inv, tc.code, tc.reason, "uas-tag")
			p.send(h.addr, final)
			ack, ackWire := p.recvReq([]sip.RequestMethod{sip.INVITE})
			if r := nextResponse(t, tx); r.StatusCode != tc.code {
				t.Fatalf("delivered %d", r.StatusCode)
			}

			if ack.Method != sip.ACK {
				t.Fatalf("got %s, want ACK", ack.Method)
			}
			if ack.Recipient.String() != req.Recipient.String() {
				t.Errorf("ACK Request-URI %s, want %s", ack.Recipient.String(), req.Recipient.String())
			}
			if vias := ack.GetHeaders("Via"); len(vias) != 1 || branchOf(t, ack) != branchOf(t, req) {
				t.Errorf("ACK Via %v, want one Via with branch %s", vias, branchOf(t, req))
			}
			if toTag(ack) != "uas-tag" {
				t.Errorf("ACK To-tag %q, want uas-tag", toTag(ack))
			}
			if ack.From().Value() != req.From().Value() || ack.CallID().Value() != req.CallID().Value() {
				t.Errorf("ACK From/Call-ID %s / %s", ack.From().Value(), ack.CallID().Value())
			}
			checkCSeq(t, ack.CSeq(), 1, sip.ACK)
			if ack.MaxForwards() == nil {
				t.Error("ACK without Max-Forwards")
			}
			var gotRoutes []string
			for _, r := range ack.GetHeaders("Route") {
				gotRoutes = append(gotRoutes, r.Value())
			}
			if strings.Join(gotRoutes, ",") != strings.Join(routes, ",") {
				t.Errorf("ACK Routes %q, want %q", gotRoutes, routes)
			}

			for i := 0; i < 2; i++ { // each retransmitted final: the ACK again
				p.send(h.addr, final)
				if _, b := p.recvReq([]sip.RequestMethod{sip.INVITE}); !bytes.Equal(b, ackWire) {
					t.Fatalf("second ACK differs:\n%s\nvs\n%s", b, ackWire)
				}
			}
			// Each ACK is sent before its response would be delivered: the
			// third ACK means the second final was fully handled.
			noResponse(t, tx)
			if len(retrans) != 0 {
				t.Fatal("a non-2xx reached OnRetransmission")
			}

			waitDone(t, tx.Done(), "INVITE transaction (Timer D)")
			if err := tx.Err(); err != nil {
				t.Fatalf("Err after Timer D: %v", err)
			}
			noResponse(t, tx)
			for { // queued meanwhile: INVITE copies in flight at most, no ACK
				b, ok := p.read(time.Millisecond)
				if !ok {
					break
				}
				if m := parse(t, b).(*sip.Request); m.Method != sip.INVITE {
					t.Fatalf("unprompted %s", m.Method)
				}
			}
		})
	}
}

// TestClientInviteTimerB proves that an unanswered INVITE is retransmitted
// with doubling intervals (Timer A: at most 7 sends in Timer B = 64*T1)
// and ends with sip.ErrTransactionTimeout after Timer B, telling
// OnTerminate; the layer then forgets it and a late response is stray.
func TestClientInviteTimerB(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	start := time.Now()
	tx, _ := h.request(p, sip.INVITE)
	type term struct {
		key string
		err error
	}
	terms := make(chan term, 1)
	if !tx.OnTerminate(func(key string, err error) { terms <- term{key, err} }) {
		t.Fatal("OnTerminate refused")
	}

	var sent [][]byte
	for {
		if b, ok := p.read(20 * time.Millisecond); ok {
			sent = append(sent, b)
			continue
		}
		select {
		case <-tx.Done():
		default:
			if time.Since(start) > sip.Timer_B+wait {
				t.Fatal("no Timer B")
			}
			continue
		}
		break
	}
	elapsed := time.Since(start)
	more, _ := p.drainUntilQuiet(20*time.Millisecond, time.Second)
	sent = append(sent, more...)

	if !errors.Is(tx.Err(), sip.ErrTransactionTimeout) {
		t.Fatalf("Err %v, want ErrTransactionTimeout", tx.Err())
	}
	if elapsed < sip.Timer_B {
		t.Fatalf("ended after %v, before Timer B (%v)", elapsed, sip.Timer_B)
	}
	// Sends at 0, 10, 30, 70, 150, 310, 630ms: never more (timers do not
	// fire early), a few at least.
	if len(sent) < 3 || len(sent) > 7 {
		t.Fatalf("%d INVITEs sent in Timer B, want 3..7 (doubling Timer A)", len(sent))
	}
	for _, b := range sent[1:] {
		if !bytes.Equal(b, sent[0]) {
			t.Fatalf("retransmission differs")
		}
	}
	select {
	case tm := <-terms:
		if !errors.Is(tm.err, sip.ErrTransactionTimeout) || !strings.HasPrefix(tm.key, sip.RFC3261BranchMagicCookie) {
			t.Fatalf("OnTerminate(%q, %v)", tm.key, tm.err)
		}
	default:
		t.Fatal("OnTerminate not called")
	}
	if tx.OnTerminate(func(string, error) {}) {
		t.Fatal("OnTerminate accepted after the end")
	}
	if _, c := h.l.Transactions(); c != 0 {
		t.Fatalf("%d client transactions left", c)
	}
	inv := parse(t, sent[0]).(*sip.Request)
	p.send(h.addr, responseTo(inv, 486, "Busy Here", "late"))
	if r := h.nextStray(); r.StatusCode != 486 {
		t.Fatalf("stray %d", r.StatusCode)
	}
	p.silent(20*time.Millisecond, "no ACK for a response to an ended transaction")
}

// ---------------------------------------------------------------------
// Client non-INVITE.

// TestClientNonInvite proves that a non-INVITE request is retransmitted
// (Timer E, byte for byte) until its final response, which is delivered
// (after any provisional) and stops the retransmissions, with no ACK; the
// transaction ends after Timer K without an error.
func TestClientNonInvite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method      sip.RequestMethod
		provisional bool
		code        int
	}{
		{sip.OPTIONS, false, 200},
		{sip.REGISTER, false, 401},
		{sip.BYE, true, 200},
		{sip.MESSAGE, true, 404},
	} {
		t.Run(fmt.Sprintf("%s-%d", tc.method, tc.code), func(t *testing.T) {
			t.Parallel()
			h, p := newHarness(t, nil), newPeer(t)
			tx, _ := h.request(p, tc.method)
			first := p.recvRaw()
			req := parse(t, first).(*sip.Request)
			if req.Method != tc.method {
				t.Fatalf("peer got %s", req.Method)
			}
			for i := 0; i < 2; i++ { // Timer E
				if b := p.recvRaw(); !bytes.Equal(b, first) {
					t.Fatalf("retransmission differs")
				}
			}
			if tc.provisional {
				p.send(h.addr, responseTo(req, 100, "Trying", ""))
				if r := nextResponse(t, tx); r.StatusCode != 100 {
					t.Fatalf("delivered %d", r.StatusCode)
				}
				// Proceeding: still retransmitted (at T2).
				if _, b := p.recvReq(nil); !bytes.Equal(b, first) {
					t.Fatal("retransmission in Proceeding differs")
				}
			}
			p.send(h.addr, responseTo(req, tc.code, "Final", "t1"))
			if r := nextResponse(t, tx); r.StatusCode != tc.code {
				t.Fatalf("delivered %d, want %d", r.StatusCode, tc.code)
			}
			p.send(h.addr, responseTo(req, tc.code, "Final", "t1")) // absorbed
			h.sync(p)
			noResponse(t, tx)
			// At most one retransmission was in flight; then quiet (else one
			// every T2 = 40ms until Timer F).
			got, quiet := p.drainUntilQuiet(3*sip.T2, 400*time.Millisecond)
			if !quiet {
				t.Fatalf("still retransmitted after the final (%d)", len(got))
			}
			for _, b := range got {
				if !bytes.Equal(b, first) {
					t.Fatalf("unexpected %s (no ACK for non-INVITE)", firstLine(b))
				}
			}
			waitDone(t, tx.Done(), "transaction (Timer K)")
			if err := tx.Err(); err != nil {
				t.Fatalf("Err after Timer K: %v", err)
			}
		})
	}
}

// TestClientNonInviteTimerF proves that a non-INVITE request without a
// final response ends with sip.ErrTransactionTimeout after Timer F, a
// provisional notwithstanding, and that its retransmission interval is
// capped at T2 (so more sends than doubling alone would give: 7).
func TestClientNonInviteTimerF(t *testing.T) {
	t.Parallel()
	for _, provisional := range []bool{false, true} {
		t.Run(fmt.Sprintf("provisional=%v", provisional), func(t *testing.T) {
			t.Parallel()
			h, p := newHarness(t, nil), newPeer(t)
			start := time.Now()
			tx, _ := h.request(p, sip.OPTIONS)
			first := p.recvRaw()
			sent := 1
			if provisional {
				p.send(h.addr, responseTo(parse(t, first).(*sip.Request), 100, "Trying", ""))
				if r := nextResponse(t, tx); r.StatusCode != 100 {
					t.Fatalf("delivered %d", r.StatusCode)
				}
			}
			for {
				if b, ok := p.read(20 * time.Millisecond); ok {
					if !bytes.Equal(b, first) {
						t.Fatalf("unexpected %s", firstLine(b))
					}
					sent++
					continue
				}
				select {
				case <-tx.Done():
				default:
					if time.Since(start) > sip.Timer_F+wait {
						t.Fatal("no Timer F")
					}
					continue
				}
				break
			}
			if elapsed := time.Since(start); elapsed < sip.Timer_F {
				t.Fatalf("ended after %v, before Timer F", elapsed)
			}
			if !errors.Is(tx.Err(), sip.ErrTransactionTimeout) {
				t.Fatalf("Err %v, want ErrTransactionTimeout", tx.Err())
			}
			// Nominally 18 sends (0, 10, 30, 70, then every 40ms to 630ms).
			if sent < 8 || sent > 18 {
				t.Fatalf("%d sends in Timer F, want 8..18", sent)
			}
		})
	}
}

// ---------------------------------------------------------------------
// Server non-INVITE.

// TestServerNonInvite proves that a new request reaches the handler once
// with its transaction; that a retransmission before the answer is
// absorbed; that tx.Respond sends the response to the peer and a
// retransmitted request gets it again, byte for byte, without reaching the
// handler; that a second final is refused; and that after Timer J the
// transaction is gone, so the same request is new again.
func TestServerNonInvite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method string
		code   int
	}{{"OPTIONS", 200}, {"REGISTER", 401}, {"BYE", 200}, {"MESSAGE", 415}, {"INFO", 200}} {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			h, p := newHarness(t, nil), newPeer(t)
			r := sipReq{Method: tc.method, Branch: "z9hG4bK-" + tc.method, CallID: "c-" + tc.method, CSeq: 7}
			p.send(h.addr, r.text())
			c := h.nextCall()
			if c.tx == nil || string(c.req.Method) != tc.method || c.req.CallID().Value() != r.CallID {
				t.Fatalf("handler got %s tx=%v", c.req.Method, c.tx)
			}
			if s, _ := h.l.Transactions(); s != 1 {
				t.Fatalf("%d server transactions, want 1", s)
			}
			if c.req.Source() == "" || c.req.Transport() != "UDP" {
				t.Errorf("request source %q transport %q", c.req.Source(), c.req.Transport())
			}

			p.send(h.addr, r.text()) // no answer yet: absorbed
			h.sync(p)
			p.silent(time.Millisecond, "a retransmission before the answer is absorbed")

			if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, tc.code, "Answer", nil)); err != nil {
				t.Fatalf("Respond: %v", err)
			}
			res, wire := p.recvRes()
			if res.StatusCode != tc.code || branchOf(t, res) != r.Branch || res.CallID().Value() != r.CallID {
				t.Fatalf("peer got %s", firstLine(wire))
			}
			checkCSeq(t, res.CSeq(), 7, sip.RequestMethod(tc.method))

			for i := 0; i < 2; i++ {
				p.send(h.addr, r.text())
				if _, b := p.recvRes(); !bytes.Equal(b, wire) {
					t.Fatalf("response to the retransmission differs:\n%s\nvs\n%s", b, wire)
				}
			}
			for _, code := range []int{200, 500, 100} {
				if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, code, "Again", nil)); err == nil {
					t.Fatalf("%d after the final response accepted", code)
				}
			}
			h.sync(p)
			h.noCall()
			p.silent(time.Millisecond, "a refused response is not sent")

			waitDone(t, c.tx.Done(), "server transaction (Timer J)")
			if err := c.tx.Err(); err != nil {
				t.Fatalf("Err after Timer J: %v", err)
			}
			waitServerTxs(t, h.l, 0)
			if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 200, "OK", nil)); !errors.Is(err, sip.ErrTransactionTerminated) {
				t.Fatalf("Respond after the end: %v", err)
			}

			p.send(h.addr, r.text())
			c2 := h.nextCall()
			if c2.tx == c.tx || c2.req.CallID().Value() != r.CallID {
				t.Fatal("the request after Timer J is not a new transaction")
			}
		})
	}
}

// TestServerProvisionalRetransmitted proves that a non-INVITE server
// transaction answers a retransmission with its last provisional, then
// with the final once sent.
func TestServerProvisionalRetransmitted(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	r := sipReq{Method: "REGISTER", Branch: "z9hG4bK-prov", CallID: "prov"}
	p.send(h.addr, r.text())
	c := h.nextCall()
	if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 100, "Trying", nil)); err != nil {
		t.Fatal(err)
	}
	if res, _ := p.recvRes(); res.StatusCode != 100 {
		t.Fatalf("got %d", res.StatusCode)
	}
	p.send(h.addr, r.text())
	if res, _ := p.recvRes(); res.StatusCode != 100 {
		t.Fatalf("retransmission got %d, want 100", res.StatusCode)
	}
	if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 200, "OK", nil)); err != nil {
		t.Fatal(err)
	}
	if res, _ := p.recvRes(); res.StatusCode != 200 {
		t.Fatalf("got %d", res.StatusCode)
	}
	p.send(h.addr, r.text())
	if res, _ := p.recvRes(); res.StatusCode != 200 {
		t.Fatalf("retransmission got %d, want 200", res.StatusCode)
	}
	if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 180, "Late", nil)); err == nil {
		t.Fatal("a provisional after the final was accepted")
	}
}

// TestServerRFC2543Matching proves that requests without an RFC 3261
// branch are matched by Call-ID, CSeq and From tag: a retransmission gets
// the response again, a new CSeq is a new transaction.
func TestServerRFC2543Matching(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	r := sipReq{Method: "OPTIONS", CallID: "old", CSeq: 1}
	p.send(h.addr, r.text())
	c := h.nextCall()
	if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 200, "OK", nil)); err != nil {
		t.Fatal(err)
	}
	_, wire := p.recvRes()
	p.send(h.addr, r.text())
	if _, b := p.recvRes(); !bytes.Equal(b, wire) {
		t.Fatal("retransmission without branch not matched")
	}
	r.CSeq = 2
	p.send(h.addr, r.text())
	if c2 := h.nextCall(); c2.tx == c.tx || c2.req.CSeq().SeqNo != 2 {
		t.Fatal("a new CSeq without branch is not a new transaction")
	}
}

// ---------------------------------------------------------------------
// Server INVITE.

// TestServerInviteCancel proves that a retransmitted INVITE before any
// response gets "100 Trying" and after a 180 the 180 again; that a CANCEL
// with the INVITE's branch gets 200 OK while the INVITE gets 487 carrying
// the 180's To-tag, OnCancel fires with the CANCEL and Respond is then
// refused with sip.ErrTransactionCanceled; that the CANCEL and the ACK of
// the 487 never reach the handler; that the 487 is resent (Timer G) until
// that ACK, a retransmitted CANCEL gets its 200 again, and after the ACK
// the resends stop and the transaction ends after Timer I without error.
func TestServerInviteCancel(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	inv := sipReq{Method: "INVITE", Branch: "z9hG4bK-inv1", CallID: "inv1", CSeq: 5, Vias: 1}
	p.send(h.addr, inv.text())
	c := h.nextCall()
	if c.tx == nil || c.req.Method != sip.INVITE {
		t.Fatalf("handler got %s", c.req.Method)
	}
	cancels := make(chan *sip.Request, 2)
	if !c.tx.OnCancel(func(r *sip.Request) { cancels <- r }) {
		t.Fatal("OnCancel refused")
	}

	p.send(h.addr, inv.text())
	trying, _ := p.recvRes()
	if trying.StatusCode != 100 || branchOf(t, trying) != inv.Branch || len(trying.GetHeaders("Via")) != 2 {
		t.Fatalf("retransmitted INVITE got %d, want 100 Trying with both Vias", trying.StatusCode)
	}
	checkCSeq(t, trying.CSeq(), 5, sip.INVITE)

	ringing := sip.NewResponseFromRequest(c.req, 180, "Ringing", nil)
	if err := c.tx.Respond(ringing); err != nil {
		t.Fatal(err)
	}
	r180, wire180 := p.recvRes()
	tag := toTag(r180)
	if r180.StatusCode != 180 || tag == "" {
		t.Fatalf("got %d tag %q", r180.StatusCode, tag)
	}
	p.send(h.addr, inv.text())
	if _, b := p.recvRes(); !bytes.Equal(b, wire180) {
		t.Fatal("retransmitted INVITE after 180 did not get the 180 again")
	}

	cancel := sipReq{Method: "CANCEL", Branch: inv.Branch, CallID: inv.CallID, CSeq: 5}
	p.send(h.addr, cancel.text())
	ok200, wire200 := p.recvRes()
	if ok200.StatusCode != 200 || branchOf(t, ok200) != inv.Branch || toTag(ok200) != tag {
		t.Fatalf("CANCEL got %d tag %q, want 200 with the 180's tag %q (RFC 3261 §9.2)", ok200.StatusCode, toTag(ok200), tag)
	}
	checkCSeq(t, ok200.CSeq(), 5, sip.CANCEL)
	r487, wire487 := p.recvRes()
	if r487.StatusCode != 487 || toTag(r487) != tag || branchOf(t, r487) != inv.Branch {
		t.Fatalf("INVITE got %d tag %q, want 487 with tag %q", r487.StatusCode, toTag(r487), tag)
	}
	checkCSeq(t, r487.CSeq(), 5, sip.INVITE)
	select {
	case cr := <-cancels:
		if cr.Method != sip.CANCEL || branchOf(t, cr) != inv.Branch {
			t.Fatalf("OnCancel got %s", cr.Method)
		}
	case <-time.After(wait):
		t.Fatal("OnCancel not called")
	}
	if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 200, "OK", nil)); !errors.Is(err, sip.ErrTransactionCanceled) {
		t.Fatalf("Respond after CANCEL: %v, want ErrTransactionCanceled", err)
	}
	if c.tx.OnCancel(func(*sip.Request) {}) {
		t.Fatal("OnCancel accepted after the CANCEL")
	}

	// Timer G: the 487 again, byte for byte.
	for i := 0; i < 2; i++ {
		if _, b := p.recvRes(); !bytes.Equal(b, wire487) {
			t.Fatalf("resend %d is not the 487: %s", i+1, firstLine(b))
		}
	}
	p.send(h.addr, cancel.text()) // retransmitted CANCEL: its 200 again
	if _, b := p.recv(func(m sip.Message) bool {
		r, ok := m.(*sip.Response)
		return ok && r.StatusCode == 487
	}); !bytes.Equal(b, wire200) {
		t.Fatal("retransmitted CANCEL did not get its 200 again")
	}

	ack := sipReq{Method: "ACK", Branch: inv.Branch, CallID: inv.CallID, CSeq: 5, ToTag: tag}
	p.send(h.addr, ack.text())
	p.resendsStop(wire487, "487")
	waitDone(t, c.tx.Done(), "INVITE server transaction (Timer I)")
	if err := c.tx.Err(); err != nil {
		t.Fatalf("Err %v: the ACK did not end the resends (Timer H did)", err)
	}
	h.sync(p)
	h.noCall() // neither the CANCEL nor the ACK reached the handler
	if len(cancels) != 0 {
		t.Fatal("OnCancel called twice")
	}
}

// TestServerCancelBeforeResponse proves that a CANCEL of an INVITE that
// has no response yet (or only the automatic 100 Trying) gets 200 and a
// 487, and that a CANCEL of an answered INVITE gets 200 only: no 487, no
// OnCancel, the final response stands.
func TestServerCancelBeforeResponse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		before int // response before the CANCEL: 0 none, 100 automatic Trying, else Respond(before)
	}{{"none", 0}, {"trying", 100}, {"answered-200", 200}, {"answered-486", 486}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, p := newHarness(t, nil), newPeer(t)
			inv := sipReq{Method: "INVITE", Branch: "z9hG4bK-" + tc.name, CallID: tc.name}
			p.send(h.addr, inv.text())
			c := h.nextCall()
			cancelled := make(chan struct{}, 1)
			c.tx.OnCancel(func(*sip.Request) { cancelled <- struct{}{} })
			switch tc.before {
			case 0:
			case 100:
				p.send(h.addr, inv.text())
				if r, _ := p.recvRes(); r.StatusCode != 100 {
					t.Fatalf("got %d", r.StatusCode)
				}
			default:
				if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, tc.before, "Final", nil)); err != nil {
					t.Fatal(err)
				}
				if r, _ := p.recvRes(); r.StatusCode != tc.before {
					t.Fatalf("got %d", r.StatusCode)
				}
			}
			p.send(h.addr, sipReq{Method: "CANCEL", Branch: inv.Branch, CallID: inv.CallID}.text())
			skipResends := func(m sip.Message) bool {
				r, ok := m.(*sip.Response)
				return ok && r.StatusCode == tc.before && tc.before >= 300
			}
			m, _ := p.recv(skipResends)
			if r, ok := m.(*sip.Response); !ok || r.StatusCode != 200 || r.CSeq().MethodName != sip.CANCEL {
				t.Fatalf("CANCEL got %v", firstLine([]byte(m.String())))
			}
			if tc.before >= 200 {
				h.sync(p)
				for {
					b, ok := p.read(time.Millisecond)
					if !ok {
						break
					}
					if r := parse(t, b).(*sip.Response); r.StatusCode == 487 {
						t.Fatal("487 after a final response")
					}
				}
				if len(cancelled) != 0 {
					t.Fatal("OnCancel after a final response")
				}
				return
			}
			m, _ = p.recv(nil)
			if r, ok := m.(*sip.Response); !ok || r.StatusCode != 487 || r.CSeq().MethodName != sip.INVITE || toTag(r) == "" {
				t.Fatalf("INVITE got %v, want 487 with a To-tag", firstLine([]byte(m.String())))
			}
			select {
			case <-cancelled:
			case <-time.After(wait):
				t.Fatal("OnCancel not called")
			}
		})
	}
}

// TestServerInviteNon2xxResentUntilAck proves that a 3xx-6xx final to an
// INVITE is resent (Timer G, byte for byte) and answers a retransmitted
// INVITE, until the ACK with the INVITE's branch: then the resends stop,
// the ACK is absorbed (not at the handler) and the transaction ends after
// Timer I without error.
func TestServerInviteNon2xxResentUntilAck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code   int
		reason string
	}{{486, "Busy Here"}, {603, "Decline"}, {302, "Moved Temporarily"}, {404, "Not Found"}} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			t.Parallel()
			h, p := newHarness(t, func(req *sip.Request, tx *uatx.ServerTx) {
				if tx != nil && req.Method == sip.INVITE { // answered on the reader goroutine
					if err := tx.Respond(sip.NewResponseFromRequest(req, tc.code, tc.reason, nil)); err != nil {
						t.Errorf("Respond: %v", err)
					}
				}
			}), newPeer(t)
			inv := sipReq{Method: "INVITE", Branch: fmt.Sprintf("z9hG4bK-f%d", tc.code), CallID: "f"}
			p.send(h.addr, inv.text())
			c := h.nextCall()
			res, wire := p.recvRes()
			if res.StatusCode != tc.code {
				t.Fatalf("got %d", res.StatusCode)
			}
			for i := 0; i < 3; i++ { // Timer G
				if _, b := p.recvRes(); !bytes.Equal(b, wire) {
					t.Fatalf("resend differs")
				}
			}
			p.send(h.addr, inv.text())
			if _, b := p.recvRes(); !bytes.Equal(b, wire) {
				t.Fatal("retransmitted INVITE did not get the final again")
			}
			ack := sipReq{Method: "ACK", Branch: inv.Branch, CallID: inv.CallID, ToTag: toTag(res)}
			p.send(h.addr, ack.text())
			p.send(h.addr, ack.text()) // a retransmitted ACK (within Timer I): absorbed too
			h.sync(p)
			h.noCall()
			p.resendsStop(wire, "final")
			waitDone(t, c.tx.Done(), "INVITE server transaction (Timer I)")
			if err := c.tx.Err(); err != nil {
				t.Fatalf("Err %v: the ACK did not stop Timer G/H", err)
			}
		})
	}
}

// TestServerInviteTimerH proves that an unACKed 3xx-6xx is resent at
// intervals doubling up to T2 and given up after Timer H: the transaction
// ends with an error and the resends stop.
func TestServerInviteTimerH(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	inv := sipReq{Method: "INVITE", Branch: "z9hG4bK-h", CallID: "h"}
	p.send(h.addr, inv.text())
	c := h.nextCall()
	start := time.Now()
	if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 480, "Unavailable", nil)); err != nil {
		t.Fatal(err)
	}
	sent := 0
	for {
		if _, ok := p.read(20 * time.Millisecond); ok {
			sent++
			continue
		}
		select {
		case <-c.tx.Done():
		default:
			if time.Since(start) > sip.Timer_H+wait {
				t.Fatal("no Timer H")
			}
			continue
		}
		break
	}
	if elapsed := time.Since(start); elapsed < sip.Timer_H {
		t.Fatalf("ended after %v, before Timer H", elapsed)
	}
	if c.tx.Err() == nil {
		t.Fatal("Timer H ended the transaction without an error")
	}
	// 1 + resends at 10, 30, 70, then every 40ms to 630: 18 at most.
	if sent < 8 || sent > 18 {
		t.Fatalf("%d sends in Timer H, want 8..18 (Timer G capped at T2)", sent)
	}
	if got, quiet := p.drainUntilQuiet(3*sip.T2, time.Second); !quiet || len(got) > 1 {
		t.Fatalf("still resent after Timer H (%d)", len(got))
	}
	waitServerTxs(t, h.l, 0)
}

// TestServerInvite2xx proves that after a 2xx to an INVITE further 2xx
// are sent as given (RFC 6026: the UAS core retransmits them) while
// anything else is refused, that the layer itself resends no 2xx, that
// the ACK of the 2xx (another branch) reaches the handler with a nil
// transaction, and that the transaction ends after Timer L.
func TestServerInvite2xx(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	inv := sipReq{Method: "INVITE", Branch: "z9hG4bK-2xx", CallID: "2xx"}
	p.send(h.addr, inv.text())
	c := h.nextCall()
	ok := sip.NewResponseFromRequest(c.req, 200, "OK", nil)
	for i := 0; i < 3; i++ {
		if err := c.tx.Respond(ok); err != nil {
			t.Fatalf("Respond 2xx #%d: %v", i+1, err)
		}
		if res, _ := p.recvRes(); res.StatusCode != 200 || toTag(res) != toTag(ok) {
			t.Fatalf("2xx #%d: got %d", i+1, res.StatusCode)
		}
	}
	for _, code := range []int{180, 486} {
		if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, code, "No", nil)); err == nil {
			t.Fatalf("%d after a 2xx accepted", code)
		}
	}

	ack := sipReq{Method: "ACK", Branch: "z9hG4bK-2xx-ack", CallID: inv.CallID, ToTag: toTag(ok)}
	p.send(h.addr, ack.text())
	a := h.nextCall()
	if a.req.Method != sip.ACK || a.tx != nil || branchOf(t, a.req) != ack.Branch {
		t.Fatalf("handler got %s tx=%v", a.req.Method, a.tx)
	}
	// Timer G would resend within 10ms, and again every 40ms at most.
	p.silent(3*sip.T2, "the layer does not resend a 2xx itself")
	waitDone(t, c.tx.Done(), "INVITE server transaction (Timer L)")
	if err := c.tx.Err(); err != nil {
		t.Fatalf("Err after Timer L: %v", err)
	}
	// An ACK that matches no transaction at all also goes to the handler,
	// and starts no transaction.
	p.send(h.addr, sipReq{Method: "ACK", Branch: "z9hG4bK-lost", CallID: "lost"}.text())
	if a := h.nextCall(); a.req.Method != sip.ACK || a.tx != nil {
		t.Fatalf("handler got %s tx=%v", a.req.Method, a.tx)
	}
	if s, _ := h.l.Transactions(); s != 0 {
		t.Fatalf("%d server transactions: an ACK must not start one", s)
	}
}

// TestServerCancelUnknown proves that a CANCEL matching no INVITE is a
// request of its own: it reaches the handler with a transaction (to answer
// 481).
func TestServerCancelUnknown(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	p.send(h.addr, sipReq{Method: "CANCEL", Branch: "z9hG4bK-none", CallID: "none"}.text())
	c := h.nextCall()
	if c.req.Method != sip.CANCEL || c.tx == nil {
		t.Fatalf("handler got %s tx=%v", c.req.Method, c.tx)
	}
	if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 481, "Call/Transaction Does Not Exist", nil)); err != nil {
		t.Fatal(err)
	}
	if r, _ := p.recvRes(); r.StatusCode != 481 {
		t.Fatalf("got %d", r.StatusCode)
	}
}

// ---------------------------------------------------------------------
// Release.

// TestServerRelease proves that Release without a final response ends the
// transaction at once (Done, Transactions, Respond refused), so a
// retransmitted request reaches the handler again as a new transaction;
// and that Release after a final response changes nothing.
func TestServerRelease(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method string
		final  int
	}{{"INVITE", 486}, {"INVITE", 200}, {"OPTIONS", 200}, {"SUBSCRIBE", 489}} {
		t.Run(fmt.Sprintf("%s-%d", tc.method, tc.final), func(t *testing.T) {
			t.Parallel()
			h, p := newHarness(t, nil), newPeer(t)
			r := sipReq{Method: tc.method, Branch: "z9hG4bK-rel", CallID: "rel"}
			p.send(h.addr, r.text())
			c := h.nextCall()
			terms := make(chan error, 1)
			c.tx.OnTerminate(func(_ string, err error) { terms <- err })
			c.tx.Release()
			waitDone(t, c.tx.Done(), "released transaction")
			if err := <-terms; err != nil {
				t.Fatalf("OnTerminate(%v)", err)
			}
			if s, _ := h.l.Transactions(); s != 0 {
				t.Fatalf("%d server transactions after Release", s)
			}
			if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 200, "OK", nil)); err == nil {
				t.Fatal("Respond after Release accepted")
			}
			if c.tx.OnCancel(func(*sip.Request) {}) {
				t.Fatal("OnCancel accepted after Release")
			}

			p.send(h.addr, r.text())
			c2 := h.nextCall()
			if c2.tx == nil || c2.tx == c.tx || c2.req.CallID().Value() != "rel" {
				t.Fatal("the retransmission after Release is not a new transaction")
			}
			p.silent(time.Millisecond, "a new transaction has nothing to resend")

			if err := c2.tx.Respond(sip.NewResponseFromRequest(c2.req, tc.final, "Final", nil)); err != nil {
				t.Fatal(err)
			}
			_, wire := p.recvRes()
			c2.tx.Release() // answered: no effect
			notDone(t, c2.tx.Done(), "answered transaction after Release")
			p.send(h.addr, r.text())
			if tc.method == "INVITE" && tc.final < 300 {
				// RFC 6026 §7.1: Accepted absorbs it (the UAS resends its 2xx itself).
				p.silent(50*time.Millisecond, "a retransmitted INVITE after a 2xx is absorbed")
			} else if _, b := p.recvRes(); !bytes.Equal(b, wire) {
				t.Fatal("answered transaction no longer answers retransmissions after Release")
			}
			h.sync(p)
			h.noCall()
		})
	}
}

// ---------------------------------------------------------------------
// Strays, junk, errors.

// TestStrayAndJunk proves that responses no client transaction matches
// (unknown branch, or the right branch with another CSeq method) reach
// the stray callback, and that keep-alives, unparsable datagrams and
// messages without Via or CSeq are dropped without a crash, a handler call
// or a stray; the layer keeps working after them.
func TestStrayAndJunk(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	tx, req := h.request(p, sip.OPTIONS)
	first := p.recvRaw()
	got := parse(t, first).(*sip.Request)

	p.send(h.addr, responseTo(clientReq(sip.OPTIONS, "z9hG4bK-unknown", h.addr, p.addr), 200, "OK", "x"))
	if r := h.nextStray(); branchOf(t, r) != "z9hG4bK-unknown" {
		t.Fatalf("stray branch %q", branchOf(t, r))
	}
	other := strings.Replace(responseTo(got, 200, "OK", "x"), "CSeq: 1 OPTIONS", "CSeq: 1 INVITE", 1)
	p.send(h.addr, other)
	if r := h.nextStray(); r.CSeq().MethodName != sip.INVITE || branchOf(t, r) != branchOf(t, req) {
		t.Fatalf("stray %v", r.CSeq())
	}
	noResponse(t, tx)

	junk := []string{
		"",
		"\r\n",
		"\r\n\r\n",
		"   \t\n",
		"hello world",
		"\x00\x01\x02\x03\xff\xfe",
		"SIP/2.0 abc OK\r\n\r\n",
		"INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4",
		"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-big\r\nCSeq: 1 OPTIONS\r\nCall-ID: big\r\nContent-Length: 5000\r\n\r\nshort",
		"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nCall-ID: novia\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-nocseq\r\nCall-ID: nocseq\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: novia\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-nocseq\r\nContent-Length: 0\r\n\r\n",
		"INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: garbage\r\nCSeq: x\r\n\r\n",
	}
	for _, j := range junk {
		p.sendRaw(h.addr, []byte(j))
	}
	h.sync(p) // the layer still handles requests
	h.noCall()
	h.noStray()
	for { // queued: the client OPTIONS retransmissions only
		b, ok := p.read(time.Millisecond)
		if !ok {
			break
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("junk got an answer: %s", firstLine(b))
		}
	}

	// And still runs its client transactions.
	p.send(h.addr, responseTo(got, 200, "OK", "y"))
	if r := nextResponse(t, tx); r.StatusCode != 200 {
		t.Fatalf("delivered %d", r.StatusCode)
	}
}

// withoutHeader drops the header lines named name from a message text.
func withoutHeader(text, name string) string {
	var kept []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, name+":") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// TestMalformedPeerMessages proves that well-framed but malformed
// messages from the peer do not crash the reader goroutine (a panic there
// takes down the whole process): a 486 without To to a live INVITE is
// delivered and ACKed (the ACK then carries the INVITE's To), and an
// INVITE without To, answered 180, can still be CANCELled (200 and 487).
func TestMalformedPeerMessages(t *testing.T) {
	t.Parallel()
	t.Run("final-without-To", func(t *testing.T) {
		t.Parallel()
		h, p := newHarness(t, nil), newPeer(t)
		tx, req := h.request(p, sip.INVITE)
		inv, _ := p.recvReq(nil)
		p.send(h.addr, withoutHeader(responseTo(inv, 486, "Busy Here", "x"), "To"))
		if r := nextResponse(t, tx); r.StatusCode != 486 {
			t.Fatalf("delivered %d", r.StatusCode)
		}
		ack, _ := p.recvReq([]sip.RequestMethod{sip.INVITE})
		if ack.Method != sip.ACK || branchOf(t, ack) != branchOf(t, req) || ack.To() == nil {
			t.Fatalf("peer got %s", ack.Method)
		}
		h.sync(p)
	})
	t.Run("CANCEL-of-INVITE-without-To", func(t *testing.T) {
		t.Parallel()
		h, p := newHarness(t, nil), newPeer(t)
		inv := sipReq{Method: "INVITE", Branch: "z9hG4bK-noto", CallID: "noto"}
		p.send(h.addr, withoutHeader(inv.text(), "To"))
		c := h.nextCall()
		if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 180, "Ringing", nil)); err != nil {
			t.Fatal(err)
		}
		if r, _ := p.recvRes(); r.StatusCode != 180 {
			t.Fatalf("got %d", r.StatusCode)
		}
		p.send(h.addr, sipReq{Method: "CANCEL", Branch: inv.Branch, CallID: inv.CallID}.text())
		if r, _ := p.recvRes(); r.StatusCode != 200 {
			t.Fatalf("CANCEL got %d", r.StatusCode)
		}
		if r, _ := p.recvRes(); r.StatusCode != 487 {
			t.Fatalf("INVITE got %d", r.StatusCode)
		}
		h.sync(p)
	})
}

// TestRequestErrors proves Request's refusals (cancelled context, bad
// destination, no Via, a branch already running) and that an ACK is only
// sent, with no transaction.
func TestRequestErrors(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.l.Request(ctx, clientReq(sip.OPTIONS, newBranch(), h.addr, p.addr)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
	bad := clientReq(sip.OPTIONS, newBranch(), h.addr, p.addr)
	bad.SetDestination("not an address")
	if _, err := h.l.Request(context.Background(), bad); err == nil {
		t.Fatal("bad destination accepted")
	}
	novia := clientReq(sip.OPTIONS, newBranch(), h.addr, p.addr)
	novia.RemoveHeader("Via")
	if _, err := h.l.Request(context.Background(), novia); err == nil {
		t.Fatal("request without Via accepted")
	}
	if _, c := h.l.Transactions(); c != 0 {
		t.Fatalf("%d client transactions after refusals", c)
	}
	p.silent(time.Millisecond, "refused requests are not sent")

	branch := newBranch()
	tx, err := h.l.Request(context.Background(), clientReq(sip.OPTIONS, branch, h.addr, p.addr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.l.Request(context.Background(), clientReq(sip.OPTIONS, branch, h.addr, p.addr)); err == nil {
		t.Fatal("a second transaction with the same branch accepted")
	}
	// The same branch with another method is another transaction (CANCEL).
	ctx2, err := h.l.Request(context.Background(), clientReq(sip.CANCEL, branch, h.addr, p.addr))
	if err != nil {
		t.Fatalf("CANCEL with the request's branch: %v", err)
	}
	if _, c := h.l.Transactions(); c != 2 {
		t.Fatalf("%d client transactions, want 2", c)
	}
	tx.Terminate()
	ctx2.Terminate()
	waitDone(t, tx.Done(), "terminated transaction")
	waitDone(t, ctx2.Done(), "terminated transaction")
	if _, c := h.l.Transactions(); c != 0 {
		t.Fatalf("%d client transactions after Terminate", c)
	}

	ack := clientReq(sip.ACK, newBranch(), h.addr, p.addr)
	atx, err := h.l.Request(context.Background(), ack)
	if err != nil || atx != nil {
		t.Fatalf("ACK: tx %v err %v", atx, err)
	}
	if _, c := h.l.Transactions(); c != 0 {
		t.Fatalf("an ACK started a transaction")
	}
	if r, _ := p.recvReq([]sip.RequestMethod{sip.OPTIONS, sip.CANCEL}); r.Method != sip.ACK {
		t.Fatalf("peer got %s", r.Method)
	}
	if got, quiet := p.drainUntilQuiet(50*time.Millisecond, time.Second); !quiet {
		t.Fatalf("traffic after the ACK (%d)", len(got))
	} else {
		for _, b := range got {
			if m := parse(t, b).(*sip.Request); m.Method == sip.ACK {
				t.Fatal("an ACK was retransmitted")
			}
		}
	}
}

// TestClose proves that closing the socket makes Serve return nil, ends
// every live transaction (Done, sip.ErrTransactionTerminated, OnTerminate)
// and makes Request fail with ErrClosed and Respond fail.
func TestClose(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	inv, _ := h.request(p, sip.INVITE)
	opt, _ := h.request(p, sip.OPTIONS)
	p.send(h.addr, sipReq{Method: "INVITE", Branch: "z9hG4bK-close", CallID: "close"}.text())
	c := h.nextCall()
	var terms atomic.Int32
	for _, tx := range []sip.Transaction{inv, opt, c.tx} {
		tx.OnTerminate(func(_ string, err error) {
			if errors.Is(err, sip.ErrTransactionTerminated) {
				terms.Add(1)
			}
		})
	}

	if err := h.close(); err != nil {
		t.Fatalf("Serve returned %v, want nil", err)
	}
	for name, tx := range map[string]sip.Transaction{"client INVITE": inv, "client OPTIONS": opt, "server INVITE": c.tx} {
		waitDone(t, tx.Done(), name)
		if !errors.Is(tx.Err(), sip.ErrTransactionTerminated) {
			t.Errorf("%s: Err %v", name, tx.Err())
		}
	}
	if n := terms.Load(); n != 3 {
		t.Fatalf("OnTerminate called %d times, want 3", n)
	}
	if s, cl := h.l.Transactions(); s != 0 || cl != 0 {
		t.Fatalf("transactions left: %d server, %d client", s, cl)
	}
	if _, err := h.l.Request(context.Background(), clientReq(sip.OPTIONS, newBranch(), h.addr, p.addr)); !errors.Is(err, uatx.ErrClosed) {
		t.Fatalf("Request after close: %v, want ErrClosed", err)
	}
	if err := c.tx.Respond(sip.NewResponseFromRequest(c.req, 200, "OK", nil)); err == nil {
		t.Fatal("Respond after close accepted")
	}
}

// ---------------------------------------------------------------------
// With sipgo's client, and under load.

// TestSipgoClient proves the Layer works as a sipgo.Client's TxRequester:
// Do sends the built request (Via sent-by the layer's address, an RFC 3261
// branch) through the layer and returns the final response after a
// provisional; TransactionRequest of an INVITE answered 486 is ACKed by
// the layer.
func TestSipgoClient(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("uatx-test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	client, err := sipgo.NewClient(ua, sipgo.WithClientAddr(h.addr.String()))
	if err != nil {
		t.Fatal(err)
	}
	client.TxRequester = h.l

	type result struct {
		res *sip.Response
		err error
	}
	done := make(chan result, 1)
	go func() {
		req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", User: "bob", Host: "127.0.0.1", Port: p.addr.Port})
		res, err := client.Do(context.Background(), req)
		done <- result{res, err}
	}()
	req, _ := p.recvReq(nil)
	via := req.Via()
	if req.Method != sip.OPTIONS || via.Host != "127.0.0.1" || via.Port != h.addr.Port ||
		!strings.HasPrefix(branchOf(t, req), sip.RFC3261BranchMagicCookie) {
		t.Fatalf("peer got %s with Via %s", req.Method, via.Value())
	}
	p.send(h.addr, responseTo(req, 100, "Trying", ""))
	p.send(h.addr, responseTo(req, 200, "OK", "sipgo"))
	select {
	case r := <-done:
		if r.err != nil || r.res.StatusCode != 200 {
			t.Fatalf("Do: %v %v", r.res, r.err)
		}
	case <-time.After(wait):
		t.Fatal("Do did not return")
	}

	invReq := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "bob", Host: "127.0.0.1", Port: p.addr.Port})
	tx, err := client.TransactionRequest(context.Background(), invReq)
	if err != nil {
		t.Fatal(err)
	}
	inv, _ := p.recvReq([]sip.RequestMethod{sip.OPTIONS})
	p.send(h.addr, responseTo(inv, 486, "Busy Here", "b"))
	if r := nextResponse(t, tx); r.StatusCode != 486 {
		t.Fatalf("delivered %d", r.StatusCode)
	}
	ack, _ := p.recvReq([]sip.RequestMethod{sip.OPTIONS, sip.INVITE})
	if ack.Method != sip.ACK || branchOf(t, ack) != branchOf(t, inv) || toTag(ack) != "b" {
		t.Fatalf("peer got %s", ack.Method)
	}
	waitDone(t, tx.Done(), "INVITE (Timer D)")
}

// TestConcurrentTransactions proves the layer keeps many client and server
// transactions apart when they run at once from many goroutines (run with
// -race). The peer acts as a UA would over UDP: it answers every copy of a
// request and resends its own requests until answered.
func TestConcurrentTransactions(t *testing.T) {
	t.Parallel()
	const n = 20
	h, p := newHarness(t, func(req *sip.Request, tx *uatx.ServerTx) {
		if tx != nil {
			go func() { // answered elsewhere, then released
				defer tx.Release()
				_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
			}()
		}
	}), newPeer(t)

	// Requests of the peer, resent every 100ms until their 200 comes.
	srvReqs := make([][]byte, n)
	for i := range srvReqs {
		srvReqs[i] = []byte(crlf(sipReq{Method: "OPTIONS", Branch: fmt.Sprintf("z9hG4bK-srv-%d", i), CallID: fmt.Sprint(i)}.text()))
	}
	peerDone := make(chan struct{})
	peerErr := make(chan error, 1)
	go func() {
		defer close(peerDone)
		buf := make([]byte, 65535)
		ok := map[string]bool{} // Call-IDs of the peer's answered requests
		end := time.Now().Add(2 * wait)
		for len(ok) < n {
			if time.Now().After(end) {
				peerErr <- fmt.Errorf("peer: %d of %d requests answered", len(ok), n)
				return
			}
			for i, r := range srvReqs {
				if !ok[fmt.Sprint(i)] {
					p.conn.WriteTo(r, h.addr)
				}
			}
			resend := time.Now().Add(100 * time.Millisecond)
			for {
				p.conn.SetReadDeadline(resend)
				k, _, err := p.conn.ReadFrom(buf)
				if err != nil {
					break // time to resend
				}
				m, err := sip.NewParser().ParseSIP(buf[:k])
				if err != nil {
					peerErr <- err
					return
				}
				switch m := m.(type) {
				case *sip.Request: // every copy gets its 200, the branch as tag
					b, _ := m.Via().Params.Get("branch")
					p.conn.WriteTo([]byte(crlf(responseTo(m, 200, "OK", b))), h.addr)
				case *sip.Response:
					if m.StatusCode == 200 {
						ok[m.CallID().Value()] = true
					}
				}
			}
		}
	}()

	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := clientReq(sip.OPTIONS, newBranch(), h.addr, p.addr)
			tx, err := h.l.Request(context.Background(), req)
			if err != nil {
				t.Error(err)
				return
			}
			defer tx.Terminate()
			select {
			case r := <-tx.Responses():
				if toTag(r) != branchOf(t, req) {
					t.Errorf("response with tag %q to branch %q", toTag(r), branchOf(t, req))
				}
			case <-tx.Done():
				t.Errorf("transaction ended: %v", tx.Err())
			}
		}()
	}
	wg.Wait()
	<-peerDone // bounded by its own deadline
	select {
	case err := <-peerErr:
		t.Fatal(err)
	default:
	}
	seen := map[string]bool{}
	for len(seen) < n {
		c := h.nextCall()
		seen[c.req.CallID().Value()] = true
	}
}

// ---------------------------------------------------------------------
// Delivery.

// delivered is one call of a Delivery.
type delivered struct {
	res *sip.Response
	err error
}

// TestClientDelivery proves that a transaction started WithDelivery hands
// its provisionals and first final to the function, in order and once
// each, sends nothing on Responses, and reports an end without a final
// response (Timer B, Terminate) once, with its error; an end after the
// final is not reported.
func TestClientDelivery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		responses []int // the peer's responses, in order
		terminate bool  // Terminate once they are delivered
		want      []int // delivered statuses; 0 = the end, with wantErr
		wantErr   error
	}{
		{name: "ringing then answered", responses: []int{180, 200, 200}, want: []int{180, 200}},
		{name: "busy", responses: []int{100, 486, 486}, want: []int{100, 486}},
		{name: "Timer B", want: []int{0}, wantErr: sip.ErrTransactionTimeout},
		{name: "terminated while ringing", responses: []int{180}, terminate: true, want: []int{180, 0}},
		{name: "terminated after the answer", responses: []int{200}, terminate: true, want: []int{200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, p := newHarness(t, nil), newPeer(t)
			got := make(chan delivered, 16)
			ctx := uatx.WithDelivery(context.Background(), func(res *sip.Response, err error) {
				got <- delivered{res, err}
			})
			sent, err := h.l.Request(ctx, clientReq(sip.INVITE, newBranch(), h.addr, p.addr))
			if err != nil {
				t.Fatal(err)
			}
			tx := sent.(*uatx.ClientTx)
			inv := parse(t, p.recvRaw()).(*sip.Request)
			for _, code := range tc.responses {
				p.send(h.addr, responseTo(inv, code, "Status", "tag-a"))
			}
			next := func() delivered {
				t.Helper()
				select {
				case d := <-got:
					return d
				case <-time.After(wait):
					t.Fatal("nothing delivered")
					return delivered{}
				}
			}
			for i, code := range tc.want {
				if tc.terminate && i == len(tc.responses) {
					tx.Terminate()
				}
				d := next()
				switch {
				case code == 0 && (d.res != nil || !errors.Is(d.err, tc.wantErr)): // errors.Is(err, nil) is err == nil
					t.Fatalf("delivery %d: %v, %v; want the end with %v", i, d.res, d.err, tc.wantErr)
				case code != 0 && (d.res == nil || d.res.StatusCode != code || d.err != nil):
					t.Fatalf("delivery %d: %v, %v; want %d", i, d.res, d.err, code)
				}
			}
			if !tc.terminate {
				tx.Terminate()
			}
			waitDone(t, tx.Done(), "transaction")
			h.sync(p)
			select {
			case d := <-got:
				t.Fatalf("delivered again: %v, %v", d.res, d.err)
			default:
			}
			noResponse(t, tx)
		})
	}
}

// TestClientDeliveryLetGo proves that a transaction lets its Delivery go
// with its final response: what the function holds (a proxy's whole
// call) is not kept while the transaction lingers for Timer M.
func TestClientDeliveryLetGo(t *testing.T) {
	t.Parallel()
	h, p := newHarness(t, nil), newPeer(t)
	type callState struct{ finals []*sip.Response }
	finals := make(chan struct{}, 1)
	var ctx context.Context
	held := func() weak.Pointer[callState] {
		state := &callState{}
		ctx = uatx.WithDelivery(context.Background(), func(res *sip.Response, err error) {
			if res != nil && !res.IsProvisional() {
				state.finals = append(state.finals, res)
				finals <- struct{}{}
			}
		})
		return weak.Make(state)
	}()
	sent, err := h.l.Request(ctx, clientReq(sip.INVITE, newBranch(), h.addr, p.addr))
	if err != nil {
		t.Fatal(err)
	}
	ctx = nil
	tx := sent.(*uatx.ClientTx)
	inv := parse(t, p.recvRaw()).(*sip.Request)
	p.send(h.addr, responseTo(inv, 200, "OK", "tag-a"))
	select {
	case <-finals:
	case <-time.After(wait):
		t.Fatal("the 200 was not delivered")
	}
	// The reader may still be returning from the function: collect until
	// nothing holds it, within the wait.
	for deadline := time.Now().Add(wait); held.Value() != nil; {
		if time.Now().After(deadline) {
			t.Fatal("the lingering transaction still holds its Delivery")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	notDone(t, tx.Done(), "transaction lingering for Timer M")
}
