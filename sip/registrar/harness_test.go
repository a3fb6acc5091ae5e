package registrar

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	icdigest "github.com/icholy/digest"
	"go.uber.org/goleak"

	"ocmsim/sip/digest"

	"ocmsim/internal/fakeclock"
)

func TestMain(m *testing.M) {
	sip.SetTimers(10*time.Millisecond, 40*time.Millisecond, 50*time.Millisecond)
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	goleak.VerifyTestMain(m)
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

var testAccounts = AccountsFunc(func(username string) (Account, bool) {
	switch username {
	case "alice":
		return Account{Device: "alice-desk", Kind: "teams-desktop", Password: "secret"}, true
	case "bob":
		return Account{Device: "bob-phone", Password: "hunter2", AOR: "sip:+14255550100@ocm.test"}, true
	}
	return Account{}, false
})

// harness is a registrar behind a real sipgo server on 127.0.0.1 UDP and a
// sipgo client on its own socket.
type harness struct {
	t      *testing.T
	clock  *fakeclock.Clock
	reg    *Registrar
	events *recorder
	port   int
	client *sipgo.Client
}

// newHarness starts the registrar; configure may adjust it before it serves.
func newHarness(t *testing.T, configure func(*Registrar), uaOpts ...sipgo.UserAgentOption) *harness {
	t.Helper()
	clk := fakeclock.New(t0)
	rec := &recorder{}
	reg := &Registrar{
		Accounts: testAccounts,
		Domain:   "ocm.test",
		Now:      clk.Now,
		Logger:   discard,
		Bindings: &Bindings{OnChange: rec.record},
		Auth:     &digest.Authenticator{Realm: "ocm.test", Now: clk.Now},
	}
	if configure != nil {
		configure(reg)
	}
	srvAddr := serve(t, reg.HandleRegister, uaOpts...)
	// The client lets sipgo open its own loopback socket on first use, which
	// avoids racing ServeUDP's registration of a shared listener.
	cua, err := sipgo.NewUA(sipgo.WithUserAgent("test-phone"), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(cua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cua.Close() })
	return &harness{t: t, clock: clk, reg: reg, events: rec, port: srvAddr.Port, client: client}
}

// serve runs handler as the REGISTER handler of a sipgo server on a fresh
// loopback UDP socket until the test ends.
func serve(t *testing.T, handler sipgo.RequestHandler, uaOpts ...sipgo.UserAgentOption) *net.UDPAddr {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ua, err := sipgo.NewUA(append([]sipgo.UserAgentOption{sipgo.WithUserAgent("ocmsim-registrar")}, uaOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(handler)
	done := make(chan struct{})
	go func() { defer close(done); srv.ServeUDP(pc) }()
	t.Cleanup(func() { ua.Close(); pc.Close(); <-done })
	return pc.LocalAddr().(*net.UDPAddr)
}

// request builds a REGISTER for user's AOR with a fresh Call-ID.
func (h *harness) request(user string, contacts ...string) *sip.Request {
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: h.port})
	aor := sip.Uri{Scheme: "sip", User: user, Host: "ocm.test"}
	from := &sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	cid := sip.CallIDHeader(sip.GenerateTagN(16))
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.REGISTER})
	for _, c := range contacts {
		req.AppendHeader(sip.NewHeader("Contact", c))
	}
	return req
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// send sends req as is and returns the final response.
func (h *harness) send(req *sip.Request) *sip.Response {
	h.t.Helper()
	res, err := h.client.Do(h.ctx(), req)
	if err != nil {
		h.t.Fatalf("send REGISTER: %v", err)
	}
	return res
}

// register sends req, answers a 401 with user's password and returns the
// final response.
func (h *harness) register(req *sip.Request, user, password string) *sip.Response {
	h.t.Helper()
	res := h.send(req)
	if res.StatusCode != 401 {
		return res
	}
	res, err := h.client.DoDigestAuth(h.ctx(), req, res, sipgo.DigestAuth{Username: user, Password: password})
	if err != nil {
		h.t.Fatalf("REGISTER with credentials: %v", err)
	}
	return res
}

// resend sends req again with the next CSeq and a new branch, keeping any
// Authorization header.
func (h *harness) resend(req *sip.Request) *sip.Response {
	h.t.Helper()
	req.CSeq().SeqNo++
	req.RemoveHeader("Via")
	res, err := h.client.Do(h.ctx(), req, sipgo.ClientRequestAddVia)
	if err != nil {
		h.t.Fatalf("resend REGISTER: %v", err)
	}
	return res
}

// reauth replaces the Authorization of req with one for the same nonce and
// nonce count nc, as a client refreshing its registration does.
func (h *harness) reauth(req *sip.Request, password string, nc int) {
	h.t.Helper()
	cr, err := icdigest.ParseCredentials(headerValue(req, "Authorization"))
	if err != nil {
		h.t.Fatalf("request has no credentials: %v", err)
	}
	ch := &icdigest.Challenge{Realm: cr.Realm, Nonce: cr.Nonce, Algorithm: cr.Algorithm, QOP: []string{"auth"}}
	cred, err := icdigest.Digest(ch, icdigest.Options{
		Method: "REGISTER", URI: cr.URI, Username: cr.Username, Password: password, Count: nc,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	req.RemoveHeader("Authorization")
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
}

// contacts returns the Contact headers of a response.
func contacts(res *sip.Response) []*sip.ContactHeader {
	var out []*sip.ContactHeader
	for _, h := range res.GetHeaders("Contact") {
		if c, ok := h.(*sip.ContactHeader); ok {
			out = append(out, c)
		}
	}
	return out
}

// contactSummary renders the contacts of a response as "host:port expires".
func contactSummary(res *sip.Response) string {
	var parts []string
	for _, c := range contacts(res) {
		exp, _ := c.Params.Get("expires")
		parts = append(parts, c.Address.HostPort()+" "+exp)
	}
	return strings.Join(parts, ", ")
}

func headerValue(m interface{ GetHeader(string) sip.Header }, name string) string {
	if h := m.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// raw sends req, as it is but for its top Via's address, from a fresh
// socket and returns the response: a retransmission as the server sees it.
func (h *harness) raw(req *sip.Request) *sip.Response {
	h.t.Helper()
	conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: h.port})
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	r := req.Clone()
	local := conn.LocalAddr().(*net.UDPAddr)
	r.Via().Host, r.Via().Port = "127.0.0.1", local.Port
	if _, err := conn.Write([]byte(r.String())); err != nil {
		h.t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		h.t.Fatalf("no answer to the retransmission: %v", err)
	}
	m, err := sip.ParseMessage(buf[:n])
	if err != nil {
		h.t.Fatal(err)
	}
	res, ok := m.(*sip.Response)
	if !ok {
		h.t.Fatalf("got a %T", m)
	}
	return res
}
