package explain

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"ocmsim/internal/psap"
	"ocmsim/routing"
)

// EmergencyView is the JSON shape of an emergency call's location decision.
type EmergencyView struct {
	Dial       string   `json:"dial"`
	Device     string   `json:"device"`
	Kind       string   `json:"kind"`
	User       string   `json:"user,omitempty"`
	Service    string   `json:"service"`
	Country    string   `json:"country"`
	Path       string   `json:"path"`
	Callback   string   `json:"callback,omitempty"`
	Source     string   `json:"source"`
	Method     string   `json:"method,omitempty"`
	Location   string   `json:"location"`
	Considered []string `json:"considered"` // each source in precedence order and what became of it
	PSAP       string   `json:"psap,omitempty"`
	PSAPURI    string   `json:"psapUri,omitempty"`
	Match      string   `json:"match,omitempty"`
}

// NewEmergencyView explains dec, resolved from call, and the PSAP chosen
// (ok false: none). trusted are the tenant's trusted IPs; static is the
// number's static address, nil when it has none.
func NewEmergencyView(call routing.EmergencyCall, dec routing.EmergencyDecision, trusted []netip.Prefix,
	static *routing.EmergencyAddress, p psap.PSAP, m psap.Match, ok bool) EmergencyView {
	l := dec.Location
	v := EmergencyView{Dial: call.Dialled, Device: dec.Device.ID, Kind: string(dec.Device.Kind), User: dec.User,
		Service: dec.Service, Country: dec.Country, Path: l.Path, Callback: dec.Callback, Source: string(l.Source),
		Method: l.Method, Location: LocationText(l), Considered: []string{}}
	if ok {
		v.PSAP, v.PSAPURI, v.Match = p.ID, p.URI, string(m)
	}
	used := func(src routing.LocationSource) string {
		if l.Source == src {
			return " → used"
		}
		return ""
	}
	if dec.Device.Kind == routing.NativeDialer {
		if g := call.GPS; g != nil {
			v.Considered = append(v.Considered, fmt.Sprintf("1 GPS fix %.5f,%.5f ± %.0f m (used when more precise than the cell)%s",
				g.Lat, g.Lon, g.Uncertainty, used(routing.SourceGPS)))
		} else {
			v.Considered = append(v.Considered, "1 GPS fix: none reported")
		}
		switch {
		case call.CellKey == "":
			v.Considered = append(v.Considered, "2 serving cell: none reported")
		case l.Source == routing.SourceCell:
			v.Considered = append(v.Considered, fmt.Sprintf("2 serving cell %s: in the cell table, radius %.0f m → used", call.CellKey, l.Radius))
		default:
			v.Considered = append(v.Considered, "2 serving cell "+call.CellKey+": "+cellNote(l))
		}
		return v
	}
	trust := "not a trusted IP: the LIS is not consulted"
	for _, t := range trusted {
		if call.PublicIP.IsValid() && t.Contains(call.PublicIP.Unmap()) {
			trust = "trusted (" + t.String() + ")"
		}
	}
	ids := []string{}
	if n := call.Network; n.BSSID != "" {
		ids = append(ids, "bssid "+n.BSSID)
	}
	if n := call.Network; n.Chassis != "" {
		ids = append(ids, "switch "+strings.TrimSpace(n.Chassis+" "+n.Port))
	}
	if n := call.Network; n.LocalIP.IsValid() {
		ids = append(ids, "local IP "+n.LocalIP.String())
	}
	dyn := fmt.Sprintf("1 dynamic (LIS): public IP %s %s; network %s", call.PublicIP, trust, orNothing(strings.Join(ids, ", ")))
	if l.Source == routing.SourceDynamic {
		dyn += " → matched address " + l.AddressID + ", used"
	}
	v.Considered = append(v.Considered, dyn)
	if call.UserConfirmed != nil {
		v.Considered = append(v.Considered, "2 user-confirmed address "+call.UserConfirmed.Civic.Summary()+used(routing.SourceUserConfirmed))
	} else {
		v.Considered = append(v.Considered, "2 user-confirmed address: none")
	}
	if static != nil {
		v.Considered = append(v.Considered, "3 static address "+static.ID+" of the number"+used(routing.SourceStatic))
	} else {
		v.Considered = append(v.Considered, "3 static address: the number has none")
	}
	return v
}

func cellNote(l routing.Location) string {
	if l.Source == routing.SourceGPS {
		return "known, less precise than the GPS fix"
	}
	return "not in the cell table"
}

func orNothing(s string) string {
	if s == "" {
		return "nothing reported"
	}
	return s
}

// LocationText is one line about a resolved location.
func LocationText(l routing.Location) string {
	if l.Unknown() {
		return "unknown: the national fallback PSAP, no PIDF-LO"
	}
	var parts []string
	if l.Civic != nil {
		parts = append(parts, "civic "+l.Civic.Summary())
	}
	if p := l.Point; p != nil {
		if l.Radius > 0 {
			parts = append(parts, fmt.Sprintf("circle %.5f,%.5f r=%.0f m", p.Lat, p.Lon, l.Radius))
		} else {
			parts = append(parts, fmt.Sprintf("point %.5f,%.5f", p.Lat, p.Lon))
		}
	}
	return strings.Join(parts, "; ")
}

// EmergencyText writes the view for a terminal.
func EmergencyText(w io.Writer, v EmergencyView) error {
	var b strings.Builder
	fmt.Fprintf(&b, "emergency %s from %s (%s, user %s)\n", v.Dial, v.Device, v.Kind, orNothing(v.User))
	fmt.Fprintf(&b, "service   %s (%s)\n", v.Service, v.Country)
	path := "teams: Teams client → Teams → operator (location by Teams' precedence)"
	if v.Path == routing.PathOperator {
		path = "operator: the mobile operator's own path, never Teams"
	}
	fmt.Fprintf(&b, "path      %s\n", path)
	fmt.Fprintf(&b, "callback  %s\n", orNothing(v.Callback))
	b.WriteString("sources   in precedence order:\n")
	for _, c := range v.Considered {
		fmt.Fprintf(&b, "            %s\n", c)
	}
	fmt.Fprintf(&b, "location  %s (source %s", v.Location, v.Source)
	if v.Method != "" {
		fmt.Fprintf(&b, ", method %s", v.Method)
	}
	b.WriteString(")\n")
	if v.PSAP == "" {
		fmt.Fprintf(&b, "psap      none serves %s: the call is answered 503\n", v.Country)
	} else {
		fmt.Fprintf(&b, "psap      %s (%s match) %s\n", v.PSAP, v.Match, v.PSAPURI)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
