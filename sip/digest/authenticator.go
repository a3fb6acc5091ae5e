// Package digest implements server-side HTTP Digest authentication for SIP
// (RFC 3261 §22, RFC 2617, RFC 7616 and RFC 8760 for SHA-256).
//
// An [Authenticator] issues challenges for WWW-Authenticate (401) or
// Proxy-Authenticate (407) and verifies the matching Authorization or
// Proxy-Authorization header values; the caller picks the header names.
// Nonces are stateless: they carry their issue time and an HMAC, so any
// Authenticator holding the same Key accepts them. Only the highest nonce
// count seen per nonce is remembered, to refuse replays.
package digest

import (
	"crypto/rand"
	"crypto/subtle"
	"strings"
	"sync"
	"time"

	icdigest "github.com/icholy/digest"
)

// Result is the outcome of [Authenticator.Verify]. The zero Result is Invalid.
type Result uint8

const (
	// Invalid means the credentials are malformed, name an unknown user,
	// carry a wrong response or a forged nonce. Answer with a fresh challenge.
	Invalid Result = iota
	// OK means the credentials are valid for a fresh, unused nonce count.
	OK
	// Missing means there are no credentials for this realm.
	Missing
	// Stale means the credentials are correct but the nonce has expired:
	// challenge again with stale=true so the client retries silently.
	Stale
	// Replay means the credentials are correct but the nonce count was
	// already used (or a nonce without qop was reused). Challenge again with
	// stale=true: a legitimate client then retries with a fresh nonce.
	Replay
)

var resultNames = [...]string{Invalid: "invalid", OK: "ok", Missing: "missing", Stale: "stale", Replay: "replay"}

// String returns the lower-case name of r.
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "unknown"
}

// Defaults applied when the corresponding Authenticator field is zero.
const (
	DefaultRealm           = "ocmsim"
	DefaultNonceTTL        = 5 * time.Minute
	DefaultMaxTrackedNonce = 1 << 18
)

// defaultAlgorithms is the offered order used when Algorithms is empty.
var defaultAlgorithms = []string{"MD5", "SHA-256"}

// maxHeaderLen bounds the credentials we are willing to parse.
const maxHeaderLen = 4096

// dummyPassword is hashed for unknown users so that they cost the same as
// known users with a wrong password.
const dummyPassword = "\x00ocmsim-no-such-user\x00"

// Authenticator issues digest challenges and verifies credentials.
// Its zero value is usable; fields must not change after first use.
// It is safe for concurrent use.
type Authenticator struct {
	// Realm is the protection realm; empty means DefaultRealm.
	Realm string
	// Algorithms lists the offered algorithms in order ("MD5", "SHA-256",
	// "SHA-512-256"); unknown names are skipped. Empty means MD5 then
	// SHA-256: MD5 comes first because some clients (SIPp 3.6.1) read only
	// the first challenge and give up on SHA-256.
	Algorithms []string
	// NonceTTL is how long a nonce stays fresh; zero means DefaultNonceTTL.
	NonceTTL time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Key is the HMAC key for nonces; nil means 32 random bytes chosen on
	// first use. Share it between instances that must accept each other's nonces.
	Key []byte
	// MaxTrackedNonces bounds the replay table; zero means
	// DefaultMaxTrackedNonce. When it overflows the table is reset and every
	// nonce issued until then is answered as stale.
	MaxTrackedNonces int

	once  sync.Once
	key   []byte
	algs  []string
	realm string
	ttl   time.Duration
	seen  nonceTracker
}

func (a *Authenticator) init() {
	a.once.Do(func() {
		a.key = a.Key
		if len(a.key) == 0 {
			a.key = make([]byte, 32)
			rand.Read(a.key) // never fails since Go 1.24
		}
		a.realm = a.Realm
		if a.realm == "" {
			a.realm = DefaultRealm
		}
		a.ttl = a.NonceTTL
		if a.ttl <= 0 {
			a.ttl = DefaultNonceTTL
		}
		src := a.Algorithms
		if len(src) == 0 {
			src = defaultAlgorithms
		}
		for _, alg := range src {
			alg = strings.ToUpper(strings.TrimSpace(alg))
			if _, ok := hashFor(alg); ok {
				a.algs = append(a.algs, alg)
			}
		}
		if len(a.algs) == 0 {
			a.algs = []string{"MD5"}
		}
		a.seen.max = a.MaxTrackedNonces
		if a.seen.max <= 0 {
			a.seen.max = DefaultMaxTrackedNonce
		}
	})
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// RealmName returns the realm in use (Realm, or DefaultRealm when empty).
func (a *Authenticator) RealmName() string {
	a.init()
	return a.realm
}

// Challenge returns one WWW-Authenticate / Proxy-Authenticate header value
// per offered algorithm, in order, all with qop="auth" and one fresh nonce.
// Set stale after a Stale or Replay result.
func (a *Authenticator) Challenge(stale bool) []string {
	a.init()
	nonce := a.newNonce(a.now())
	out := make([]string, 0, len(a.algs))
	for _, alg := range a.algs {
		ch := icdigest.Challenge{
			Realm:     a.realm,
			Nonce:     nonce,
			Stale:     stale,
			Algorithm: alg,
			QOP:       []string{"auth"},
		}
		out = append(out, ch.String())
	}
	return out
}

// Verify checks one Authorization (or Proxy-Authorization) header value for
// a request with the given method. lookup returns the user's password.
// It returns the username claimed in the credentials (also on failure, for
// logging) and the result. Credentials for another realm give Missing, so a
// caller can try each header value in turn. Unknown users and wrong
// passwords both give Invalid after the same amount of hashing.
func (a *Authenticator) Verify(method, header string, lookup func(username string) (password string, ok bool)) (string, Result) {
	a.init()
	if strings.TrimSpace(header) == "" {
		return "", Missing
	}
	if len(header) > maxHeaderLen {
		return "", Invalid
	}
	cr, err := icdigest.ParseCredentials(header)
	if err != nil {
		return "", Invalid
	}
	if cr.Realm != a.realm {
		return cr.Username, Missing
	}
	alg := strings.ToUpper(cr.Algorithm)
	if alg == "" {
		alg = "MD5"
	}
	newHash, ok := a.offered(alg)
	if !ok || cr.Username == "" || cr.Userhash || cr.URI == "" || cr.Response == "" {
		return cr.Username, Invalid
	}
	switch {
	case cr.QOP == "":
		if cr.Cnonce != "" || cr.Nc != 0 {
			return cr.Username, Invalid
		}
	case strings.EqualFold(cr.QOP, "auth"):
		if cr.Cnonce == "" || cr.Nc <= 0 {
			return cr.Username, Invalid
		}
	default:
		return cr.Username, Invalid
	}
	issued, ok := a.checkNonce(cr.Nonce)
	if !ok {
		return cr.Username, Invalid
	}

	password, known := "", false
	if lookup != nil {
		password, known = lookup(cr.Username)
	}
	if !known {
		password = dummyPassword
	}
	want := response(newHash, params{
		username: cr.Username, realm: a.realm, password: password,
		method: method, uri: cr.URI, nonce: cr.Nonce,
		nc: uint32(cr.Nc), cnonce: cr.Cnonce, qop: cr.QOP != "",
	})
	got := []byte(strings.ToLower(cr.Response))
	match := subtle.ConstantTimeCompare(want, got) == 1
	if !known || !match {
		return cr.Username, Invalid
	}

	now := a.now()
	age := now.Sub(issued)
	if age > a.ttl || age < -a.ttl {
		return cr.Username, Stale
	}
	switch a.seen.use(cr.Nonce, issued, uint32(cr.Nc), cr.QOP == "", now, a.ttl) {
	case useStale:
		return cr.Username, Stale
	case useReplay:
		return cr.Username, Replay
	}
	return cr.Username, OK
}

func (a *Authenticator) offered(alg string) (hashFunc, bool) {
	for _, o := range a.algs {
		if o == alg {
			return hashFor(alg)
		}
	}
	return nil, false
}
