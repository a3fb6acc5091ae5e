package uatx

import (
	"bytes"
	"net"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Reply is a response to build from its request's headers (BuildResponse).
type Reply struct {
	Code   int
	Reason string
	// ToTag is added to To for codes above 100 when the request's To has
	// no tag ("" picks a random one).
	ToTag string
	// Headers come after the ones copied from the request.
	Headers []sip.Header
	Body    []byte
}

// Wire is a response ready to send: its status, To-tag and bytes.
type Wire struct {
	Code  int
	ToTag string
	Bytes []byte
}

// BuildResponse writes the response r to req straight onto the wire, with
// what sip.NewResponseFromRequest would copy (RFC 3261 §8.2.6.2): the Via
// headers (the top one's empty rport filled in from the request's source,
// RFC 3581), Record-Route where §12.1.1 wants it, From, To, Call-ID,
// CSeq, Timestamp on a 100; then r.Headers, Content-Length and r.Body.
// It builds no sip.Response: a device's answers are its hottest path.
func BuildResponse(req *sip.Request, r Reply) Wire {
	w := Wire{Code: r.Code}
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	buf.WriteString("SIP/2.0 ")
	buf.WriteString(strconv.Itoa(r.Code))
	buf.WriteByte(' ')
	buf.WriteString(r.Reason)
	buf.WriteString("\r\n")
	copyRR := req.Method != sip.REGISTER && req.Method != sip.ACK &&
		(r.Code >= 180 && r.Code < 300 || req.Method == sip.INVITE && r.Code > 100 && r.Code < 200)
	topVia := true
	for _, h := range req.Headers() {
		switch h := h.(type) {
		case *sip.ViaHeader:
			writeVia(buf, h, topVia, req)
			topVia = false
		case *sip.RecordRouteHeader:
			if copyRR {
				writeHeader(buf, h)
			}
		}
	}
	if h := req.From(); h != nil {
		writeHeader(buf, h)
	}
	if h := req.To(); h != nil {
		h.StringWrite(buf)
		w.ToTag, _ = h.Params.Get("tag")
		if w.ToTag == "" && r.Code > 100 {
			w.ToTag = r.ToTag
			if w.ToTag == "" {
				w.ToTag = sip.GenerateTagN(16)
			}
			buf.WriteString(";tag=")
			buf.WriteString(w.ToTag)
		}
		buf.WriteString("\r\n")
	}
	if h := req.CallID(); h != nil {
		writeHeader(buf, h)
	}
	if h := req.CSeq(); h != nil {
		writeHeader(buf, h)
	}
	if r.Code == 100 {
		for _, h := range req.GetHeaders("Timestamp") {
			writeHeader(buf, h)
		}
	}
	for _, h := range r.Headers {
		writeHeader(buf, h)
	}
	buf.WriteString("Content-Length: ")
	buf.WriteString(strconv.Itoa(len(r.Body)))
	buf.WriteString("\r\n\r\n")
	buf.Write(r.Body)
	w.Bytes = bytes.Clone(buf.Bytes())
	buffers.Put(buf)
	return w
}

func writeHeader(buf *bytes.Buffer, h sip.Header) {
	h.StringWrite(buf)
	buf.WriteString("\r\n")
}

// writeVia writes h as sipgo would, without its Value's string; the top
// one gets rport and received when it asks for them (RFC 3581 §4).
func writeVia(buf *bytes.Buffer, h *sip.ViaHeader, top bool, req *sip.Request) {
	buf.WriteString("Via: ")
	buf.WriteString(h.ProtocolName)
	buf.WriteByte('/')
	buf.WriteString(h.ProtocolVersion)
	buf.WriteByte('/')
	buf.WriteString(h.Transport)
	buf.WriteByte(' ')
	if strings.IndexByte(h.Host, ':') >= 0 && !strings.HasPrefix(h.Host, "[") {
		buf.WriteByte('[') // an IPv6 literal
		buf.WriteString(h.Host)
		buf.WriteByte(']')
	} else {
		buf.WriteString(h.Host)
	}
	if h.Port > 0 {
		buf.WriteByte(':')
		buf.WriteString(strconv.Itoa(h.Port))
	}
	params := h.Params
	if top {
		if v, ok := params.Get("rport"); ok && v == "" {
			if host, port, err := net.SplitHostPort(req.Source()); err == nil {
				params = params.Clone()
				params.Add("rport", port)
				params.Add("received", host)
			}
		}
	}
	if params.Length() > 0 {
		buf.WriteByte(';')
		params.ToStringWrite(';', buf)
	}
	buf.WriteString("\r\n")
}
