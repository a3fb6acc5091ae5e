package registrar

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Binding is one registered contact of a device. Bindings returned by this
// package share their slices with the store: treat them as read-only.
type Binding struct {
	// Device is the device id (from the account); Kind its kind, possibly
	// refined by the +g.ocm.kind feature tag.
	Device, Kind string
	// AOR is the address-of-record the contact is bound to.
	AOR string
	// Contact is the contact URI as text; URI is the parsed form.
	Contact string
	URI     sip.Uri
	// Q is the q-value (0..1); HasQ reports whether the contact carried one.
	Q    float64
	HasQ bool
	// Registered is when the binding was first created; Expires when it lapses.
	Registered, Expires time.Time
	// Instance is the +sip.instance value without quotes (e.g.
	// "<urn:uuid:...>"), empty if none; RegID the RFC 5626 reg-id, 0 if none.
	Instance string
	RegID    uint32
	// Path is the RFC 3327 route set to reach the contact, first hop first.
	Path []sip.Uri
	// Source is the address the REGISTER came from and Transport its
	// transport ("UDP", "TCP", ...).
	Source, Transport string
	// CallID and CSeq are those of the last REGISTER that updated the binding.
	CallID string
	CSeq   uint32
	// Features are the RFC 3840 feature tags of the contact, lower-case
	// names, values without quotes (e.g. {"+g.ocm.kind", "native-dialer"}).
	Features []sip.HeaderKV
	// PubGRUU and TempGRUU are the RFC 5627 GRUUs issued (instances only).
	PubGRUU, TempGRUU string
	// UserAgent is the User-Agent header of the REGISTER.
	UserAgent string

	branch          string // top Via branch of the REGISTER that last updated it
	uriKey          string // normalised contact URI, the key without an instance
	pubKey, tempKey string // GRUU index keys
}

// Live reports whether the binding has not expired at now.
func (b *Binding) Live(now time.Time) bool { return b.Expires.After(now) }

// ExpiresIn returns the whole seconds left at now, rounded up; 0 if expired.
func (b *Binding) ExpiresIn(now time.Time) uint32 {
	d := b.Expires.Sub(now)
	if d <= 0 {
		return 0
	}
	return uint32((d + time.Second - 1) / time.Second)
}

// Feature returns the value of a feature tag (name compared case-insensitively).
func (b *Binding) Feature(name string) (string, bool) {
	for _, kv := range b.Features {
		if strings.EqualFold(kv.K, name) {
			return kv.V, true
		}
	}
	return "", false
}

// sameKey reports whether a and b are the same binding: same instance and
// reg-id (RFC 5626) when either has an instance, else the same contact URI.
func sameKey(a, b *Binding) bool {
	if a.Instance != "" || b.Instance != "" {
		return a.Instance == b.Instance && a.RegID == b.RegID
	}
	return a.uriKey == b.uriKey
}

// contactKey normalises a contact URI for comparison (a subset of RFC 3261
// §19.1.4: scheme and host are case-insensitive, transport must match).
func contactKey(u *sip.Uri) string {
	var sb strings.Builder
	sb.WriteString(strings.ToLower(u.Scheme))
	sb.WriteByte(':')
	if raw := u.Raw(); raw != "" {
		sb.WriteString(raw)
		return sb.String()
	}
	sb.WriteString(u.User)
	sb.WriteByte('@')
	sb.WriteString(strings.ToLower(u.Host))
	sb.WriteByte(':')
	sb.WriteString(strconv.Itoa(u.Port))
	if tp, ok := u.UriParams.Get("transport"); ok {
		sb.WriteString(";transport=")
		sb.WriteString(strings.ToLower(tp))
	}
	return sb.String()
}

// EventType says what happened to a binding.
type EventType uint8

// Binding events.
const (
	// Registered: a new binding was created.
	Registered EventType = iota + 1
	// Refreshed: an existing binding was re-registered.
	Refreshed
	// Removed: the binding was removed by REGISTER (Expires 0 or *) or an admin.
	Removed
	// Expired: the binding lapsed without refresh.
	Expired
)

// String returns the lower-case name of t.
func (t EventType) String() string {
	switch t {
	case Registered:
		return "registered"
	case Refreshed:
		return "refreshed"
	case Removed:
		return "removed"
	case Expired:
		return "expired"
	}
	return "unknown"
}

// Event reports a change to one binding; Device and Kind come from the
// embedded Binding.
type Event struct {
	Type EventType
	Binding
}
