package server

import (
	"errors"
	"time"

	"ocmsim/internal/explain"
	"ocmsim/internal/httpapi"
	"ocmsim/routing"
)

// Registration is the JSON view of one binding.
type Registration struct {
	Device    string    `json:"device"`
	Kind      string    `json:"kind"`
	AOR       string    `json:"aor"`
	Contact   string    `json:"contact"`
	Expires   time.Time `json:"expires"`
	ExpiresIn uint32    `json:"expiresIn"`
	Instance  string    `json:"instance,omitempty"`
	RegID     uint32    `json:"regId,omitempty"`
	Source    string    `json:"source"`
	Transport string    `json:"transport"`
	UserAgent string    `json:"userAgent,omitempty"`
	PubGRUU   string    `json:"pubGruu,omitempty"`
}

// Registrations lists the live bindings.
func (s *Server) Registrations() []Registration {
	now := s.now()
	out := []Registration{}
	for _, b := range s.registrar.Store().All(now) {
		out = append(out, Registration{Device: b.Device, Kind: b.Kind, AOR: b.AOR, Contact: b.Contact,
			Expires: b.Expires, ExpiresIn: b.ExpiresIn(now), Instance: b.Instance, RegID: b.RegID,
			Source: b.Source, Transport: b.Transport, UserAgent: b.UserAgent, PubGRUU: b.PubGRUU})
	}
	return out
}

// Explain routes a number against the live registrations, without a call.
func (s *Server) Explain(number string) explain.View {
	dec := s.dir.Route(routing.Call{To: number}, s.lookup())
	return explain.NewView(number, &dec)
}

// Sources are the server's JSON API sources.
func (s *Server) Sources() httpapi.Sources {
	return httpapi.Sources{
		Registrations: func() any { return s.Registrations() },
		Calls:         func(limit int) any { return s.proxy.Recent(limit) },
		Explain:       func(n string) any { return s.Explain(n) },
		Tenant:        func() any { return s.dir.Snapshot() },
		Healthy: func() error {
			if s.draining.Load() {
				return errDraining
			}
			return nil
		},
	}
}

var errDraining = errors.New("draining: shutting down")
