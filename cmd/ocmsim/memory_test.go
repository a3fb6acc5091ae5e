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

func TestServeMemoryLimit(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		name         string
		live, static uint64
		want         int64
	}{
		{"small tenant, idle: the floor", 20 * mib, 15 * mib, 256 * mib},
		{"100,000 devices at rest: 20 % over the static part", 220 * mib, 210 * mib, int64(1.2*210*mib) + 5*10*mib},
		{"calls in progress get 5× their live data", 500 * mib, 20 * mib, int64(1.2*20*mib) + 5*480*mib},
		{"static estimate above the live heap", 100 * mib, 300 * mib, 256 * mib},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := serveMemoryLimit(tc.live, tc.static); got != tc.want {
				t.Errorf("serveMemoryLimit(%d MiB, %d MiB) = %d MiB, want %d MiB", tc.live/mib, tc.static/mib, got/mib, tc.want/mib)
			}
		})
	}
}
