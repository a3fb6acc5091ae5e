package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"ocmsim/internal/explain"
	"ocmsim/internal/httpapi"
	"ocmsim/sip/proxy"
)

// TestMetrics: one registration per device kind, then a NativeFirst call
// answered on the desktop, show in the ocmsim_* metrics.
func TestMetrics(t *testing.T) {
	ts := startServer(t)
	phones := devices(t, ts, "ann-native", "ann-desk")
	pstn := newPhone(t, "pstn")
	c := pstn.dial(t, ts, "+12065550000", annNumber)
	phones["ann-native"].ringing(t)
	desk := phones["ann-desk"].ringing(t)
	if n := value(t, ts.m.InFlight); n < 1 {
		t.Errorf("transactions in flight while ringing = %v, want >= 1", n)
	}
	desk.respond(200)
	if res := c.final(t); res.StatusCode != 200 {
		t.Fatalf("caller got %d", res.StatusCode)
	}
	next(t, "ann-native", "CANCEL", phones["ann-native"].cancels)
	ts.waitCall(t)

	m := ts.m
	checks := []struct {
		name string
		got  float64
		want float64
	}{
		{"registrations{native-dialer}", value(t, m.Registrations.WithLabelValues("native-dialer")), 1},
		{"registrations{teams-desktop}", value(t, m.Registrations.WithLabelValues("teams-desktop")), 1},
		{"registrations{teams-mobile}", value(t, m.Registrations.WithLabelValues("teams-mobile")), 0},
		{"requests{REGISTER}", value(t, m.Requests.WithLabelValues("REGISTER")), 4},
		{"responses{REGISTER,401}", value(t, m.Responses.WithLabelValues("REGISTER", "401")), 2},
		{"responses{REGISTER,200}", value(t, m.Responses.WithLabelValues("REGISTER", "200")), 2},
		{"requests{INVITE}", value(t, m.Requests.WithLabelValues("INVITE")), 1},
		{"responses{INVITE,100}", value(t, m.Responses.WithLabelValues("INVITE", "100")), 1},
		{"responses{INVITE,200}", value(t, m.Responses.WithLabelValues("INVITE", "200")), 1},
		{"calls{NativeFirst,answered}", value(t, m.Calls.WithLabelValues("NativeFirst", "answered")), 1},
		{"branches count", histogram(t, ts.reg, "ocmsim_call_branches").count, 1},
		{"branches sum", histogram(t, ts.reg, "ocmsim_call_branches").sum, 2},
		{"post-dial delay count", histogram(t, ts.reg, "ocmsim_post_dial_delay_seconds").count, 1},
		{"answer time count", histogram(t, ts.reg, "ocmsim_answer_time_seconds").count, 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// value reads a counter or gauge, as testutil.ToFloat64 does. (testutil
// itself needs github.com/kylelemons/godebug in go.mod, which only go.sum
// has.)
func value(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	close(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatal(err)
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("not a counter or gauge: %v", &m)
	return 0
}

type hist struct{ count, sum float64 }

func histogram(t *testing.T, g prometheus.Gatherer, name string) hist {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			h := mf.GetMetric()[0].GetHistogram()
			return hist{float64(h.GetSampleCount()), h.GetSampleSum()}
		}
	}
	t.Fatalf("no histogram %s", name)
	return hist{}
}

// TestAPI reads the live registrar, proxy and routing through the JSON
// API that `ocmsim serve` mounts.
func TestAPI(t *testing.T) {
	ts := startServer(t)
	devices(t, ts, "ben-native", "ben-desk") // ben's Teams app is not registered
	pstn := newPhone(t, "pstn")
	if res := pstn.dial(t, ts, "+12065550000", unknownNumber).final(t); res.StatusCode != 404 {
		t.Fatalf("call to an unknown number: %d", res.StatusCode)
	}
	ts.waitCall(t)
	api := httptest.NewServer(httpapi.Handler(ts.reg, ts.Sources()))
	defer api.Close()

	var regs []Registration
	get(t, api.URL+"/api/registrations", &regs)
	kinds := map[string]string{}
	for _, r := range regs {
		kinds[r.Device] = r.Kind
	}
	if len(regs) != 2 || kinds["ben-native"] != "native-dialer" || kinds["ben-desk"] != "teams-desktop" {
		t.Errorf("/api/registrations = %+v", regs)
	}

	var calls []proxy.CallRecord
	get(t, api.URL+"/api/calls?limit=5", &calls)
	if len(calls) != 1 || calls[0].Number != unknownNumber || calls[0].Outcome != proxy.OutcomeRefused || calls[0].Status != 404 {
		t.Errorf("/api/calls = %+v", calls)
	}

	var v explain.View
	get(t, api.URL+"/api/explain?number=%2B14255550101", &v)
	var rings []string
	for _, d := range v.Rings {
		rings = append(rings, d.ID)
	}
	if v.Policy != "TeamsFirst" || !v.Fallback || !sameSet(rings, []string{"ben-native", "ben-desk"}) {
		t.Errorf("/api/explain: policy %s fallback %v rings %v; want TeamsFirst, fallback, ben-native + ben-desk", v.Policy, v.Fallback, rings)
	}

	body := getText(t, api.URL+"/metrics")
	if !strings.Contains(body, `ocmsim_registrations{kind="native-dialer"} 1`) {
		t.Errorf("/metrics lacks the native-dialer registration")
	}
	if got := getText(t, api.URL+"/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q", got)
	}
}

func get(t *testing.T, url string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(getText(t, url)), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return string(b)
}
