package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ocmsim_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Inc()
	healthy := error(nil)
	srv := httptest.NewServer(Handler(reg, Sources{
		Registrations: func() any { return []string{"alice-laptop"} },
		Calls:         func(limit int) any { return map[string]int{"limit": limit} },
		Explain:       func(n string) any { return map[string]string{"number": n} },
		Healthy:       func() error { return healthy },
	}))
	defer srv.Close()

	tests := []struct {
		name, path string
		status     int
		body       string
	}{
		{"metrics", "/metrics", 200, "ocmsim_test_total 1"},
		{"healthz", "/healthz", 200, "ok"},
		{"registrations", "/api/registrations", 200, `"alice-laptop"`},
		{"calls default limit", "/api/calls", 200, `"limit": 100`},
		{"calls limit", "/api/calls?limit=5", 200, `"limit": 5`},
		{"calls bad limit", "/api/calls?limit=x", 400, "positive integer"},
		{"explain", "/api/explain?number=%2B14255550100", 200, `"+14255550100"`},
		{"explain without number", "/api/explain", 400, "number is required"},
		{"tenant not wired", "/api/tenant", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := fetch(t, srv.URL+tt.path)
			if status != tt.status || !strings.Contains(body, tt.body) {
				t.Fatalf("GET %s = %d %q, want %d containing %q", tt.path, status, body, tt.status, tt.body)
			}
		})
	}
	healthy = errors.New("draining")
	if status, body := fetch(t, srv.URL+"/healthz"); status != 503 || !strings.Contains(body, "draining") {
		t.Fatalf("unhealthy /healthz = %d %q", status, body)
	}
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
