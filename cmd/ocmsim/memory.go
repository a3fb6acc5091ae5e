package main

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// serveGCPercent trades memory for CPU in `serve` and, once its devices
// are registered, in `load`: SIP parsing makes a lot of short-lived
// garbage; fewer collections gained ~5 % throughput in `serve`, and cut
// `load`'s CPU per call by a fifth (0.93 → 0.69–0.77 ms at 1200 calls/s).
const serveGCPercent = 400

// tuneLoadMemory gives `load` the trade of `serve` once every device is
// registered: GOGC 400 under the soft limit of serveMemoryLimit, whose
// static part is the heap now (devices, tenant, the in-process server's
// bindings), until ctx ends. Nothing changes when GOGC is set; the limit
// is not set when GOMEMLIMIT is.
func tuneLoadMemory(ctx context.Context) {
	if os.Getenv("GOGC") != "" {
		return
	}
	base := liveHeap()
	debug.SetGCPercent(serveGCPercent)
	go limitMemory(ctx, base, func() int { return 0 }, 500*time.Millisecond)
}

// serveIdle is how long `serve` must see no SIP traffic before it returns
// freed memory to the operating system.
const serveIdle = 5 * time.Second

// releaseTick is how often releaseWhenIdle looks at the activity.
const releaseTick = 100 * time.Millisecond

// tuneServeMemory sets GOGC 400 unless the GOGC environment variable is set.
func tuneServeMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

// releaseWhenIdle returns freed memory to the operating system once
// activity (a counter of datagrams read) has stood still for idle after
// moving: with GOGC 400 a burst (100,000 devices registering, a load test)
// leaves the heap, and the RSS, at several times the live data until the
// next burst. release is debug.FreeOSMemory unless a test gives another.
// It runs until ctx ends.
//
// Activity is looked at every releaseTick, so the release comes at most
// that late: FreeOSMemory holds the thread it runs on for the whole
// scavenge (0.35 s for ~200 MB, the only thread of a one-P process), and
// the longer the release waits after idle, the likelier new traffic comes
// first. With one look a second, `serve` released 5–6 s after a step of
// the proxy bench and the next step began 6 s after it: several steps
// began in a stall and lost calls.
func releaseWhenIdle(ctx context.Context, activity func() uint64, idle time.Duration, release func(), log *slog.Logger) {
	tick := time.NewTicker(min(idle/5, releaseTick))
	defer tick.Stop()
	last, released := activity(), activity()
	since := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			n := activity()
			switch {
			case n != last:
				last, since = n, now
			case n != released && now.Sub(since) >= idle:
				release()
				released = n
				log.Debug("memory: idle, freed memory returned to the OS")
			}
		}
	}
}

// Soft memory limit of `serve`, recomputed as the tenant's registrations and
// its calls in progress change. GOGC 400 lets the heap grow to five times
// the live data; that is what calls need (their transactions are short-lived
// garbage), but for the tenant and its registered devices (long-lived) it
// only fragments the heap: 100,000 devices left 410 MiB at rest. So the
// limit allows 20 % over that static part and 5× the rest:
//
//	limit = max(256 MiB, 1.2 × static + 5 × (live − static))
//	static = live heap once the tenant was built + bytesPerBinding × bindings
const (
	minServeLimit   = 256 << 20
	bytesPerBinding = 2 << 10 // a registered contact: binding, index, GRUUs (measured ~1.4–2 KB)
	staticHeadroom  = 1.2
	dynamicHeadroom = serveGCPercent/100 + 1
)

// serveMemoryLimit is the limit for a live heap of live bytes, of which
// static are the tenant and its bindings.
func serveMemoryLimit(live, static uint64) int64 {
	dynamic := uint64(0)
	if live > static {
		dynamic = live - static
	}
	return max(minServeLimit, int64(staticHeadroom*float64(min(static, live))+dynamicHeadroom*float64(dynamic)))
}

// limitMemory keeps the soft memory limit at serveMemoryLimit, every
// interval, until ctx ends; base is the live heap once the tenant was
// built, bindings the number of registered contacts. It does nothing when
// GOMEMLIMIT is set.
func limitMemory(ctx context.Context, base uint64, bindings func() int, interval time.Duration) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		debug.SetMemoryLimit(serveMemoryLimit(heapLive(), base+uint64(bindings())*bytesPerBinding))
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// heapLive is the heap marked live by the last collection.
func heapLive() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// liveHeap is the live heap after a collection (call it once set up).
func liveHeap() uint64 {
	runtime.GC()
	return heapLive()
}
