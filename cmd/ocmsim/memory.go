package main

import (
	"os"
	"runtime"
	"runtime/debug"
)

// Memory settings of the long-running commands (serve, load), unless the
// GOGC / GOMEMLIMIT environment variables say otherwise.
const (
	// gcPercent trades memory for CPU: SIP parsing makes a lot of
	// short-lived garbage, and fewer collections gained ~5 % throughput.
	gcPercent = 400
	// serveMemoryLimit and loadMemoryLimit are the smallest soft memory
	// limits set: a load process also holds its simulated devices.
	serveMemoryLimit = 256 << 20
	loadMemoryLimit  = 400 << 20
	// limitPerLiveByte: the limit is this many times the live heap once the
	// tenant is built (registrations then roughly double the live heap).
	limitPerLiveByte = 4
)

// tuneMemory sets GOGC 400 and a soft memory limit of max(atLeast, 4 × the
// live heap now), so that the generous GOGC does not let a big tenant's heap
// grow to five times its live size: with 100,000 registered devices the
// process stays near the limit instead of above 1 GB. Call it once the
// tenant is built. It returns the limit set (0: GOMEMLIMIT rules).
func tuneMemory(atLeast int64) int64 {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	limit := max(atLeast, limitPerLiveByte*int64(ms.HeapAlloc))
	debug.SetMemoryLimit(limit)
	return limit
}
