package registrar

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// replyError is a refusal with its SIP status, reason phrase and extra headers.
type replyError struct {
	code    int
	reason  string
	headers []sip.Header
}

func (e *replyError) Error() string { return fmt.Sprintf("%d %s", e.code, e.reason) }

func refuse(code int, reason string, headers ...sip.Header) *replyError {
	return &replyError{code: code, reason: reason, headers: headers}
}

// optionTags returns the option tags of every header called one of names.
func optionTags(req *sip.Request, names ...string) []string {
	var tags []string
	for _, name := range names {
		for _, h := range req.GetHeaders(name) {
			for tag := range strings.SplitSeq(h.Value(), ",") {
				if tag = strings.ToLower(strings.TrimSpace(tag)); tag != "" {
					tags = append(tags, tag)
				}
			}
		}
	}
	return tags
}

// parseDelta parses delta-seconds; values beyond 2^32-1 are capped (RFC 3261 §20.19).
func parseDelta(s string) (uint32, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return math.MaxUint32, true // only overflow is left
	}
	return uint32(v), true
}

// parseQ parses a qvalue: "0" ["." 0*3DIGIT] or "1" ["." 0*3"0"] (RFC 3261 §25.1).
func parseQ(s string) (float64, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	if len(s) > 1 {
		if s[1] != '.' {
			return 0, false
		}
		for i := 2; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0') {
				return 0, false
			}
		}
	}
	q, err := strconv.ParseFloat(s, 64)
	return q, err == nil
}

// quote makes a SIP quoted-string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(s[1 : len(s)-1])
	}
	return s
}

// baseFeatureTags are the RFC 3840 §9 base tags; "+"-prefixed tags are
// always feature tags.
var baseFeatureTags = map[string]bool{
	"audio": true, "video": true, "text": true, "data": true, "control": true,
	"application": true, "automata": true, "class": true, "duplex": true,
	"mobility": true, "description": true, "events": true, "priority": true,
	"methods": true, "extensions": true, "schemes": true, "actor": true,
	"isfocus": true, "language": true, "type": true,
}

// contactBinding turns one Contact header into a binding (without times)
// and its requested expiry in seconds (-1 when the contact has none).
func contactBinding(c *sip.ContactHeader) (Binding, int64, *replyError) {
	var b Binding
	u := &c.Address
	switch strings.ToLower(u.Scheme) {
	case "sip", "sips":
	default:
		return b, 0, refuse(400, "Bad Contact: unsupported URI scheme "+strconv.Quote(u.Scheme))
	}
	if u.Host == "" {
		return b, 0, refuse(400, "Bad Contact: missing host")
	}
	b.URI = *u.Clone()
	b.Contact = u.String()
	b.uriKey = contactKey(u)

	expires := int64(-1)
	for _, kv := range c.Params {
		name := strings.ToLower(kv.K)
		val := unquote(kv.V)
		switch {
		case name == "expires":
			v, ok := parseDelta(val)
			if !ok {
				return b, 0, refuse(400, "Bad Contact: invalid expires "+strconv.Quote(val))
			}
			expires = int64(v)
		case name == "q":
			q, ok := parseQ(val)
			if !ok {
				return b, 0, refuse(400, "Bad Contact: invalid q "+strconv.Quote(val))
			}
			b.Q, b.HasQ = q, true
		case name == "+sip.instance":
			if val == "" {
				return b, 0, refuse(400, "Bad Contact: empty +sip.instance")
			}
			b.Instance = val
		case name == "reg-id":
			v, err := strconv.ParseUint(val, 10, 31)
			if err != nil || v == 0 {
				return b, 0, refuse(400, "Bad Contact: invalid reg-id "+strconv.Quote(val))
			}
			b.RegID = uint32(v)
		case strings.HasPrefix(name, "+") || baseFeatureTags[name]:
			b.Features = append(b.Features, sip.HeaderKV{K: name, V: val})
		}
	}
	if b.RegID != 0 && b.Instance == "" {
		return b, 0, refuse(400, "Bad Contact: reg-id without +sip.instance")
	}
	return b, expires, nil
}

// parsePath returns the route set of all Path headers, in order.
func parsePath(req *sip.Request) ([]sip.Uri, *replyError) {
	var route []sip.Uri
	for _, h := range req.GetHeaders("Path") {
		for _, v := range splitList(h.Value()) {
			var u sip.Uri
			if _, err := sip.ParseAddressValue(v, &u, nil); err != nil || u.Host == "" || u.Wildcard {
				return nil, refuse(400, "Bad Path: "+strconv.Quote(v))
			}
			route = append(route, u)
		}
	}
	return route, nil
}

// splitList splits a header value on commas outside <> and quotes.
func splitList(s string) []string {
	var out []string
	inQuote, inAngle, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '<' && !inQuote:
			inAngle = true
		case c == '>' && !inQuote:
			inAngle = false
		case c == ',' && !inQuote && !inAngle:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// toMatches reports whether the To URI names the account: its user is the
// username, or it equals the account's AOR (user and host).
func toMatches(to *sip.Uri, username string, acct *Account) bool {
	if to.User == username {
		return true
	}
	if acct.AOR == "" {
		return false
	}
	var aor sip.Uri
	if err := sip.ParseUri(acct.AOR, &aor); err != nil {
		return false
	}
	return to.User == aor.User && strings.EqualFold(to.Host, aor.Host)
}
