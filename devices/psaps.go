package devices

import (
	"fmt"
	"log/slog"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/psap"
)

// NewPSAPs starts simulated PSAPs, one per entry of list, on one loopback
// socket. Point the proxy's PSAP calls at its Addr (server.Config's
// PSAPProxy): each PSAP is found by the user part of its URI, which must be
// unique. The PSAPs never register; each answers at once and records what
// the INVITE carried (Event.Emergency).
func NewPSAPs(list []psap.PSAP, logger *slog.Logger) (*Fleet, error) {
	// The PSAPs never register or dial: the fleet's proxy address is unused.
	f, err := NewFleet(Config{Proxy: "127.0.0.1:9", Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("psaps: %w", err)
	}
	users := map[string]string{}
	for _, p := range list {
		var u sip.Uri
		if err := sip.ParseUri(p.URI, &u); err != nil || u.User == "" {
			f.Close()
			return nil, fmt.Errorf("psap %s: URI %q needs a user part to be simulated", p.ID, p.URI)
		}
		if other, dup := users[u.User]; dup {
			f.Close()
			return nil, fmt.Errorf("psaps %s and %s: both URIs have the user %q; the simulated PSAPs are told apart by it", other, p.ID, u.User)
		}
		users[u.User] = p.ID
		if err := f.Add(Spec{ID: p.ID, Username: u.User, Kind: PSAP, Behaviour: Behaviour{NoRegister: true}}); err != nil {
			f.Close()
			return nil, fmt.Errorf("psap %s: %w", p.ID, err)
		}
	}
	return f, nil
}
