package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"ocmsim/internal/explain"
	"ocmsim/routing"
	"ocmsim/scenarios"
)

func runExplain(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("explain", "NUMBER [-c FILE] [--registered dev1,dev2] [--network dev=cellular,...] [--fmc] [--json]\n"+
		"       ocmsim explain --emergency 911 --device ID [-c FILE] [--cell ID] [--gps LAT,LON,METRES] [--subnet IP/LEN] [--bssid MAC] [--public-ip IP] [--confirmed ADDRESS] [--json]", stderr)
	file := fs.String("c", "", "scenario or tenant file (default: the bundled demo tenant)")
	registered := fs.String("registered", "", "comma-separated devices that are registered (default: all)")
	network := fs.String("network", "", "comma-separated device=wifi|cellular")
	fmc := fs.Bool("fmc", false, "the call carries X-MS-FMC (already passed Teams)")
	asJSON := fs.Bool("json", false, "print JSON")
	var em emergencyFlags
	em.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitBadArgs
	}
	if em.dial != "" {
		if len(pos) != 0 {
			fs.Usage()
			return exitBadArgs
		}
		return explainEmergency(em, *file, *asJSON, stdout, stderr)
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitBadArgs
	}
	f, err := loadTenant(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadArgs
	}
	reach, err := reachability(f.Directory, *registered, *network)
	if err != nil {
		fmt.Fprintln(stderr, "ocmsim explain:", err)
		return exitBadArgs
	}
	dec := f.Directory.Route(routing.Call{To: pos[0], FMC: *fmc}, reach)
	return printView(stdout, *asJSON, explain.NewView(pos[0], &dec), explain.Text)
}

// printView prints v as indented JSON, or as text for a terminal.
func printView[V any](w io.Writer, asJSON bool, v V, text func(io.Writer, V) error) int {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(v)
		return exitOK
	}
	text(w, v)
	return exitOK
}

// loadTenant loads a scenario or tenant file, or the demo tenant for "".
func loadTenant(path string) (*scenarios.File, error) {
	if path == "" {
		return scenarios.LoadDemo()
	}
	return scenarios.Load(path)
}

// reachability builds the device states `explain` assumes: every device
// registered unless --registered names some; networks from --network.
func reachability(d *routing.Directory, registered, network string) (routing.Reachability, error) {
	states := map[string]routing.Reach{}
	all := registered == ""
	if !all {
		for _, id := range splitList(registered) {
			if _, ok := d.Device(id); !ok {
				return nil, fmt.Errorf("--registered: unknown device %q", id)
			}
			states[id] = routing.Reach{Registered: true}
		}
	}
	for _, kv := range splitList(network) {
		id, net, ok := strings.Cut(kv, "=")
		if !ok || (net != string(routing.Wifi) && net != string(routing.Cellular)) {
			return nil, fmt.Errorf("--network: %q is not device=wifi or device=cellular", kv)
		}
		if _, ok := d.Device(id); !ok {
			return nil, fmt.Errorf("--network: unknown device %q", id)
		}
		st, ok := states[id]
		if !ok && !all {
			return nil, fmt.Errorf("--network: device %q is not in --registered", id)
		}
		st.Registered, st.Network = true, routing.Network(net)
		states[id] = st
	}
	return routing.ReachFunc(func(id string) routing.Reach {
		if st, ok := states[id]; ok {
			return st
		}
		return routing.Reach{Registered: all}
	}), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
