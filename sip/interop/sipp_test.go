// Package interop drives the in-process ocmsim registrar and forking proxy
// with SIPp: three SIPp UAS instances register as the three devices of one
// user, a SIPp UAC calls the user's number from the operator trunk, all three
// ring, one answers and the proxy cancels the other two with
// `Reason: SIP;cause=200;text="Call completed elsewhere"`.
//
// The SIPp tests skip when sipp is not installed, unless the CI environment
// variable is set: then a missing sipp fails them. Everything runs on
// 127.0.0.1; every SIPp process is bounded by -m, a SIPp -timeout and a
// context deadline.
package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/scenarios"
	"ocmsim/sip/proxy"
	"ocmsim/sip/server"
)

// The tenant of testdata/tenant.yaml.
const (
	number   = "+15550001000"
	password = "s3cret"
)

var devices = []string{"u1000-1", "u1000-2", "u1000-3"} // teams-mobile, teams-desktop, teams-web

// sippTimeout bounds one SIPp process (its own -timeout is a little shorter).
const sippTimeout = 20 * time.Second

// requireSIPp returns the sipp binary, or skips the test when it is missing
// and CI is unset.
func requireSIPp(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("sipp")
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("sipp is not installed and CI is set (install the sip-tester package): %v", err)
	}
	t.Skipf("sipp is not installed (install the sip-tester package; CI unset): %v", err)
	return ""
}

// --- the server ---------------------------------------------------------------

// syncBuffer collects the server's log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServer runs the registrar + proxy on 127.0.0.1:<random> UDP with the
// tenant of testdata/tenant.yaml until the test ends.
func startServer(t *testing.T, tweak ...func(*server.Config)) *server.Server {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "tenant.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := scenarios.Parse("testdata/tenant.yaml", data)
	if err != nil {
		t.Fatalf("tenant: %v", err)
	}
	if f.Directory == nil {
		t.Fatal("tenant: no directory built")
	}
	var trunks []server.Trunk
	if f.Tenant != nil {
		for _, tr := range f.Tenant.Trunks {
			trunks = append(trunks, server.Trunk{ID: tr.ID, From: tr.From})
		}
	}
	psaps, err := f.Tenant.PSAPDirectory()
	if err != nil {
		t.Fatalf("tenant: %v", err)
	}
	logs := &syncBuffer{}
	cfg := server.Config{
		Directory:    f.Directory,
		Listen:       []server.Listen{{Transport: "udp", Addr: "127.0.0.1:0"}},
		Trunks:       trunks,
		PSAPs:        psaps,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		DrainTimeout: 2 * time.Second,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return within 10 s of the cancel")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	if srv.Addr("udp") == "" {
		t.Fatal("server has no UDP address")
	}
	return srv
}

// --- ports --------------------------------------------------------------------

// freeUDPPorts returns n distinct UDP ports of 127.0.0.1 that were free a
// moment ago (all bound at once, then closed).
func freeUDPPorts(t *testing.T, n int) []int {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		var conns []net.PacketConn
		var ports []int
		for len(conns) < n {
			c, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				lastErr = err
				break
			}
			conns = append(conns, c)
			ports = append(ports, c.LocalAddr().(*net.UDPAddr).Port)
		}
		for _, c := range conns {
			c.Close()
		}
		if len(ports) == n {
			return ports
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %d free UDP ports on 127.0.0.1: %v", n, lastErr)
	return nil
}

// udpBound reports whether some socket is bound to UDP port on loopback or
// any address (from /proc/net/udp; ok is false where that file is missing).
func udpBound(port int) (bound, ok bool) {
	data, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return false, false
	}
	suffix := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(data), "\n")[1:] {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		local := fields[1]
		if strings.HasSuffix(local, suffix) &&
			(strings.HasPrefix(local, "0100007F:") || strings.HasPrefix(local, "00000000:")) {
			return true, true
		}
	}
	return false, true
}

// --- SIPp processes -----------------------------------------------------------

// sipp is one SIPp process with its own working directory (the trace files).
type sipp struct {
	name   string
	dir    string
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
	err    error
	stop   context.CancelFunc // kills the process
}

// startSIPp starts sipp with args (run in its own temporary directory with
// -trace_err and -trace_msg) and stops it, at the latest, when ctx ends.
func startSIPp(ctx context.Context, t *testing.T, bin, name string, args ...string) *sipp {
	t.Helper()
	p := &sipp{name: name, dir: t.TempDir(), done: make(chan struct{})}
	args = append(args, "-nostdin", "-trace_err", "-trace_msg",
		"-timeout", strconv.Itoa(int(sippTimeout/time.Second)-5)+"s")
	ctx, cancel := context.WithTimeout(ctx, sippTimeout)
	p.stop = cancel
	p.cmd = exec.CommandContext(ctx, bin, args...)
	p.cmd.Dir = p.dir
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 2 * time.Second
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: start sipp: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		// A test that failed early may leave SIPp running: stop it.
		cancel()
		<-p.done
		if t.Failed() {
			p.report(t)
		}
	})
	return p
}

// wait waits for the process and returns its exit code (-1 when killed).
func (p *sipp) wait() int {
	<-p.done
	if p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// exited reports whether the process has ended.
func (p *sipp) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// expectExit fails the test unless the process exits with want.
func (p *sipp) expectExit(t *testing.T, want int) {
	t.Helper()
	if got := p.wait(); got != want {
		t.Errorf("%s: sipp exited %d (%v), want %d", p.name, got, p.err, want)
	}
}

// report logs the command, stdout, stderr and the SIPp log files.
func (p *sipp) report(t *testing.T) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "=== %s: %s (exit %v)\n", p.name, strings.Join(p.cmd.Args, " "), p.err)
	fmt.Fprintf(&b, "--- stdout\n%s\n--- stderr\n%s\n", tail(p.stdout.String(), 4000), p.stderr.String())
	logs, _ := filepath.Glob(filepath.Join(p.dir, "*.log"))
	slices.Sort(logs)
	for _, l := range logs {
		data, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", filepath.Base(l), tail(string(data), 12000))
	}
	t.Log(b.String())
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "[...]\n" + s[len(s)-n:]
}

// scenario is the absolute path of a testdata scenario.
func scenario(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitBound waits until every port is bound (by the SIPp UAS processes).
func waitBound(t *testing.T, ports []int, procs []*sipp) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		all := true
		for _, port := range ports {
			bound, ok := udpBound(port)
			if !ok { // no /proc: give SIPp a moment
				time.Sleep(300 * time.Millisecond)
				return
			}
			all = all && bound
		}
		if all {
			return
		}
		for _, p := range procs {
			if p.exited() {
				t.Fatalf("%s: sipp exited early (%v)", p.name, p.err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("SIPp UAS did not bind ports %v within 5 s", ports)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeInjection writes a SIPp injection (-inf) file.
func writeInjection(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "inject.csv")
	data := "SEQUENTIAL\n" + strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// --- the fork test ------------------------------------------------------------

// forkCall runs the interop scenario: answer is the index of the device that
// answers; ruri and touri build the called URI from the server's "ip:port".
func forkCall(t *testing.T, answer int, ruri, touri func(srvAddr string) string) {
	bin := requireSIPp(t)
	start := time.Now()
	srv := startServer(t)
	srvAddr := srv.Addr("udp")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	ports := freeUDPPorts(t, len(devices)+2)
	uasPorts, regPort, uacPort := ports[:len(devices)], ports[len(devices)], ports[len(devices)+1]

	// 1. The three devices' UAS, waiting for the forked INVITE.
	var uas []*sipp
	for i, dev := range devices {
		scn := "uas-ring.xml"
		if i == answer {
			scn = "uas-answer.xml"
		}
		uas = append(uas, startSIPp(ctx, t, bin, fmt.Sprintf("uas %s (%s)", dev, scn),
			"-sf", scenario(t, scn), "-i", "127.0.0.1", "-p", strconv.Itoa(uasPorts[i]), "-m", "1"))
	}
	waitBound(t, uasPorts, uas)

	// 2. Register them: REGISTER -> 401 -> REGISTER with MD5 digest -> 200.
	var lines []string
	for i, dev := range devices {
		lines = append(lines, fmt.Sprintf("%s;%s;127.0.0.1;%d", dev, password, uasPorts[i]))
	}
	reg := startSIPp(ctx, t, bin, "register", srvAddr,
		"-sf", scenario(t, "register-auth.xml"), "-inf", writeInjection(t, lines...),
		"-i", "127.0.0.1", "-p", strconv.Itoa(regPort), "-m", strconv.Itoa(len(devices)), "-r", "100")
	reg.expectExit(t, 0)
	if t.Failed() {
		return
	}
	for i, dev := range devices {
		bs := srv.Bindings().Contacts(dev, time.Now())
		want := fmt.Sprintf("127.0.0.1:%d", uasPorts[i])
		if len(bs) != 1 || !strings.Contains(bs[0].Contact, want) {
			t.Fatalf("device %s: bindings %+v, want one contact at %s", dev, bs, want)
		}
	}

	// 3. The call from the operator trunk (loopback, no credentials).
	uac := startSIPp(ctx, t, bin, "uac", srvAddr,
		"-sf", scenario(t, "uac-call.xml"), "-set", "ruri", ruri(srvAddr), "-set", "touri", touri(srvAddr),
		"-i", "127.0.0.1", "-p", strconv.Itoa(uacPort), "-m", "1", "-d", "100")
	uac.expectExit(t, 0)
	if t.Failed() { // the UAS would wait for their timeouts: stop them now
		time.Sleep(500 * time.Millisecond)
		for _, p := range uas {
			p.stop()
		}
	}
	for _, p := range uas {
		p.expectExit(t, 0)
	}
	if t.Failed() {
		return
	}

	// 4. The proxy's own record of the call agrees.
	rec := lastCall(t, srv)
	if rec.Outcome != proxy.OutcomeAnswered || rec.Status != 200 || rec.AnsweredBy != devices[answer] {
		t.Errorf("call record: outcome %s, status %d, answered by %q; want answered, 200, %s",
			rec.Outcome, rec.Status, rec.AnsweredBy, devices[answer])
	}
	if len(rec.Branches) != len(devices) {
		t.Fatalf("call record: %d branches, want %d: %+v", len(rec.Branches), len(devices), rec.Branches)
	}
	for _, br := range rec.Branches {
		if br.Device == devices[answer] {
			if br.Status != 200 || !br.CancelledAt.IsZero() {
				t.Errorf("answering branch %s: status %d, cancelled at %v", br.Device, br.Status, br.CancelledAt)
			}
			continue
		}
		if br.Status != 487 || !br.CancelSent || br.CancelReason != proxy.CompletedElsewhere {
			t.Errorf("branch %s: status %d, cancel sent %v, reason %q; want 487, true, %q",
				br.Device, br.Status, br.CancelSent, br.CancelReason, proxy.CompletedElsewhere)
		}
	}
	t.Logf("fork call (%s answers) done in %v", devices[answer], time.Since(start).Round(time.Millisecond))
}

// lastCall waits (briefly) for the proxy's record of a finished call.
func lastCall(t *testing.T, srv *server.Server) proxy.CallRecord {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if recs := srv.Proxy().Recent(1); len(recs) == 1 && !recs[0].End.IsZero() {
			return recs[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("the proxy recorded no finished call")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSIPpForkCancelsOtherDevices: three SIPp UAS register as the devices of
// one user, a SIPp UAC calls sip:<number>@proxy, all three get the INVITE, the
// teams-mobile device answers and the other two get CANCEL with
// Reason: SIP;cause=200;text="Call completed elsewhere".
func TestSIPpForkCancelsOtherDevices(t *testing.T) {
	forkCall(t, 0,
		func(a string) string { return "sip:" + number + "@" + a },
		func(a string) string { return "sip:" + number + "@" + a })
}

// TestSIPpForkUserPhoneURI: the same call with the number as
// sip:<number>@proxy;user=phone; the teams-desktop device answers.
func TestSIPpForkUserPhoneURI(t *testing.T) {
	forkCall(t, 1,
		func(a string) string { return "sip:" + number + "@" + a + ";user=phone" },
		func(a string) string { return "sip:" + number + "@" + a + ";user=phone" })
}

// TestSIPpForkTelURI: the same call to tel:<number> (sipgo keeps a tel: URI
// unparsed in Uri.Raw(); the server must still find the number); the
// teams-web device answers.
func TestSIPpForkTelURI(t *testing.T) {
	forkCall(t, 2,
		func(string) string { return "tel:" + number },
		func(string) string { return "tel:" + number })
}

// --- registration failure -----------------------------------------------------

// TestSIPpRegisterWrongPassword: a device answering the challenge with a
// wrong password is not registered; SIPp gets a second 401 (or 403) instead
// of the 200 the scenario expects and exits 1.
func TestSIPpRegisterWrongPassword(t *testing.T) {
	bin := requireSIPp(t)
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ports := freeUDPPorts(t, 2)

	reg := startSIPp(ctx, t, bin, "register (wrong password)", srv.Addr("udp"),
		"-sf", scenario(t, "register-auth.xml"),
		"-inf", writeInjection(t, fmt.Sprintf("%s;wrong-%s;127.0.0.1;%d", devices[0], password, ports[0])),
		"-i", "127.0.0.1", "-p", strconv.Itoa(ports[1]), "-m", "1")
	reg.expectExit(t, 1)
	if srv.Bindings().Registered(devices[0], time.Now()) {
		t.Errorf("device %s is registered with a wrong password", devices[0])
	}
	// Both REGISTERs were refused: two 401s (or a 401, then a 403).
	msgs, _ := filepath.Glob(filepath.Join(reg.dir, "*_messages.log"))
	if len(msgs) != 1 {
		t.Fatalf("SIPp message logs: %v", msgs)
	}
	data, err := os.ReadFile(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	n401, n403 := strings.Count(string(data), "SIP/2.0 401 "), strings.Count(string(data), "SIP/2.0 403 ")
	if n401+n403 < 2 || n401 < 1 || strings.Contains(string(data), "SIP/2.0 200 ") {
		t.Errorf("want 401 and then 401/403, no 200; got %d×401, %d×403:\n%s", n401, n403, data)
	}
}

// --- the scenario's own check -------------------------------------------------

// TestSIPpRingScenarioChecksReason checks uas-ring.xml without the proxy: it
// accepts a CANCEL with Reason: SIP;cause=200;text="Call completed elsewhere"
// and fails (exit 1) on a CANCEL without it or with another Reason.
func TestSIPpRingScenarioChecksReason(t *testing.T) {
	bin := requireSIPp(t)
	for _, tc := range []struct {
		name, header string
		want         int
	}{
		{"completed-elsewhere", `Reason: SIP;cause=200;text="Call completed elsewhere"`, 0},
		{"no-reason", "Subject: no Reason header", 1},
		{"other-reason", `Reason: SIP;cause=487;text="Request Terminated"`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ports := freeUDPPorts(t, 2)
			uas := startSIPp(ctx, t, bin, "uas-ring", "-sf", scenario(t, "uas-ring.xml"),
				"-i", "127.0.0.1", "-p", strconv.Itoa(ports[0]), "-m", "1")
			waitBound(t, ports[:1], []*sipp{uas})
			uac := startSIPp(ctx, t, bin, "uac-cancel", "127.0.0.1:"+strconv.Itoa(ports[0]),
				"-sf", scenario(t, "uac-cancel.xml"), "-set", "reasonhdr", tc.header,
				"-i", "127.0.0.1", "-p", strconv.Itoa(ports[1]), "-m", "1")
			uas.expectExit(t, tc.want)
			uac.stop() // its result does not matter here
			uac.wait()
		})
	}
}

// TestSIPpAnswerScenarioFailsOnCancel checks uas-answer.xml without the
// proxy: a CANCEL during its ring time fails it (exit 1), whatever the Reason.
func TestSIPpAnswerScenarioFailsOnCancel(t *testing.T) {
	bin := requireSIPp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ports := freeUDPPorts(t, 2)
	uas := startSIPp(ctx, t, bin, "uas-answer", "-sf", scenario(t, "uas-answer.xml"),
		"-i", "127.0.0.1", "-p", strconv.Itoa(ports[0]), "-m", "1")
	waitBound(t, ports[:1], []*sipp{uas})
	uac := startSIPp(ctx, t, bin, "uac-cancel", "127.0.0.1:"+strconv.Itoa(ports[0]),
		"-sf", scenario(t, "uac-cancel.xml"),
		"-set", "reasonhdr", `Reason: SIP;cause=200;text="Call completed elsewhere"`,
		"-i", "127.0.0.1", "-p", strconv.Itoa(ports[1]), "-m", "1")
	uas.expectExit(t, 1)
	uac.stop()
	uac.wait()
}

// --- digest challenge order ---------------------------------------------------

// TestFirstChallengeIsNotSHA256: SIPp 3.6.1 reads only the first
// WWW-Authenticate and aborts on algorithm=SHA-256, so the server's 401 to a
// REGISTER must offer MD5 first. Plain UDP; needs no SIPp.
func TestFirstChallengeIsNotSHA256(t *testing.T) {
	srv := startServer(t)
	conn, err := net.Dial("udp4", srv.Addr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	req := strings.Join([]string{
		"REGISTER sip:" + srv.Addr("udp") + " SIP/2.0",
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-interop-1;rport",
		"From: <sip:" + devices[0] + "@" + srv.Addr("udp") + ">;tag=interop1",
		"To: <sip:" + devices[0] + "@" + srv.Addr("udp") + ">",
		"Call-ID: interop-challenge-1@127.0.0.1",
		"CSeq: 1 REGISTER",
		"Contact: <sip:" + devices[0] + "@" + local + ">",
		"Max-Forwards: 70",
		"Expires: 60",
		"Content-Length: 0",
		"", "",
	}, "\r\n")
	var res *sip.Response
	buf := make([]byte, 65535)
	for attempt := 0; attempt < 4 && res == nil; attempt++ { // UDP: retransmit like Timer E
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		for res == nil {
			conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			n, err := conn.Read(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				if errors.Is(err, io.EOF) {
					break
				}
				t.Fatal(err)
			}
			msg, err := sip.ParseMessage(buf[:n])
			if err != nil {
				t.Fatalf("parse %q: %v", buf[:n], err)
			}
			if r, ok := msg.(*sip.Response); ok && r.StatusCode >= 200 {
				res = r
			}
		}
	}
	if res == nil {
		t.Fatal("no final response to REGISTER")
	}
	if res.StatusCode != 401 {
		t.Fatalf("REGISTER without credentials: %d %s, want 401", res.StatusCode, res.Reason)
	}
	hs := res.GetHeaders("WWW-Authenticate")
	if len(hs) == 0 {
		t.Fatal("401 without WWW-Authenticate")
	}
	first := hs[0].Value()
	alg := strings.ToUpper(digestParam(first, "algorithm"))
	if alg != "" && alg != "MD5" {
		t.Errorf("first WWW-Authenticate offers algorithm=%s, want MD5 (SIPp 3.6.1 cannot answer it): %s", alg, first)
	}
	for i, h := range hs {
		t.Logf("WWW-Authenticate #%d: %s", i+1, h.Value())
	}
}

// digestParam returns one parameter of a Digest challenge.
func digestParam(h, name string) string {
	for _, part := range strings.Split(strings.TrimPrefix(strings.TrimSpace(h), "Digest"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// TestSIPpEmergencyCall: a SIPp UAC plays the user's native dialer and
// dials 911 with its serving cell in P-Access-Network-Info, answering the
// proxy's 407 with the device's credentials; a SIPp UAS plays the PSAP and
// checks Priority, P-Asserted-Identity, Geolocation, Geolocation-Routing and
// the PIDF-LO Circle of the cell (uas-psap.xml).
func TestSIPpEmergencyCall(t *testing.T) {
	bin := requireSIPp(t)
	ports := freeUDPPorts(t, 2)
	psapPort, uacPort := ports[0], ports[1]
	srv := startServer(t, func(c *server.Config) { c.PSAPProxy = fmt.Sprintf("127.0.0.1:%d", psapPort) })
	srvAddr := srv.Addr("udp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	psap := startSIPp(ctx, t, bin, "uas psap", "-sf", scenario(t, "uas-psap.xml"),
		"-i", "127.0.0.1", "-p", strconv.Itoa(psapPort), "-m", "1")
	waitBound(t, []int{psapPort}, []*sipp{psap})
	uac := startSIPp(ctx, t, bin, "uac native dialer", srvAddr, "-sf", scenario(t, "uac-emergency.xml"),
		"-s", "u1000-native", "-au", "u1000-native", "-ap", password,
		"-set", "ruri", "sip:911@"+srvAddr+";user=phone", "-set", "cell", "310260000a1b2c3d",
		"-i", "127.0.0.1", "-p", strconv.Itoa(uacPort), "-m", "1", "-d", "100")
	uac.expectExit(t, 0)
	if t.Failed() {
		psap.stop()
	}
	psap.expectExit(t, 0)
	if t.Failed() {
		return
	}
	rec := lastCall(t, srv)
	if rec.Status != 200 || rec.Labels["psap"] != "psap-king" || rec.Labels["source"] != "Cell" || rec.Labels["path"] != "operator" {
		t.Errorf("call record: status %d, labels %v; want 200 to psap-king from the cell on the operator path", rec.Status, rec.Labels)
	}
}
