package server

import (
	"bytes"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// DefaultMaxMessageSize is the largest SIP message the server accepts
// (64 KiB). The guard answers 413 to a bigger one, and to any datagram
// bigger than the buffer of the reader it passes data to (64 KiB for the
// UDP transaction layer, so every UDP datagram fits).
const DefaultMaxMessageSize = 64 << 10

// maxDatagram is the guard's read buffer: any UDP datagram fits.
const maxDatagram = 1 << 16

// action is what the guard does with one datagram.
type action uint8

const (
	pass  action = iota // hand it to sipgo unchanged
	reply               // answer it statelessly with verdict.status
	drop                // ignore it: garbage, or an ACK/response we cannot use
)

// verdict is the guard's decision on one datagram.
type verdict struct {
	action action
	status int    // for reply
	reason string // reason phrase for reply, or why it was dropped
	method string // request method, "" when not a request
}

// screen pre-screens one datagram before sipgo parses it, catching what
// sipgo would drop silently or accept wrongly (RFC 3261 §8.2, §16.3, §18.3):
// an oversized request gets 413, a SIP version other than 2.0 gets 505, a
// malformed header of those sipgo parses strictly gets 400 with a reason
// naming it, and unreadable data is dropped. An ACK is never answered.
// It scans the start line and header lines only; limit is the largest
// message passed on.
func screen(data []byte, limit int) verdict {
	if len(bytes.Trim(data, "\x00\r\n")) == 0 {
		return verdict{action: pass} // keep-alive; sipgo ignores it
	}
	eol := bytes.Index(data, crlf)
	if eol <= 0 {
		return dropped("no start line")
	}
	line := data[:eol]
	if hasPrefixFold(line, "SIP/") { // a response
		switch {
		case !hasPrefixFold(line, "SIP/2.0 "):
			return dropped("response with another SIP version")
		case len(data) > limit:
			return dropped("oversized response")
		}
		return verdict{action: pass}
	}
	method, uri, version, ok := split3(line)
	if !ok || !isToken(method) || len(uri) == 0 || !hasPrefixFold(version, "SIP/") {
		return dropped("not a SIP request line")
	}
	v := verdict{method: string(method)}
	hs, err := scanHeaders(data[eol+2:], false)
	switch {
	case !bytes.EqualFold(version, []byte("SIP/2.0")):
		v.status, v.reason = sip.StatusVersionNotSupported, "Version Not Supported"
	case len(data) > limit:
		v.status, v.reason = sip.StatusRequestEntityTooLarge, "Request Entity Too Large"
	case err != "":
		v.status, v.reason = sip.StatusBadRequest, err
	default:
		if problem := hs.check(method); problem != "" {
			v.status, v.reason = sip.StatusBadRequest, problem
		}
	}
	switch {
	case v.status == 0:
		v.action = pass
	case string(method) == "ACK":
		v.action, v.reason = drop, "bad ACK: "+v.reason
	case hs.goodVia == 0:
		v.action, v.reason = drop, "no Via to answer: "+v.reason
	default:
		v.action = reply
	}
	return v
}

func dropped(why string) verdict { return verdict{action: drop, reason: why} }

var crlf = []byte("\r\n")

// headers is what scanHeaders learnt about a header section.
type headers struct {
	lines                       [][]byte // header lines (folded ones joined), when collected
	via, from, to, callID, cseq int      // how many of each
	goodVia                     int      // well-formed Vias: a response can be sent
	cseqVal                     []byte
	bad                         string // the first malformed header, as a reason phrase
	body                        int    // bytes after the blank line
	contentLength               int    // -1 when absent
}

// scanHeaders walks the header section line by line and checks the values
// sipgo's parser rejects (sip.DefaultHeadersParser); with collect it keeps
// the lines. The error is a reason phrase for a section sipgo cannot split
// into headers, or "".
func scanHeaders(data []byte, collect bool) (headers, string) {
	hs := headers{contentLength: -1}
	for {
		eol := bytes.Index(data, crlf)
		if eol < 0 {
			return hs, "Bad Request: header section not terminated"
		}
		if eol == 0 {
			hs.body = len(data) - 2
			return hs, ""
		}
		// Folded continuation lines (RFC 3261 §7.3.1) belong to this header.
		for eol+2 < len(data) && (data[eol+2] == ' ' || data[eol+2] == '\t') {
			next := bytes.Index(data[eol+2:], crlf)
			if next < 0 {
				return hs, "Bad Request: header section not terminated"
			}
			eol += 2 + next
		}
		line := data[:eol]
		data = data[eol+2:]
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return hs, "Bad Header: line without a colon"
		}
		name := bytes.TrimRight(line[:colon], " \t")
		if !isToken(name) {
			return hs, "Bad Header: invalid header name"
		}
		if collect {
			hs.lines = append(hs.lines, line)
		}
		if bad := hs.value(name, bytes.TrimSpace(line[colon+1:])); hs.bad == "" {
			hs.bad = bad
		}
	}
}

// value counts one header and checks its value; it returns a reason
// phrase for a malformed one.
func (hs *headers) value(name, val []byte) string {
	switch canonical(name) {
	case "Via":
		hs.via++
		if _, ok := oneLine(val); !ok || !validVia(val) {
			return "Bad Via"
		}
		hs.goodVia++
	case "From":
		hs.from++
		if !validAddress(val) {
			return "Bad From"
		}
	case "To":
		hs.to++
		if !validAddress(val) {
			return "Bad To"
		}
	case "Call-ID":
		hs.callID++
		if len(val) == 0 {
			return "Bad Call-ID: empty"
		}
	case "CSeq":
		hs.cseq++
		hs.cseqVal = val
	case "Max-Forwards":
		if _, ok := parseUint(val, 32); !ok {
			return "Bad Max-Forwards"
		}
	case "Content-Length":
		n, ok := parseUint(val, 31)
		if !ok {
			return "Bad Content-Length"
		}
		hs.contentLength = int(n)
	case "Content-Type":
		if len(val) == 0 {
			return "Bad Content-Type: empty"
		}
	case "Route", "Record-Route", "Refer-To", "Referred-By":
		if !validAddress(val) || bytes.IndexByte(val, ':') < 0 {
			return "Bad " + canonical(name)
		}
	}
	return ""
}

// check applies the rules that need the whole header section.
func (hs *headers) check(method []byte) string {
	switch {
	case hs.bad != "":
		return hs.bad
	case hs.via == 0:
		return "Bad Request: missing Via"
	case hs.from != 1:
		return "Bad Request: missing or repeated From"
	case hs.to != 1:
		return "Bad Request: missing or repeated To"
	case hs.callID != 1:
		return "Bad Request: missing or repeated Call-ID"
	case hs.cseq != 1:
		return "Bad Request: missing or repeated CSeq"
	}
	if f := bytes.Fields(hs.cseqVal); !validCSeq(hs.cseqVal) || !bytes.Equal(f[1], method) {
		return "Bad CSeq"
	}
	if hs.contentLength > hs.body {
		return "Bad Content-Length: longer than the body" // RFC 3261 §18.3
	}
	return ""
}

// oneLine unfolds a header value; false when it holds a CR that is not
// part of a fold, which would break the response it is copied into.
func oneLine(v []byte) ([]byte, bool) {
	if bytes.IndexByte(v, '\r') < 0 {
		return v, true
	}
	var out []byte
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\r' && i+2 < len(v) && v[i+1] == '\n' && (v[i+2] == ' ' || v[i+2] == '\t'):
			out = append(out, ' ')
			i++
		case c == '\r':
			return nil, false
		default:
			out = append(out, c)
		}
	}
	return out, true
}

// validCSeq checks "number method" (folding allowed).
func validCSeq(v []byte) bool {
	f := bytes.Fields(v)
	if len(f) != 2 {
		return false
	}
	_, ok := parseUint(f[0], 31)
	return ok && isToken(f[1])
}

// canonical maps a header name, long or compact, to the names value checks.
func canonical(name []byte) string {
	if len(name) == 1 {
		switch name[0] | 0x20 {
		case 'v':
			return "Via"
		case 'f':
			return "From"
		case 't':
			return "To"
		case 'i':
			return "Call-ID"
		case 'l':
			return "Content-Length"
		case 'c':
			return "Content-Type"
		}
		return ""
	}
	for _, n := range [...]string{"Via", "From", "To", "Call-ID", "CSeq", "Max-Forwards",
		"Content-Length", "Content-Type", "Route", "Record-Route", "Refer-To", "Referred-By"} {
		if len(n) == len(name) && hasPrefixFold(name, n) {
			return n
		}
	}
	return ""
}

// validVia checks "SIP/2.0/transport sent-by" in the first via-parm.
func validVia(v []byte) bool {
	if !hasPrefixFold(v, "SIP/2.0/") {
		return false
	}
	v = v[len("SIP/2.0/"):]
	i := 0
	for i < len(v) && v[i] != ' ' && v[i] != '\t' {
		i++
	}
	return i > 0 && isToken(v[:i]) && len(bytes.TrimSpace(v[i:])) > 0
}

// validAddress checks a name-addr or addr-spec loosely: not empty, and a
// '<' is closed.
func validAddress(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	if i := bytes.IndexByte(v, '<'); i >= 0 {
		return bytes.IndexByte(v[i:], '>') > 0
	}
	return true
}

// parseUint parses digits only, into bits bits.
func parseUint(v []byte, bits int) (uint64, bool) {
	if len(v) == 0 || len(v) > 10 {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(string(v), 10, bits)
	return n, err == nil
}

// split3 splits a request line on single spaces.
func split3(line []byte) (a, b, c []byte, ok bool) {
	i := bytes.IndexByte(line, ' ')
	if i < 0 {
		return nil, nil, nil, false
	}
	j := bytes.IndexByte(line[i+1:], ' ')
	if j < 0 {
		return nil, nil, nil, false
	}
	a, b, c = line[:i], line[i+1:i+1+j], line[i+2+j:]
	return a, b, c, len(c) > 0 && bytes.IndexByte(c, ' ') < 0
}

// isToken reports whether s is a non-empty RFC 3261 token.
func isToken(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case bytes.IndexByte([]byte("-.!%*_+`'~"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

func hasPrefixFold(s []byte, prefix string) bool {
	return len(s) >= len(prefix) && bytes.EqualFold(s[:len(prefix)], []byte(prefix))
}
