package registrar

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/sip/digest"
)

// Defaults applied when the corresponding Registrar field is zero.
const (
	DefaultMinExpires     = 60 * time.Second
	DefaultMaxExpires     = 3600 * time.Second
	DefaultDefaultExpires = 3600 * time.Second
	DefaultMaxContacts    = 16
)

// KindTag is the contact feature tag (RFC 3840) a device may use to state its kind.
const KindTag = "+g.ocm.kind"

// PathMode says how the registrar treats the Path header (RFC 3327).
type PathMode uint8

const (
	// PathOn stores Path as the contact's route set and echoes it in the
	// 200 OK when the UA sent Supported: path. The zero value.
	PathOn PathMode = iota
	// PathStrict is PathOn, but a REGISTER carrying Path from a UA that did
	// not send Supported: path is refused with 421 and Require: path.
	PathStrict
	// PathOff ignores Path; Require: path gets 420.
	PathOff
)

// Registrar answers REGISTER requests and keeps the bindings. Its zero value
// authenticates with a default digest.Authenticator but knows no accounts;
// set the fields before first use.
type Registrar struct {
	// Accounts resolves authenticated usernames to devices.
	Accounts Accounts
	// Bindings stores the contacts; nil means a new, private store.
	Bindings *Bindings
	// Auth verifies credentials; nil means a digest.Authenticator for the
	// realm Domain (or digest.DefaultRealm).
	Auth *digest.Authenticator
	// DisableAuth trusts the To URI user without a challenge. Only for load
	// tests with simulated devices.
	DisableAuth bool
	// MinExpires, MaxExpires and DefaultExpires bound registration lifetimes
	// (whole seconds); zero means the Default* constants.
	MinExpires, MaxExpires, DefaultExpires time.Duration
	// MaxContacts limits the bindings per device; zero means DefaultMaxContacts.
	MaxContacts int
	// Domain is the host of default AORs and of GRUUs; empty means the To host.
	Domain string
	// Path selects the Path behaviour; the zero value supports Path.
	Path PathMode
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives diagnostics; nil means slog.Default().
	Logger *slog.Logger
	// TrustKind, if set, decides whether a contact's +g.ocm.kind value may
	// refine the account's kind: it returns the kind to store, or false to
	// refuse the REGISTER with 403. When nil, the tag is used only if the
	// account has no kind.
	TrustKind func(account Account, featureKind string) (kind string, ok bool)

	once sync.Once
}

func (r *Registrar) init() {
	r.once.Do(func() {
		if r.Bindings == nil {
			r.Bindings = &Bindings{}
		}
		if r.Auth == nil {
			r.Auth = &digest.Authenticator{Realm: r.Domain}
		}
		if r.MinExpires <= 0 {
			r.MinExpires = DefaultMinExpires
		}
		if r.MaxExpires <= 0 {
			r.MaxExpires = DefaultMaxExpires
		}
		if r.DefaultExpires <= 0 {
			r.DefaultExpires = DefaultDefaultExpires
		}
		if r.MaxContacts <= 0 {
			r.MaxContacts = DefaultMaxContacts
		}
	})
}

// Store returns the bindings store in use (Bindings, or the private default).
func (r *Registrar) Store() *Bindings {
	r.init()
	return r.Bindings
}

func (r *Registrar) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Registrar) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// HandleRegister answers one REGISTER (RFC 3261 §10.3). Use it with
// srv.OnRegister(r.HandleRegister). It never panics on input.
//
// The server transaction ends as soon as it is answered: sipgo would keep a
// completed UDP transaction for Timer J (32 s), about 3.7 KB each, two per
// registration with a digest challenge: 750 MB while 100,000 devices
// register. A retransmitted REGISTER is answered again instead: a 401 with
// a fresh nonce, or the same binding update (its CSeq and Via branch match
// the binding's, so step 7 lets it through).
func (r *Registrar) HandleRegister(req *sip.Request, tx sip.ServerTransaction) {
	r.init()
	defer tx.Terminate()
	defer func() {
		if v := recover(); v != nil {
			r.log().Error("registrar: panic handling REGISTER", "panic", v, "stack", string(debug.Stack()))
			r.respond(req, tx, sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		}
	}()
	res := r.register(req)
	r.respond(req, tx, res)
}

func (r *Registrar) respond(req *sip.Request, tx sip.ServerTransaction, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		r.log().Debug("registrar: respond failed", "call_id", callID(req), "status", res.StatusCode, "error", err)
	}
}

// register runs the REGISTER procedure and builds the response.
func (r *Registrar) register(req *sip.Request) *sip.Response {
	now := r.now()
	to, cid, cseq := req.To(), req.CallID(), req.CSeq()
	if to == nil || req.From() == nil || cid == nil || cseq == nil {
		return r.refusal(req, refuse(400, "Missing To, From, Call-ID or CSeq"))
	}
	if tags := r.unsupported(optionTags(req, "Require")); len(tags) > 0 {
		return r.refusal(req, refuse(420, "Bad Extension", sip.NewHeader("Unsupported", strings.Join(tags, ", "))))
	}

	username, acct, res := r.authenticate(req, &to.Address)
	if res != nil {
		return res
	}
	device := acct.Device
	if device == "" {
		device = username
	}
	aor := acct.AOR
	if aor == "" {
		aor = "sip:" + username + "@" + r.host(&to.Address)
	}
	log := r.log().With("device", device, "aor", aor, "call_id", string(*cid))
	if !toMatches(&to.Address, username, &acct) {
		log.Info("registrar: To does not match credentials", "to", to.Address.String(), "username", username)
		return r.refusal(req, refuse(403, "Forbidden: To does not match credentials"))
	}

	u, supported, rerr := r.buildUpdate(req, now, device, aor, &acct)
	if rerr != nil {
		log.Debug("registrar: REGISTER refused", "status", rerr.code, "reason", rerr.reason)
		return r.refusal(req, rerr)
	}
	u.callID, u.cseq, u.branch = string(*cid), cseq.SeqNo, viaBranch(req)
	current, err := r.Bindings.apply(u, now)
	switch {
	case errors.Is(err, ErrCSeqOutOfOrder):
		log.Debug("registrar: out-of-order CSeq", "cseq", cseq.SeqNo)
		return r.refusal(req, refuse(400, "Out-of-order CSeq"))
	case errors.Is(err, ErrTooManyContacts):
		log.Info("registrar: too many contacts", "max", r.MaxContacts)
		return r.refusal(req, refuse(403, "Too Many Contacts"))
	case err != nil:
		log.Error("registrar: binding update failed", "error", err)
		return r.refusal(req, refuse(500, "Server Internal Error"))
	}
	log.Debug("registrar: registered", "contacts", len(current))
	return r.ok(req, now, current, supported)
}

// unsupported returns the required option tags this registrar lacks.
func (r *Registrar) unsupported(required []string) []string {
	var out []string
	for _, tag := range required {
		switch {
		case tag == "gruu":
		case tag == "path" && r.Path != PathOff:
		default:
			out = append(out, tag)
		}
	}
	return out
}

// authenticate identifies the device. On failure it returns the response to send.
func (r *Registrar) authenticate(req *sip.Request, to *sip.Uri) (string, Account, *sip.Response) {
	var acct Account
	found := false
	lookup := func(username string) (string, bool) {
		if r.Accounts == nil {
			return "", false
		}
		a, ok := r.Accounts.Account(username)
		acct, found = a, ok
		return a.Password, ok
	}
	if r.DisableAuth {
		if _, ok := lookup(to.User); !ok {
			return "", acct, r.refusal(req, refuse(404, "Not Found"))
		}
		return to.User, acct, nil
	}

	username, result := "", digest.Missing
	for _, h := range req.GetHeaders("Authorization") {
		if username, result = r.Auth.Verify(string(req.Method), h.Value(), lookup); result != digest.Missing {
			break
		}
	}
	if result == digest.OK && found {
		return username, acct, nil
	}
	if result == digest.Replay && found && r.retransmission(req, username, &acct) {
		return username, acct, nil // the same credentials, sent again with the request
	}
	level := slog.LevelDebug
	if result == digest.Invalid {
		level = slog.LevelInfo
	}
	r.log().Log(context.Background(), level, "registrar: authentication failed", "username", username, "result", result.String(), "call_id", callID(req))
	res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
	for _, ch := range r.Auth.Challenge(result == digest.Stale || result == digest.Replay) {
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", ch))
	}
	return username, acct, res
}

// host returns the domain for default AORs and GRUUs.
func (r *Registrar) host(to *sip.Uri) string {
	if r.Domain != "" {
		return r.Domain
	}
	return to.Host
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTempGRUU mints a temporary GRUU at host (RFC 5627 §3.2).
func newTempGRUU(host string) (string, string) {
	var b [10]byte
	rand.Read(b[:])
	user := "tgruu." + strings.ToLower(tokenEncoding.EncodeToString(b[:]))
	return "sip:" + user + "@" + host + ";gr", "t:" + user
}

// retransmission reports whether req repeats the REGISTER that last updated
// one of the device's bindings (same Call-ID, CSeq and Via branch).
func (r *Registrar) retransmission(req *sip.Request, username string, acct *Account) bool {
	device := acct.Device
	if device == "" {
		device = username
	}
	cseq := req.CSeq()
	branch := viaBranch(req)
	if cseq == nil || branch == "" {
		return false
	}
	return r.Bindings.updatedBy(device, callID(req), cseq.SeqNo, branch)
}

// viaBranch is the branch of the request's top Via ("" when none).
func viaBranch(req *sip.Request) string {
	if v := req.Via(); v != nil {
		b, _ := v.Params.Get("branch")
		return b
	}
	return ""
}

func callID(req *sip.Request) string {
	if cid := req.CallID(); cid != nil {
		return string(*cid)
	}
	return ""
}
