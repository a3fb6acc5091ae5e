// Package httpapi serves ocmsim's HTTP side: Prometheus /metrics, /healthz
// and a read-only JSON API over the live registrar, proxy and tenant.
package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Sources are what the JSON API reads. Nil functions answer 404.
type Sources struct {
	Registrations func() any              // GET /api/registrations
	Calls         func(limit int) any     // GET /api/calls?limit=N
	Explain       func(number string) any // GET /api/explain?number=...
	Tenant        func() any              // GET /api/tenant
	Healthy       func() error            // GET /healthz; nil means healthy
}

// DefaultCallLimit is how many recent calls /api/calls returns by default.
const DefaultCallLimit = 100

// Handler returns the mux. gatherer serves /metrics (nil: no /metrics).
func Handler(gatherer prometheus.Gatherer, src Sources) http.Handler {
	mux := http.NewServeMux()
	if gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if src.Healthy != nil {
			if err := src.Healthy(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Write([]byte("ok\n"))
	})
	get(mux, "/api/registrations", src.Registrations != nil, func(*http.Request) (any, int) {
		return src.Registrations(), http.StatusOK
	})
	get(mux, "/api/tenant", src.Tenant != nil, func(*http.Request) (any, int) {
		return src.Tenant(), http.StatusOK
	})
	get(mux, "/api/calls", src.Calls != nil, func(r *http.Request) (any, int) {
		limit := DefaultCallLimit
		if s := r.URL.Query().Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return problem("limit must be a positive integer"), http.StatusBadRequest
			}
			limit = n
		}
		return src.Calls(limit), http.StatusOK
	})
	get(mux, "/api/explain", src.Explain != nil, func(r *http.Request) (any, int) {
		n := r.URL.Query().Get("number")
		if n == "" {
			return problem("number is required: /api/explain?number=+14255550100"), http.StatusBadRequest
		}
		return src.Explain(n), http.StatusOK
	})
	return mux
}

func problem(msg string) any { return map[string]string{"error": msg} }

func get(mux *http.ServeMux, path string, enabled bool, f func(*http.Request) (any, int)) {
	if !enabled {
		return
	}
	mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		v, status := f(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(v)
	})
}
