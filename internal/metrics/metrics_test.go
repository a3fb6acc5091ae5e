package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNewRegistersEveryCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.Calls.WithLabelValues("NativeFirst", "answered").Inc()
	m.Registrations.WithLabelValues("teams-mobile").Inc()
	m.Responses.WithLabelValues("INVITE", Code(180)).Add(3)
	if got := testutil.ToFloat64(m.Calls.WithLabelValues("NativeFirst", "answered")); got != 1 {
		t.Errorf("calls = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.Responses.WithLabelValues("INVITE", "180")); got != 3 {
		t.Errorf("responses = %v, want 3", got)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if name := f.GetName(); len(name) < 7 || name[:7] != "ocmsim_" {
			t.Errorf("metric %q lacks the ocmsim_ prefix", name)
		}
	}
	if New(nil) == nil {
		t.Fatal("New(nil) must give unregistered collectors")
	}
}

func TestCode(t *testing.T) {
	for code, want := range map[int]string{100: "100", 487: "487", 699: "699", 0: "other", 99: "other", 700: "other"} {
		if got := Code(code); got != want {
			t.Errorf("Code(%d) = %q, want %q", code, got, want)
		}
	}
}
