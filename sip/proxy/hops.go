package proxy

import (
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// defaultMaxForwards is used when a request carries no Max-Forwards.
const defaultMaxForwards = 70

// hopsLeft returns the Max-Forwards value a forwarded copy of req carries,
// and false when req must be answered 483 (RFC 3261 §16.3 step 3).
func hopsLeft(req *sip.Request) (uint32, bool) {
	mf := req.MaxForwards()
	if mf == nil {
		return defaultMaxForwards, true
	}
	if mf.Val() == 0 {
		return 0, false
	}
	return mf.Val() - 1, true
}

// setHops gives r its own Max-Forwards header. Clone shares the header
// pointer, so decrementing in place would change every clone.
func setHops(r *sip.Request, n uint32) {
	mf := sip.MaxForwardsHeader(n)
	if r.MaxForwards() == nil {
		r.AppendHeader(&mf)
		return
	}
	r.ReplaceHeader(&mf)
}

// dstParam is the Record-Route URI parameter that remembers a branch's
// Destination (the binding's source address), so in-dialog requests reach a
// device whose Contact is not routable (behind NAT), like RFC 5626 flows.
const dstParam = "ocm-dst"

// stripOwnRoutes removes the leading Route headers that point at this proxy
// (RFC 3261 §16.4). It reports whether there was one, and the flows (the
// dstParam values and the transports) they carried.
func (p *Proxy) stripOwnRoutes(r *sip.Request) (found bool, flows []flow) {
	for {
		rt := r.Route()
		if rt == nil || !p.isSelf(rt.Address.Host, rt.Address.Port, transportParam(rt.Address, r.Transport())) {
			return found, flows
		}
		if d, ok := rt.Address.UriParams.Get(dstParam); ok && d != "" {
			flows = append(flows, flow{dst: d, transport: transportParam(rt.Address, r.Transport())})
		}
		r.RemoveHeader("Route")
		found = true
	}
}

// flow is a branch destination our Record-Route remembered, with the
// transport the branch went over.
type flow struct{ dst, transport string }

// nextHopTransport is the transport towards r's next hop (RFC 3263 §4.1):
// the transport parameter of its top Route, else of its Request-URI, else
// UDP. A forwarded copy must not keep the transport the original came on.
func nextHopTransport(r *sip.Request) string {
	u := r.Recipient
	if rt := r.Route(); rt != nil {
		u = rt.Address
	}
	return strings.ToUpper(transportParam(u, "UDP"))
}

// addRecordRoute is sipgo.ClientRequestAddRecordRoute, with the port of
// our Via (added just before) when sipgo's transport does not listen on
// the request's transport itself (a socket served by another transaction
// layer): the port sipgo finds then is 0.
func addRecordRoute(c *sipgo.Client, r *sip.Request) error {
	if err := sipgo.ClientRequestAddRecordRoute(c, r); err != nil {
		return err
	}
	if rr, v := r.RecordRoute(), r.Via(); rr != nil && rr.Address.Port == 0 && v != nil {
		rr.Address.Port = v.Port
	}
	return nil
}

// recordDestination returns a client option that tags our Record-Route
// (added just before) with the branch destination dst.
func recordDestination(dst string) sipgo.ClientRequestOption {
	return func(_ *sipgo.Client, r *sip.Request) error {
		if rr := r.RecordRoute(); rr != nil && dst != "" {
			rr.Address.UriParams.Add(dstParam, dst)
		}
		return nil
	}
}

func transportParam(u sip.Uri, def string) string {
	if u.UriParams != nil {
		if t, ok := u.UriParams.Get("transport"); ok && t != "" {
			return t
		}
	}
	return def
}

// loopKey hashes the fields that identify a request for loop detection
// (RFC 3261 §16.6 step 8): Request-URI, From tag, To tag, Call-ID, CSeq number.
func loopKey(req *sip.Request) string {
	h := fnv.New64a()
	h.Write([]byte(req.Recipient.String()))
	if f := req.From(); f != nil {
		tag, _ := f.Params.Get("tag")
		h.Write([]byte(tag))
	}
	if t := req.To(); t != nil {
		tag, _ := t.Params.Get("tag")
		h.Write([]byte(tag))
	}
	h.Write([]byte(callID(req)))
	if c := req.CSeq(); c != nil {
		h.Write([]byte(strconv.FormatUint(uint64(c.SeqNo), 10)))
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// looped reports whether req already passed this proxy unchanged: one of
// its Via headers is ours and carries the same loop key (§16.3 step 4).
// A request that comes back with a different Request-URI is a spiral, not
// a loop, and passes.
func (p *Proxy) looped(req *sip.Request, key string) bool {
	for _, h := range req.GetHeaders("Via") {
		v, ok := h.(*sip.ViaHeader)
		if !ok || !p.isSelf(v.Host, v.Port, v.Transport) {
			continue
		}
		if b, _ := v.Params.Get("branch"); strings.HasSuffix(b, "."+key) {
			return true
		}
	}
	return false
}

// viaWithLoopKey returns a client option that marks the top Via branch with
// key, after sipgo.ClientRequestAddVia has added it.
func viaWithLoopKey(key string) sipgo.ClientRequestOption {
	return func(_ *sipgo.Client, r *sip.Request) error {
		if v := r.Via(); v != nil {
			v.Params.Add("branch", sip.GenerateBranchN(12)+"."+key)
		}
		return nil
	}
}

// popVia removes this proxy's Via from a response before relaying it, and
// reports whether another Via remains to send it to.
func popVia(res *sip.Response) bool {
	res.RemoveHeader("Via")
	return res.Via() != nil
}

// RemoveHeaders removes every header named name (case-insensitive) from r.
// sipgo's RemoveHeader matches the name as received, one header at a time.
func RemoveHeaders(r *sip.Request, name string) {
	var names []string
	for _, h := range r.Headers() {
		if strings.EqualFold(h.Name(), name) {
			names = append(names, h.Name())
		}
	}
	for _, n := range names {
		r.RemoveHeader(n)
	}
}
