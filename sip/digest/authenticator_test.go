package digest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	icdigest "github.com/icholy/digest"

	"ocmsim/internal/fakeclock"
)

func newTestAuth(algs ...string) (*Authenticator, *fakeclock.Clock) {
	clk := fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	return &Authenticator{Realm: "ocm.test", Algorithms: algs, Now: clk.Now}, clk
}

var users = map[string]string{"alice": "secret", "bob": "hunter2"}

func lookup(u string) (string, bool) {
	p, ok := users[u]
	return p, ok
}

// answer computes credentials with icholy/digest's client side, independent
// of the server code under test.
func answer(t testing.TB, challenge, method, uri, user, pass string, nc int) string {
	t.Helper()
	ch, err := icdigest.ParseChallenge(challenge)
	if err != nil {
		t.Fatalf("parse challenge %q: %v", challenge, err)
	}
	cred, err := icdigest.Digest(ch, icdigest.Options{
		Method: method, URI: uri, Username: user, Password: pass, Count: nc, Cnonce: "0a1b2c3d",
	})
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return cred.String()
}

// field returns the value of one parameter of a challenge.
func field(t testing.TB, challenge, name string) string {
	t.Helper()
	ch, err := icdigest.ParseChallenge(challenge)
	if err != nil {
		t.Fatal(err)
	}
	switch name {
	case "nonce":
		return ch.Nonce
	case "algorithm":
		return ch.Algorithm
	case "realm":
		return ch.Realm
	}
	t.Fatalf("unknown field %q", name)
	return ""
}

const uri = "sip:ocm.test"

func TestChallenge(t *testing.T) {
	a, _ := newTestAuth()
	vals := a.Challenge(false)
	if len(vals) != 2 {
		t.Fatalf("got %d challenges, want 2", len(vals))
	}
	for i, want := range []string{"MD5", "SHA-256"} {
		ch, err := icdigest.ParseChallenge(vals[i])
		if err != nil {
			t.Fatal(err)
		}
		if ch.Algorithm != want || ch.Realm != "ocm.test" || !ch.SupportsQOP("auth") || ch.Stale {
			t.Errorf("challenge %d = %+v, want algorithm %s, realm ocm.test, qop auth, not stale", i, ch, want)
		}
	}
	if !strings.Contains(a.Challenge(true)[0], "stale=true") {
		t.Errorf("stale challenge lacks stale=true: %s", a.Challenge(true)[0])
	}
	if n1, n2 := field(t, a.Challenge(false)[0], "nonce"), field(t, a.Challenge(false)[0], "nonce"); n1 == n2 {
		t.Errorf("two challenges share nonce %q", n1)
	}
	var zero Authenticator
	if got := field(t, zero.Challenge(false)[0], "realm"); got != DefaultRealm {
		t.Errorf("zero Authenticator realm = %q, want %q", got, DefaultRealm)
	}
}

func TestVerify(t *testing.T) {
	type step struct {
		advance time.Duration
		header  func(t testing.TB, chal string) string
		want    Result
	}
	ok := func(user, pass string, nc int) func(testing.TB, string) string {
		return func(t testing.TB, chal string) string { return answer(t, chal, "REGISTER", uri, user, pass, nc) }
	}
	raw := func(format string) func(testing.TB, string) string {
		return func(t testing.TB, chal string) string {
			return strings.ReplaceAll(format, "NONCE", field(t, chal, "nonce"))
		}
	}
	tests := []struct {
		name  string
		algs  []string
		pick  int // which challenge value the client answers
		steps []step
	}{
		{name: "md5", steps: []step{{header: ok("alice", "secret", 1), want: OK}}},
		{name: "sha-256", pick: 1, steps: []step{{header: ok("alice", "secret", 1), want: OK}}},
		{name: "sha-512-256", algs: []string{"SHA-512-256"}, steps: []step{{header: ok("bob", "hunter2", 1), want: OK}}},
		{name: "wrong password", steps: []step{{header: ok("alice", "wrong", 1), want: Invalid}}},
		{name: "unknown user", steps: []step{{header: ok("mallory", "secret", 1), want: Invalid}}},
		{name: "stale nonce", steps: []step{{advance: DefaultNonceTTL + time.Second, header: ok("alice", "secret", 1), want: Stale}}},
		{name: "stale nonce wrong password", steps: []step{{advance: DefaultNonceTTL + time.Second, header: ok("alice", "nope", 1), want: Invalid}}},
		{name: "replay same nc", steps: []step{
			{header: ok("alice", "secret", 1), want: OK},
			{header: ok("alice", "secret", 1), want: Replay},
			{header: ok("alice", "secret", 2), want: OK},
			{header: ok("alice", "secret", 2), want: Replay},
		}},
		{name: "lower nc", steps: []step{
			{header: ok("alice", "secret", 5), want: OK},
			{header: ok("alice", "secret", 3), want: Replay},
		}},
		{name: "failed attempt does not burn nc", steps: []step{
			{header: ok("alice", "wrong", 1), want: Invalid},
			{header: ok("alice", "secret", 1), want: OK},
		}},
		{name: "tampered nonce", steps: []step{{header: func(t testing.TB, chal string) string {
			n := field(t, chal, "nonce")
			c := byte('A')
			if n[5] == 'A' {
				c = 'B'
			}
			forged := n[:5] + string(c) + n[6:]
			return answer(t, strings.Replace(chal, n, forged, 1), "REGISTER", uri, "alice", "secret", 1)
		}, want: Invalid}}},
		{name: "nonce from another key", steps: []step{{header: func(t testing.TB, _ string) string {
			other, _ := newTestAuth()
			return answer(t, other.Challenge(false)[0], "REGISTER", uri, "alice", "secret", 1)
		}, want: Invalid}}},
		{name: "other realm is missing", steps: []step{{header: func(t testing.TB, chal string) string {
			return answer(t, strings.Replace(chal, `realm="ocm.test"`, `realm="elsewhere"`, 1), "REGISTER", uri, "alice", "secret", 1)
		}, want: Missing}}},
		{name: "algorithm not offered", algs: []string{"MD5"}, steps: []step{{header: func(t testing.TB, chal string) string {
			return answer(t, strings.Replace(chal, "algorithm=MD5", "algorithm=SHA-256", 1), "REGISTER", uri, "alice", "secret", 1)
		}, want: Invalid}}},
		{name: "upper-case response hex", steps: []step{{header: func(t testing.TB, chal string) string {
			h := answer(t, chal, "REGISTER", uri, "alice", "secret", 1)
			i := strings.Index(h, `response="`) + len(`response="`)
			return h[:i] + strings.ToUpper(h[i:])
		}, want: OK}}},
		{name: "method mismatch", steps: []step{{header: func(t testing.TB, chal string) string {
			return answer(t, chal, "INVITE", uri, "alice", "secret", 1)
		}, want: Invalid}}},
		{name: "no qop used once", steps: []step{
			{header: noQOP("alice", "secret"), want: OK},
			{header: noQOP("alice", "secret"), want: Replay},
		}},
		{name: "qop without cnonce", steps: []step{{header: raw(`Digest username="alice", realm="ocm.test", nonce="NONCE", uri="sip:ocm.test", qop=auth, nc=00000001, response="00"`), want: Invalid}}},
		{name: "qop without nc", steps: []step{{header: raw(`Digest username="alice", realm="ocm.test", nonce="NONCE", uri="sip:ocm.test", qop=auth, cnonce="x", response="00"`), want: Invalid}}},
		{name: "qop auth-int", steps: []step{{header: raw(`Digest username="alice", realm="ocm.test", nonce="NONCE", uri="sip:ocm.test", qop=auth-int, cnonce="x", nc=00000001, response="00"`), want: Invalid}}},
		{name: "negative nc", steps: []step{{header: raw(`Digest username="alice", realm="ocm.test", nonce="NONCE", uri="sip:ocm.test", qop=auth, cnonce="x", nc=-1, response="00"`), want: Invalid}}},
		{name: "missing username", steps: []step{{header: raw(`Digest realm="ocm.test", nonce="NONCE", uri="sip:ocm.test", response="00"`), want: Invalid}}},
		{name: "empty header", steps: []step{{header: raw(""), want: Missing}}},
		{name: "basic scheme", steps: []step{{header: raw("Basic YWxpY2U6c2VjcmV0"), want: Invalid}}},
		{name: "garbage", steps: []step{{header: raw(`Digest username="alice, realm=`), want: Invalid}}},
		{name: "oversized", steps: []step{{header: raw("Digest username=\"" + strings.Repeat("a", 5000) + "\""), want: Invalid}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, clk := newTestAuth(tc.algs...)
			chal := a.Challenge(false)[tc.pick]
			for i, s := range tc.steps {
				clk.Advance(s.advance)
				h := s.header(t, chal)
				user, got := a.Verify("REGISTER", h, lookup)
				if got != s.want {
					t.Fatalf("step %d: Verify(%q) = %v, want %v", i, h, got, s.want)
				}
				if got == OK && user == "" {
					t.Errorf("step %d: OK without username", i)
				}
			}
		})
	}
}

// noQOP answers a challenge the RFC 2069 way (no qop, cnonce, nc).
func noQOP(user, pass string) func(testing.TB, string) string {
	return func(t testing.TB, chal string) string {
		ch, err := icdigest.ParseChallenge(chal)
		if err != nil {
			t.Fatal(err)
		}
		ch.QOP = nil
		cred, err := icdigest.Digest(ch, icdigest.Options{Method: "REGISTER", URI: uri, Username: user, Password: pass})
		if err != nil {
			t.Fatal(err)
		}
		return cred.String()
	}
}

func TestVerifyTrackerOverflow(t *testing.T) {
	a, clk := newTestAuth()
	a.MaxTrackedNonces = 2
	var held []string
	for i := range 2 {
		ch := a.Challenge(false)[0]
		held = append(held, ch)
		if _, got := a.Verify("REGISTER", answer(t, ch, "REGISTER", uri, "alice", "secret", 1), lookup); got != OK {
			t.Fatalf("nonce %d: %v, want OK", i, got)
		}
	}
	clk.Advance(time.Millisecond)
	ch := a.Challenge(false)[0]
	if _, got := a.Verify("REGISTER", answer(t, ch, "REGISTER", uri, "alice", "secret", 1), lookup); got != Stale {
		t.Fatalf("overflow: %v, want Stale", got)
	}
	// Nonces issued before the reset can no longer be replayed.
	if _, got := a.Verify("REGISTER", answer(t, held[0], "REGISTER", uri, "alice", "secret", 1), lookup); got != Stale {
		t.Fatalf("old nonce after reset: %v, want Stale", got)
	}
	clk.Advance(time.Millisecond)
	ch = a.Challenge(false)[0]
	if _, got := a.Verify("REGISTER", answer(t, ch, "REGISTER", uri, "alice", "secret", 1), lookup); got != OK {
		t.Fatalf("fresh nonce after reset: %v, want OK", got)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	a, _ := newTestAuth()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Go(func() {
			ch := a.Challenge(false)[g%2]
			for nc := 1; nc <= 20; nc++ {
				if _, got := a.Verify("REGISTER", answer(t, ch, "REGISTER", uri, "alice", "secret", nc), lookup); got != OK {
					errs <- fmt.Errorf("goroutine %d nc %d: %v", g, nc, got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestResultString(t *testing.T) {
	for r, want := range map[Result]string{Invalid: "invalid", OK: "ok", Missing: "missing", Stale: "stale", Replay: "replay", 99: "unknown"} {
		if r.String() != want {
			t.Errorf("Result(%d).String() = %q, want %q", r, r.String(), want)
		}
	}
}
