package main

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// TestReleaseWhenIdle: memory is released once after traffic stops, not
// while it flows, not again while idle, and again after the next burst.
func TestReleaseWhenIdle(t *testing.T) {
	var traffic, releases atomic.Uint64
	released := make(chan struct{}, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const idle = 150 * time.Millisecond // a stall of this long in the traffic loop would read as idle
	go releaseWhenIdle(ctx, traffic.Load, idle, func() { releases.Add(1); released <- struct{}{} },
		slog.New(slog.NewTextHandler(io.Discard, nil)))

	busy := func(d time.Duration) { // traffic keeps moving for d
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(idle / 10) {
			traffic.Add(1)
		}
	}
	busy(3 * idle)
	if n := releases.Load(); n != 0 {
		t.Fatalf("%d releases while traffic flowed", n)
	}
	select {
	case <-released:
	case <-time.After(20 * idle):
		t.Fatal("no release once traffic stopped")
	}
	time.Sleep(4 * idle) // idle on: no second release
	if n := releases.Load(); n != 1 {
		t.Fatalf("%d releases after one burst, want 1", n)
	}
	busy(2 * idle)
	select {
	case <-released:
	case <-time.After(20 * idle):
		t.Fatal("no release after the second burst")
	}
}
