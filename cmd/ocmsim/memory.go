package main

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"time"
)

// serveGCPercent trades memory for CPU in `serve`: SIP parsing makes a lot
// of short-lived garbage, and fewer collections gained ~5 % throughput.
// (`load` keeps Go's default: its live heap is mostly simulated devices.)
const serveGCPercent = 400

// serveIdle is how long `serve` must see no SIP traffic before it returns
// freed memory to the operating system.
const serveIdle = 5 * time.Second

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
func releaseWhenIdle(ctx context.Context, activity func() uint64, idle time.Duration, release func(), log *slog.Logger) {
	tick := time.NewTicker(idle / 5)
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
