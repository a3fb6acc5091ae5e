package routing

import "strings"

// maxE164 is the longest E.164 number: "+" and 15 digits.
const maxE164 = 16

// NormalizeNumber returns the E.164 form ("+" and digits) of a number written
// as "+14255550100", "14255550100", "tel:+1-425-555-0100",
// "sip:+14255550100@host;user=phone" or "14255550100;user=phone".
func NormalizeNumber(s string) (string, bool) {
	var buf [maxE164]byte
	b, ok := normalizeInto(&buf, s)
	if !ok {
		return "", false
	}
	return string(b), true
}

// normalizeInto writes the E.164 form of s into buf without allocating.
func normalizeInto(buf *[maxE164]byte, s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	if i := strings.IndexByte(s, '>'); i >= 0 {
		s = s[:i]
	}
	s = uriUser(s)
	buf[0] = '+'
	n := 1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == maxE164 {
				return nil, false
			}
			buf[n] = c
			n++
		case c == '+' && i == 0:
		case c == '-' || c == '.' || c == '(' || c == ')' || c == ' ':
			// RFC 3966 visual separators
		default:
			return nil, false
		}
	}
	if n < 4 { // at least three digits
		return nil, false
	}
	return buf[:n], true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFold(s[:len(prefix)], prefix)
}

// equalFold is strings.EqualFold for ASCII identifiers.
func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

func lowerASCII(s string) string { return strings.ToLower(s) }

// trimTag removes PowerShell's "Tag:" prefix from a policy identity.
func trimTag(identity string) string {
	if hasPrefixFold(identity, "tag:") {
		return identity[4:]
	}
	return identity
}

// uriUser is the number or dial string of s: a tel:, sip: or sips: URI's
// user part (up to '@', ';' or '?'), or s itself without a scheme.
func uriUser(s string) string {
	switch {
	case hasPrefixFold(s, "tel:"):
		s = s[4:]
	case hasPrefixFold(s, "sip:"):
		s = s[4:]
	case hasPrefixFold(s, "sips:"):
		s = s[5:]
	}
	if i := strings.IndexAny(s, "@;?"); i >= 0 {
		s = s[:i]
	}
	return s
}
