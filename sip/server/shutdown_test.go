package server

import (
	"testing"
	"time"
)

// TestShutdownDrains: cancelling Serve's context while a call rings stops
// new calls (503 with Retry-After, /healthz failing) but lets the ringing
// call end; then Serve returns nil.
func TestShutdownDrains(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.DrainTimeout = 5 * time.Second })
	desk := devices(t, ts, "ben-desk")["ben-desk"]
	pstn := newPhone(t, "pstn")
	ringing := pstn.dial(t, ts, "+12065550000", benNumber)
	desk.ringing(t)

	ts.stop()
	select {
	case <-ts.stopping:
	case <-time.After(waitFor):
		t.Fatal("shutdown did not start")
	}
	res := pstn.dial(t, ts, "+12065550000", benNumber).final(t)
	if res.StatusCode != 503 || header(res, "Retry-After") == "" {
		t.Errorf("INVITE while draining: %d %s (Retry-After %q), want 503 with Retry-After", res.StatusCode, res.Reason, header(res, "Retry-After"))
	}
	if err := ts.Sources().Healthy(); err == nil {
		t.Error("healthy while draining")
	}
	select {
	case err := <-ts.served:
		t.Fatalf("Serve returned (%v) with a call ringing", err)
	default:
	}

	ringing.cancel() // the caller hangs up: the call ends, the drain completes
	next(t, "ben-desk", "CANCEL", desk.cancels)
	select {
	case err := <-ts.served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		ts.served <- err
	case <-time.After(waitFor):
		t.Fatal("Serve did not return after the last call ended")
	}
}

// TestShutdownDrainTimeout: a call that never ends does not hold Serve
// beyond the drain timeout.
func TestShutdownDrainTimeout(t *testing.T) {
	const drain = 200 * time.Millisecond
	ts := startServer(t, func(c *Config) { c.DrainTimeout = drain })
	desk := devices(t, ts, "ben-desk")["ben-desk"]
	pstn := newPhone(t, "pstn")
	pstn.dial(t, ts, "+12065550000", benNumber)
	desk.ringing(t)

	start := time.Now()
	ts.stop()
	select {
	case err := <-ts.served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		ts.served <- err
	case <-time.After(drain + waitFor):
		t.Fatal("Serve did not return after the drain timeout")
	}
	if d := time.Since(start); d < drain {
		t.Errorf("Serve returned after %v, before the drain timeout %v", d, drain)
	}
}
