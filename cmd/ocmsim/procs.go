package main

import (
	"os"
	"runtime"
)

// procsUsage is the help text of --procs.
const procsUsage = "Go threads running at once (GOMAXPROCS); 0: the GOMAXPROCS variable, else the default"

// applyProcs sets GOMAXPROCS from --procs: flag when positive, else the
// GOMAXPROCS environment variable's (already in effect), else def when
// positive; 0 leaves Go's default, every CPU.
func applyProcs(flag, def int) {
	if n := procsFor(flag, os.Getenv("GOMAXPROCS") != "", def); n > 0 {
		runtime.GOMAXPROCS(n)
	}
}

// procsFor is the GOMAXPROCS to set, 0 for none (see applyProcs).
func procsFor(flag int, envSet bool, def int) int {
	switch {
	case flag > 0:
		return flag
	case envSet:
		return 0
	}
	return max(def, 0)
}

// sharedProcs is the default of `serve`, and of `load` against an external
// proxy: half the CPUs Go would use (cgroup limits included), at least
// one. ocmsim talks over loopback only, so its peers (SIPp, softphones,
// the proxy under test) share the machine; on 2 cores one thread drove
// more calls than two at less CPU per call (README "Performance"): two
// threads wake each other for every message (futex) and compete with the
// peers for the same cores.
func sharedProcs(cpus int) int { return max(cpus/2, 1) }

// lingerUsage is the help text of --linger.
const lingerUsage = "how long finished transactions absorb retransmissions (RFC 3261 Timers D, J, L, M: 32s; Kamailio keeps them its wt_timer, 5s)"
