// Package metrics holds ocmsim's Prometheus metrics, registered on a
// registry the caller passes in. Labels never carry per-call or per-user
// values.
package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the ocmsim_* collectors.
type Metrics struct {
	Requests      *prometheus.CounterVec   // method
	Responses     *prometheus.CounterVec   // method, code
	Registrations *prometheus.GaugeVec     // kind
	Calls         *prometheus.CounterVec   // policy, outcome
	Branches      prometheus.Histogram     // branches per call
	PostDialDelay prometheus.Histogram     // INVITE → first 18x
	AnswerTime    prometheus.Histogram     // INVITE → 2xx
	InFlight      prometheus.Gauge         // server transactions being handled
	AdminActions  *prometheus.CounterVec   // action, result
	Emergency     *prometheus.CounterVec   // source, psap
	Fallbacks     *prometheus.CounterVec   // why
	Generator     *prometheus.HistogramVec // reserved for the load generator: stage
	ReceiveLag    prometheus.Histogram     // kernel arrival → read, per UDP datagram
	Shed          prometheus.Counter       // new INVITEs refused with 503 while behind
}

// latencyBuckets cover 1 ms to ~30 s.
var latencyBuckets = prometheus.ExponentialBuckets(0.001, 2, 16)

// New creates the collectors and registers them on reg (nil: not registered).
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocmsim_sip_requests_total", Help: "SIP requests received, by method.",
		}, []string{"method"}),
		Responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocmsim_sip_responses_total", Help: "SIP responses sent upstream, by request method and status code.",
		}, []string{"method", "code"}),
		Registrations: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ocmsim_registrations", Help: "Current registered contacts, by device kind.",
		}, []string{"kind"}),
		Calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocmsim_calls_total", Help: "Inbound calls by effective mobility policy and outcome.",
		}, []string{"policy", "outcome"}),
		Branches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ocmsim_call_branches", Help: "Fork branches per call.",
			Buckets: []float64{0, 1, 2, 3, 4, 5, 6, 8, 10, 16},
		}),
		PostDialDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ocmsim_post_dial_delay_seconds", Help: "Time from INVITE to the first 18x forwarded.",
			Buckets: latencyBuckets,
		}),
		AnswerTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ocmsim_answer_time_seconds", Help: "Time from INVITE to the 2xx forwarded.",
			Buckets: latencyBuckets,
		}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ocmsim_transactions_in_flight", Help: "Server transactions being handled.",
		}),
		AdminActions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocmsim_admin_actions_total", Help: "Admin actions by action and result (ok or error code).",
		}, []string{"action", "result"}),
		Emergency: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocmsim_emergency_calls_total", Help: "Emergency calls by location source and PSAP.",
		}, []string{"source", "psap"}),
		Fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocmsim_fallbacks_total", Help: "Calls where the other app of the SIM phone rang instead, by when it was decided.",
		}, []string{"when"}),
		Generator: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ocmsim_generator_latency_seconds", Help: "Load generator latencies by stage.",
			Buckets: latencyBuckets,
		}, []string{"stage"}),
		ReceiveLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ocmsim_sip_receive_lag_seconds", Help: "Time UDP datagrams waited in the socket's receive buffer before the server read them.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		Shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ocmsim_overload_rejected_total", Help: "New INVITEs refused with 503 because the server was reading them too late (overload).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.Responses, m.Registrations, m.Calls, m.Branches,
			m.PostDialDelay, m.AnswerTime, m.InFlight, m.AdminActions, m.Emergency, m.Fallbacks, m.Generator,
			m.ReceiveLag, m.Shed)
	}
	return m
}

// Code formats a SIP status code as a label value.
func Code(code int) string {
	if code >= 100 && code < 700 {
		return strconv.Itoa(code)
	}
	return "other"
}
