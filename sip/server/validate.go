package server

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// passThroughTags are the Require option tags of an INVITE that the proxy
// lets through to the devices: end-to-end extensions sipgo-based and Teams
// endpoints handle (RFC 3262, 4028, 3891, 4488, 5627, 3327, 5626, 3312).
// Any other one is refused with 420 here, rather than forked to every
// device to fail there.
var passThroughTags = map[string]bool{
	"100rel": true, "timer": true, "replaces": true, "norefersub": true,
	"gruu": true, "path": true, "outbound": true, "precondition": true,
	"histinfo": true, "tdialog": true,
}

// validate refuses, before routing, what the server cannot handle
// (RFC 3261 §8.2.2, §16.3): a Request-URI scheme other than sip, sips or
// tel on INVITE and REGISTER (416), an INVITE requiring an option tag we do
// not support (420 with Unsupported) and an INVITE whose Contact does not
// parse (400; the transport leaves Contact unparsed). It returns nil to go on.
func validate(req *sip.Request) *sip.Response {
	if req.Method != sip.INVITE && req.Method != sip.REGISTER {
		return nil
	}
	switch strings.ToLower(req.Recipient.Scheme) {
	case "sip", "sips", "tel":
	case "urn": // emergency service URNs (RFC 5031) on INVITE only
		if req.Method != sip.INVITE || !strings.HasPrefix(strings.ToLower(req.Recipient.String()), "urn:service:") {
			return sip.NewResponseFromRequest(req, 416, "Unsupported URI Scheme", nil)
		}
	default:
		return sip.NewResponseFromRequest(req, 416, "Unsupported URI Scheme", nil)
	}
	if req.Method != sip.INVITE {
		return nil // the registrar checks Require and Contact itself
	}
	var bad []string
	for _, name := range [...]string{"Require", "Proxy-Require"} {
		for _, h := range req.GetHeaders(name) {
			for tag := range strings.SplitSeq(h.Value(), ",") {
				tag = strings.ToLower(strings.TrimSpace(tag))
				if tag != "" && (name == "Proxy-Require" || !passThroughTags[tag]) {
					bad = append(bad, tag)
				}
			}
		}
	}
	if len(bad) > 0 {
		res := sip.NewResponseFromRequest(req, sip.StatusBadExtension, "Bad Extension", nil)
		res.AppendHeader(sip.NewHeader("Unsupported", strings.Join(bad, ", ")))
		return res
	}
	if (req.GetHeader("Contact") != nil || req.GetHeader("m") != nil) && req.Contact() == nil {
		return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Contact", nil)
	}
	return nil
}
