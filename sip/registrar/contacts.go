package registrar

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// dateFormat is the RFC 1123 date of the Date header (RFC 3261 §20.17).
const dateFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// supported holds the option tags of the REGISTER that change the 200 OK.
type supported struct{ path, gruu bool }

// buildUpdate turns the Contact, Expires and Path headers into the binding
// update (RFC 3261 §10.3 steps 6-7), or the refusal to send.
func (r *Registrar) buildUpdate(req *sip.Request, now time.Time, device, aor string, acct *Account) (*update, supported, *replyError) {
	tags := optionTags(req, "Supported", "k")
	sup := supported{path: slices.Contains(tags, "path"), gruu: slices.Contains(tags, "gruu")}

	var route []sip.Uri
	if r.Path != PathOff {
		var err *replyError
		if route, err = parsePath(req); err != nil {
			return nil, sup, err
		}
		if len(route) > 0 && r.Path == PathStrict && !sup.path {
			return nil, sup, refuse(421, "Extension Required", sip.NewHeader("Require", "path"))
		}
	}

	headerExpires := int64(-1)
	if h := req.GetHeader("Expires"); h != nil {
		v, ok := parseDelta(h.Value())
		if !ok {
			return nil, sup, refuse(400, "Bad Expires: "+strconv.Quote(h.Value()))
		}
		headerExpires = int64(v)
	}

	to := &req.To().Address
	host := r.host(to)
	u := &update{
		device:      device,
		maxContacts: r.MaxContacts,
		tempGRUU:    func() (string, string) { return newTempGRUU(host) },
	}
	contacts, rerr := contactHeaders(req)
	if rerr != nil {
		return nil, sup, rerr
	}
	for _, c := range contacts {
		if c.Address.Wildcard {
			if len(contacts) != 1 {
				return nil, sup, refuse(400, "Bad Contact: * must be the only Contact")
			}
			if headerExpires != 0 || len(c.Params) > 0 {
				return nil, sup, refuse(400, "Bad Contact: * requires Expires: 0")
			}
			u.wildcard = true
			return u, sup, nil
		}
	}
	if len(contacts) > r.MaxContacts {
		return nil, sup, refuse(403, "Too Many Contacts")
	}

	pubBase := gruuBase(aor)
	minSecs, maxSecs := int64(r.MinExpires/time.Second), int64(r.MaxExpires/time.Second)
	tooBrief, withRegID := false, 0
	for _, c := range contacts {
		b, secs, err := contactBinding(c)
		if err != nil {
			return nil, sup, err
		}
		if secs < 0 {
			secs = headerExpires
		}
		if secs < 0 {
			secs = int64(r.DefaultExpires / time.Second)
		}
		// RFC 3261 §10.3 step 6 (as written: below one hour and the minimum).
		if secs > 0 && secs < 3600 && secs < minSecs {
			tooBrief = true
		}
		if b.RegID != 0 {
			withRegID++
		}
		b.Device, b.AOR, b.Path = device, aor, route
		b.Source, b.Transport = req.Source(), req.Transport()
		b.CallID, b.CSeq, b.branch = callID(req), req.CSeq().SeqNo, viaBranch(req)
		if h := req.GetHeader("User-Agent"); h != nil {
			b.UserAgent = h.Value()
		}
		kind, rerr := r.kind(acct, &b)
		if rerr != nil {
			return nil, sup, rerr
		}
		b.Kind = kind
		if b.Instance != "" && pubBase.User != "" {
			urn := strings.TrimSuffix(strings.TrimPrefix(b.Instance, "<"), ">")
			g := pubBase
			g.UriParams = sip.HeaderParams{{K: "gr", V: urn}}
			b.PubGRUU = g.String()
			b.pubKey, _ = gruuKeyOf(&g)
		}
		u.contacts = append(u.contacts, change{b: b, ttl: time.Duration(min(secs, maxSecs)) * time.Second})
	}
	if tooBrief {
		return nil, sup, refuse(423, "Interval Too Brief", sip.NewHeader("Min-Expires", strconv.FormatInt(minSecs, 10)))
	}
	if withRegID > 0 && len(contacts) > 1 {
		return nil, sup, refuse(400, "Bad Contact: reg-id with more than one Contact")
	}
	return u, sup, nil
}

// contactHeaders returns the Contact header values of req, parsing those
// the sipgo parser left unparsed (see HeadersParsers).
func contactHeaders(req *sip.Request) ([]*sip.ContactHeader, *replyError) {
	var out []*sip.ContactHeader
	for _, h := range req.Headers() {
		switch h := h.(type) {
		case *sip.ContactHeader:
			out = append(out, h)
		default:
			if n := h.Name(); !strings.EqualFold(n, "Contact") && !strings.EqualFold(n, "m") {
				continue
			}
			for _, v := range splitList(h.Value()) {
				c := &sip.ContactHeader{}
				if v == "*" {
					c.Address = sip.Uri{Host: "*", Wildcard: true}
				} else if _, err := sip.ParseAddressValue(v, &c.Address, &c.Params); err != nil {
					return nil, refuse(400, "Bad Contact: "+err.Error())
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// HeadersParsers returns sipgo's default header parsers without the Contact
// parser. With sipgo.WithUserAgentParser(sip.NewParser(sip.WithHeadersParsers(
// registrar.HeadersParsers()))) a REGISTER with a malformed Contact reaches
// HandleRegister and gets a 400 naming the problem, instead of being dropped
// by the transport; req.Contact() still parses lazily.
func HeadersParsers() sip.HeadersParser {
	m := maps.Clone(sip.DefaultHeadersParser())
	delete(m, "contact")
	delete(m, "m")
	return m
}

// gruuBase returns the AOR without parameters, the base of public GRUUs.
func gruuBase(aor string) sip.Uri {
	var u sip.Uri
	if err := sip.ParseUri(aor, &u); err != nil || u.Raw() != "" {
		return sip.Uri{}
	}
	return sip.Uri{Scheme: u.Scheme, User: u.User, Host: u.Host, Port: u.Port}
}

// kind returns the device kind for one contact: the account's, refined by
// the +g.ocm.kind feature tag as TrustKind allows.
func (r *Registrar) kind(acct *Account, b *Binding) (string, *replyError) {
	tag, ok := b.Feature(KindTag)
	if !ok || tag == "" {
		return acct.Kind, nil
	}
	if r.TrustKind != nil {
		kind, ok := r.TrustKind(*acct, tag)
		if !ok {
			return "", refuse(403, "Forbidden: device kind "+strconv.Quote(tag)+" not allowed")
		}
		return kind, nil
	}
	if acct.Kind == "" {
		return tag, nil
	}
	return acct.Kind, nil
}

// ok builds the 200 OK listing every live contact of the device (step 8).
func (r *Registrar) ok(req *sip.Request, now time.Time, current []Binding, sup supported) *sip.Response {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	for i := range current {
		b := &current[i]
		c := &sip.ContactHeader{Address: *b.URI.Clone()}
		c.Params.Add("expires", strconv.FormatUint(uint64(b.ExpiresIn(now)), 10))
		if b.HasQ {
			c.Params.Add("q", strconv.FormatFloat(b.Q, 'f', -1, 64))
		}
		if b.Instance != "" {
			c.Params.Add("+sip.instance", quote(b.Instance))
			if b.RegID != 0 {
				c.Params.Add("reg-id", strconv.FormatUint(uint64(b.RegID), 10))
			}
			if sup.gruu && b.PubGRUU != "" {
				c.Params.Add("pub-gruu", quote(b.PubGRUU))
			}
			if sup.gruu && b.TempGRUU != "" {
				c.Params.Add("temp-gruu", quote(b.TempGRUU))
			}
		}
		res.AppendHeader(c)
	}
	if sup.path && r.Path != PathOff {
		for _, h := range req.GetHeaders("Path") {
			res.AppendHeader(sip.NewHeader("Path", h.Value()))
		}
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(dateFormat)))
	return res
}

// refusal builds the response for a refused REGISTER.
func (r *Registrar) refusal(req *sip.Request, e *replyError) *sip.Response {
	res := sip.NewResponseFromRequest(req, e.code, e.reason, nil)
	for _, h := range e.headers {
		res.AppendHeader(h)
	}
	return res
}
