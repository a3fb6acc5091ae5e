package server

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/routing"
	"ocmsim/sip/digest"
	"ocmsim/sip/proxy"
	"ocmsim/sip/registrar"
)

// trunkAddress reports whether req's source address belongs to a trunk. A
// request from there is an operator-side call unless it claims to be one of
// the tenant's devices (claimedDevice).
func (s *Server) trunkAddress(req *sip.Request) (string, bool) {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return "", false
	}
	addr := ap.Addr().Unmap()
	for _, t := range s.cfg.Trunks {
		for _, p := range t.From {
			if p.Contains(addr) {
				return t.ID, true
			}
		}
	}
	return "", false
}

// claimedDevice is the device username a request claims: its credentials'
// username, else its From user when that is a device's username.
func (s *Server) claimedDevice(req *sip.Request) string {
	if h := req.GetHeader("Proxy-Authorization"); h != nil {
		if u := digestParam(h.Value(), "username"); u != "" {
			return u
		}
	}
	if from := req.From(); from != nil {
		if _, ok := s.dir.DeviceByUsername(from.Address.User); ok {
			return from.Address.User
		}
	}
	return ""
}

// admit lets trunk calls in and challenges devices (407, RFC 3261 §22.3).
func (s *Server) admit(req *sip.Request) (bool, *sip.Response) {
	claimed := s.claimedDevice(req)
	if _, ok := s.trunkAddress(req); ok && claimed == "" {
		return true, nil
	}
	h := req.GetHeader("Proxy-Authorization")
	res := digest.Missing
	if h != nil {
		_, res = s.auth.Verify(string(req.Method), h.Value(), s.password)
	}
	if res == digest.OK {
		return true, nil
	}
	if h == nil && claimed == "" {
		return false, sip.NewResponseFromRequest(req, 403, "Forbidden: not a trunk address and no device credentials", nil)
	}
	challenge := sip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
	for _, c := range s.auth.Challenge(res == digest.Stale) {
		challenge.AppendHeader(sip.NewHeader("Proxy-Authenticate", c))
	}
	return false, challenge
}

func (s *Server) password(username string) (string, bool) {
	dev, ok := s.dir.DeviceByUsername(username)
	return dev.Password, ok
}

// locate plans an initial INVITE that admit let in.
func (s *Server) locate(_ context.Context, req *sip.Request) proxy.Plan {
	call := routing.Call{To: requestNumber(req), FMC: req.GetHeader("X-MS-FMC") != nil}
	if from := req.From(); from != nil {
		call.From = from.Address.User
	}
	claimed := s.claimedDevice(req)
	if _, ok := s.trunkAddress(req); ok && claimed == "" {
		return s.route(call)
	}
	dev, ok := s.dir.DeviceByUsername(claimed)
	if !ok {
		return refusal(403, "Forbidden", "unknown caller")
	}
	s.assertIdentity(req, &dev)
	if plan, ok := s.emergency(req, dev); ok {
		return plan
	}
	if target, ok := s.dir.User(req.Recipient.User); ok && target.Number != "" {
		call.To = target.Number // a call to a tenant user by id or UPN user part
	}
	plan := s.route(call)
	if plan.Refusal != nil && plan.Refusal.Status == 404 && s.outbound != nil {
		return s.toTrunk(req)
	}
	return plan
}

// requestNumber is the number part of the Request-URI.
func requestNumber(req *sip.Request) string {
	if strings.EqualFold(req.Recipient.Scheme, "tel") || strings.EqualFold(req.Recipient.Scheme, "urn") {
		// sipgo keeps tel: and urn: URIs unparsed; routing reads
		// "tel:+1...;params" and "urn:service:sos".
		return req.Recipient.String()
	}
	if req.Recipient.User != "" {
		return req.Recipient.User
	}
	return req.Recipient.Host
}

// assertIdentity replaces any P-Asserted-Identity with the calling device's
// user's number (or its SIP identity when it has none).
func (s *Server) assertIdentity(req *sip.Request, dev *routing.Device) {
	proxy.RemoveHeaders(req, "P-Asserted-Identity")
	id := "sip:" + dev.Username + "@" + s.dir.Domain()
	if u, ok := s.dir.User(dev.User); ok && u.Number != "" {
		id = "sip:" + u.Number + "@" + s.dir.Domain() + ";user=phone"
	}
	req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<"+id+">"))
}

// toTrunk sends a device's call to a number outside the tenant to the
// outbound trunk.
func (s *Server) toTrunk(req *sip.Request) proxy.Plan {
	u := *s.outbound
	number, _, _ := strings.Cut(strings.TrimPrefix(requestNumber(req), "tel:"), ";")
	u.User = number
	return proxy.Plan{Branches: []proxy.Branch{{Device: "trunk", Kind: "trunk", URI: u}},
		Labels: map[string]string{"policy": "outbound"}}
}

// route turns a routing decision into the proxy's plan.
func (s *Server) route(call routing.Call) proxy.Plan {
	lk := s.lookup()
	dec := s.dir.Route(call, lk)
	if dec.Refused() {
		r := refusal(dec.Status, dec.Reason, string(dec.Code))
		if dec.Number != "" {
			r.Refusal.Warning = string(dec.Code) + ": " + dec.Number
		}
		return r
	}
	plan := proxy.Plan{Labels: map[string]string{
		"policy": dec.Policy, "source": string(dec.Source.Kind), "dialer": string(dec.Dialer),
		"fallback": strconv.FormatBool(dec.Fallback), "user": dec.User,
	}}
	for _, t := range dec.Targets {
		for _, b := range lk.branches(t.Device) {
			b.Fallback = lk.branches(t.Fallback)
			plan.Branches = append(plan.Branches, b)
		}
	}
	plan.UnansweredDelay = dec.Unanswered.UnansweredDelay
	plan.Unanswered = s.unanswered(dec.Unanswered, lk)
	if len(plan.Branches) == 0 && len(plan.Unanswered) == 0 {
		return refusal(480, "No device of the user can ring", "")
	}
	return plan
}

// lookup reads each device's live contacts at most once for one routing
// decision and the branches built from it; it is the decision's
// routing.Reachability.
type lookup struct {
	s    *Server
	now  time.Time
	ids  []string
	bind [][]registrar.Binding
}

func (s *Server) lookup() *lookup { return &lookup{s: s, now: s.now()} }

// contacts are a device's live bindings (a handful of devices per call:
// a linear search beats a map).
func (l *lookup) contacts(device string) []registrar.Binding {
	for i, id := range l.ids {
		if id == device {
			return l.bind[i]
		}
	}
	bs := l.s.registrar.Store().Contacts(device, l.now)
	l.ids, l.bind = append(l.ids, device), append(l.bind, bs)
	return bs
}

// Reach is a device's live state from its bindings.
func (l *lookup) Reach(device string) routing.Reach {
	bs := l.contacts(device)
	if len(bs) == 0 {
		return routing.Reach{}
	}
	r := routing.Reach{Registered: true}
	if v, ok := bs[0].Feature(NetworkTag); ok {
		r.Network = routing.Network(strings.ToLower(v))
	}
	return r
}

// NetworkTag is the contact feature tag a device uses to say whether it is
// on wifi or cellular data (e.g. +g.ocm.network="cellular").
const NetworkTag = "+g.ocm.network"

// branches are the live contacts of a device as fork branches.
func (l *lookup) branches(device string) []proxy.Branch {
	if device == "" {
		return nil
	}
	bs := l.contacts(device)
	if len(bs) == 0 {
		return nil
	}
	out := make([]proxy.Branch, 0, len(bs))
	for _, b := range bs {
		br := proxy.Branch{Device: b.Device, Kind: b.Kind, URI: b.URI, Route: b.Path}
		if strings.EqualFold(b.Transport, "tcp") {
			br.Destination, br.Transport = b.Source, "tcp" // reuse the device's connection
		}
		out = append(out, br)
	}
	return out
}

// unanswered are the branches an unanswered call goes to.
func (s *Server) unanswered(cs routing.CallSettings, lk *lookup) []proxy.Branch {
	switch cs.UnansweredTarget {
	case routing.TargetVoicemail:
		if s.voicemail != nil {
			return []proxy.Branch{{Device: "voicemail", Kind: "voicemail", URI: *s.voicemail}}
		}
		return lk.branches("voicemail")
	case routing.TargetUser:
		if u, ok := s.dir.User(cs.UnansweredTo); ok && u.Number != "" {
			return s.targets(u.Number, lk)
		}
	case routing.TargetNumber:
		if out := s.targets(cs.UnansweredTo, lk); len(out) > 0 {
			return out
		}
		if s.outbound != nil {
			u := *s.outbound
			u.User = cs.UnansweredTo
			return []proxy.Branch{{Device: "trunk", Kind: "trunk", URI: u}}
		}
	}
	return nil
}

// targets are the branches a call to a tenant number would ring.
func (s *Server) targets(number string, lk *lookup) []proxy.Branch {
	dec := s.dir.Route(routing.Call{To: number}, lk)
	var out []proxy.Branch
	for _, tg := range dec.Targets {
		out = append(out, lk.branches(tg.Device)...)
	}
	return out
}

func refusal(status int, reason, code string) proxy.Plan {
	p := proxy.Plan{Refusal: &proxy.Refusal{Status: status, Reason: reason}}
	if code != "" {
		p.Labels = map[string]string{"refusal": code}
	}
	return p
}

// digestParam returns one parameter of a Digest credentials header value.
func digestParam(h, name string) string {
	for _, part := range strings.Split(strings.TrimPrefix(strings.TrimSpace(h), "Digest"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}
