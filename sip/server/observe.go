package server

import (
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/metrics"
	"ocmsim/sip/proxy"
)

// methods are the requests the server handles.
var methods = []sip.RequestMethod{sip.INVITE, sip.ACK, sip.CANCEL, sip.BYE, sip.UPDATE,
	sip.INFO, sip.PRACK, sip.REFER, sip.MESSAGE, sip.NOTIFY, sip.SUBSCRIBE, sip.OPTIONS, sip.REGISTER}

// instrument wraps every handler to count requests and responses, track
// transactions in flight, and refuse new calls while draining.
func (s *Server) instrument() {
	s.handlers = make(map[sip.RequestMethod]sipgo.RequestHandler, len(methods))
	for _, m := range methods {
		h := s.proxy.Handler(m)
		if m == sip.REGISTER {
			h = s.registrar.HandleRegister
		}
		requests := s.m.Requests.WithLabelValues(string(m))
		s.handlers[m] = func(req *sip.Request, tx sip.ServerTransaction) {
			requests.Inc()
			s.m.InFlight.Inc()
			defer s.m.InFlight.Dec()
			ctr := &countingTx{ServerTransaction: tx, m: s.m, method: string(req.Method)}
			if res := validate(req); res != nil {
				ctr.Respond(res)
				return
			}
			if req.Method == sip.INVITE && req.To() != nil {
				if _, inDialog := req.To().Params.Get("tag"); !inDialog {
					if !s.calls.enter() { // draining
						res := sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil)
						res.AppendHeader(sip.NewHeader("Retry-After", "5"))
						ctr.Respond(res)
						return
					}
					defer s.calls.leave()
				}
			}
			h(req, ctr)
		}
		s.srv.OnRequest(m, s.handlers[m])
	}
}

// countingTx counts the responses a handler sends.
type countingTx struct {
	sip.ServerTransaction
	m      *metrics.Metrics
	method string
}

func (t *countingTx) Respond(res *sip.Response) error {
	t.m.Responses.WithLabelValues(t.method, metrics.Code(int(res.StatusCode))).Inc()
	return t.ServerTransaction.Respond(res)
}

// observer turns call records into metrics, then passes them to next.
type observer struct {
	m    *metrics.Metrics
	next proxy.Observer // may be nil
}

func (o observer) BranchEnded(callID string, br proxy.BranchRecord) {
	if o.next != nil {
		o.next.BranchEnded(callID, br)
	}
}

func (o observer) CallEnded(rec proxy.CallRecord) {
	if o.next != nil {
		defer o.next.CallEnded(rec)
	}
	policy := rec.Labels["policy"]
	if policy == "" {
		policy = "none"
	}
	o.m.Calls.WithLabelValues(policy, string(rec.Outcome)).Inc()
	o.m.Branches.Observe(float64(len(rec.Branches)))
	if rec.PostDialDelay > 0 {
		o.m.PostDialDelay.Observe(rec.PostDialDelay.Seconds())
	}
	if rec.AnswerDelay > 0 {
		o.m.AnswerTime.Observe(rec.AnswerDelay.Seconds())
	}
	if rec.Labels["fallback"] == "true" {
		o.m.Fallbacks.WithLabelValues("routing").Inc()
	}
	for _, b := range rec.Branches {
		if b.Role == proxy.RoleFallback {
			o.m.Fallbacks.WithLabelValues("fast-failure").Inc()
			break
		}
	}
}
