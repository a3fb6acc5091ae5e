package load

import (
	"testing"
	"time"

	"ocmsim/devices"
	"ocmsim/scenarios"
)

func TestEvaluate(t *testing.T) {
	s := &Summary{Calls: 200, Failed: 1, AchievedRate: 19.5, MaxActive: 12, Sent: devices.Sent{Messages: 4000, Retransmissions: 6},
		Classes: map[string]int{ClassAnswered: 150, ClassRejected: 30, ClassUnanswered: 19, ClassTimeout: 1},
		hist:    histograms{pdd: &Histogram{}, setup: &Histogram{}, answer: &Histogram{}, branches: &Histogram{}}}
	for i := range 100 {
		s.hist.pdd.RecordDuration(time.Duration(i+1) * time.Millisecond) // 1..100 ms
		s.hist.branches.Record(int64(2 + i%2))                           // mean 2.5
	}
	dur := func(stat, metric, op string, d time.Duration) scenarios.Threshold {
		return scenarios.Threshold{Stat: stat, Metric: metric, Op: op, Value: d.Seconds(), Unit: scenarios.UnitDuration}
	}
	count := func(metric, op string, v float64) scenarios.Threshold {
		return scenarios.Threshold{Metric: metric, Op: op, Value: v, Unit: scenarios.UnitCount}
	}
	ratio := func(metric, op string, v float64) scenarios.Threshold {
		return scenarios.Threshold{Metric: metric, Op: op, Value: v, Unit: scenarios.UnitRatio}
	}
	tests := []struct {
		name string
		th   scenarios.Threshold
		pass bool
	}{
		{name: "p95 pdd under", th: dur("p95", "pdd", "<", 100*time.Millisecond), pass: true},
		{name: "p95 pdd over", th: dur("p95", "pdd", "<", 90*time.Millisecond), pass: false},
		{name: "p50 pdd", th: dur("p50", "pdd", "<=", 51*time.Millisecond), pass: true},
		{name: "max pdd", th: dur("max", "pdd", "==", 100*time.Millisecond), pass: true},
		{name: "impossible", th: dur("p50", "pdd", "<", time.Nanosecond), pass: false},
		{name: "no answer samples", th: dur("p95", "answer", "<", time.Hour), pass: false},
		{name: "failed ratio", th: ratio("failed", "<", 0.01), pass: true}, // 0.5 %
		{name: "failed ratio strict", th: ratio("failed", "<", 0.001), pass: false},
		{name: "failed count", th: count("failed", "==", 1), pass: true},
		{name: "answered count", th: count("answered", ">", 100), pass: true},
		{name: "answered ratio", th: ratio("answered", ">=", 0.75), pass: true},
		{name: "rejected ratio", th: ratio("rejected", ">", 0.2), pass: false}, // 15 %
		{name: "unanswered", th: count("unanswered", "!=", 19), pass: false},
		{name: "timeout", th: count("timeout", "<=", 1), pass: true},
		{name: "calls", th: count("calls", ">=", 200), pass: true},
		{name: "rate", th: scenarios.Threshold{Metric: "rate", Op: ">=", Value: 20, Unit: scenarios.UnitRate}, pass: false},
		{name: "active", th: count("active", "<", 13), pass: true},
		{name: "branches mean", th: count("branches", "==", 2.5), pass: true},
		{name: "branches max", th: scenarios.Threshold{Stat: "max", Metric: "branches", Op: "<=", Value: 3}, pass: true},
		{name: "retransmissions count", th: count("retransmissions", "<=", 6), pass: true},
		{name: "retransmissions ratio", th: ratio("retransmissions", "<", 0.001), pass: false}, // 0.15 %
		{name: "retransmissions ratio loose", th: ratio("retransmissions", "<", 0.002), pass: true},
		{name: "unknown metric", th: count("bogus", "<", 1), pass: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Evaluate(s, []scenarios.Threshold{tt.th})[0]
			if v.Pass != tt.pass {
				t.Errorf("pass = %v, want %v (measured %s, %s)", v.Pass, tt.pass, v.Measured, v.Note)
			}
		})
	}
}

// TestEvaluateParsed runs thresholds written as in a scenario file.
func TestEvaluateParsed(t *testing.T) {
	f, err := scenarios.Parse("t.yaml", []byte(`name: t
tenant: {id: t, domain: t.example}
load:
  rate: 1/s
  duration: 1s
  thresholds: ["p95(pdd) < 50ms", "failed < 0.1%", "p99_setup <= 1s"]
`), scenarios.WithoutBuild())
	if err != nil {
		t.Fatal(err)
	}
	s := &Summary{Calls: 10, hist: histograms{pdd: &Histogram{}, setup: &Histogram{}}}
	s.hist.pdd.RecordDuration(10 * time.Millisecond)
	s.hist.setup.RecordDuration(2 * time.Second)
	got := Evaluate(s, f.Load.Thresholds)
	want := []bool{true, true, false}
	for i, v := range got {
		if v.Pass != want[i] {
			t.Errorf("%s: pass = %v, want %v (measured %s)", v.Threshold, v.Pass, want[i], v.Measured)
		}
	}
	if s.Thresholds = got; s.Passed() {
		t.Error("Passed with a failed threshold")
	}
}
