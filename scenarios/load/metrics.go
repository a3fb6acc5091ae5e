package load

import (
	"github.com/prometheus/client_golang/prometheus"

	"ocmsim/devices"
)

// genMetrics are the generator's ocmsim_load_* collectors.
type genMetrics struct {
	calls      *prometheus.CounterVec // outcome class
	placed     prometheus.Counter
	skipped    prometheus.Counter
	active     prometheus.Gauge
	registered prometheus.Gauge
	pdd        prometheus.Histogram
	answer     prometheus.Histogram
	branches   prometheus.Histogram
}

// newGenMetrics creates the collectors and registers them on reg (nil: not
// registered), with counters of the SIP messages sent that read sent.
func newGenMetrics(reg prometheus.Registerer, sent func() devices.Sent) *genMetrics {
	buckets := prometheus.ExponentialBuckets(0.001, 2, 16)
	m := &genMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocmsim_load_calls_total", Help: "Load-generator calls finished, by outcome class.",
		}, []string{"outcome"}),
		placed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ocmsim_load_calls_placed_total", Help: "Load-generator INVITEs sent.",
		}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ocmsim_load_calls_skipped_total", Help: "Calls the schedule offered but maxConcurrent held back.",
		}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ocmsim_load_active_calls", Help: "Load-generator calls in progress.",
		}),
		registered: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ocmsim_load_registered_devices", Help: "Simulated devices registered by the load generator.",
		}),
		pdd: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ocmsim_load_pdd_seconds", Help: "Post-dial delay seen by the caller: INVITE sent → first 18x.", Buckets: buckets,
		}),
		answer: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ocmsim_load_answer_seconds", Help: "Answer time seen by the caller: INVITE sent → 2xx.", Buckets: buckets,
		}),
		branches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ocmsim_load_branches", Help: "Simulated devices that got the INVITE, per call.",
			Buckets: []float64{0, 1, 2, 3, 4, 5, 6, 8, 10, 16},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.calls, m.placed, m.skipped, m.active, m.registered, m.pdd, m.answer, m.branches,
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "ocmsim_load_sip_messages_sent_total", Help: "SIP messages the simulated devices, callers and PSAPs sent.",
			}, func() float64 { return float64(sent().Messages) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "ocmsim_load_retransmissions_total", Help: "SIP messages the simulated side sent again (retransmissions).",
			}, func() float64 { return float64(sent().Retransmissions) }))
	}
	return m
}
