package devices_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"ocmsim/devices"
	"ocmsim/sip/server"
)

func TestRegisterWithDigest(t *testing.T) {
	srv, fl := setup(t)
	now := time.Now()
	for _, id := range callsDevices {
		bs := srv.Bindings().Contacts(id, now)
		if len(bs) != 1 {
			t.Fatalf("%s: %d bindings, want 1", id, len(bs))
		}
		b := bs[0]
		if b.URI.Host != "127.0.0.1" || b.Source != fl.Addr() {
			t.Errorf("%s: contact %s from %s, want the fleet's socket %s", id, b.Contact, b.Source, fl.Addr())
		}
		if net, _ := b.Feature(server.NetworkTag); net != devices.Wifi {
			t.Errorf("%s: network tag %q", id, net)
		}
		if b.Instance == "" {
			t.Errorf("%s: no +sip.instance", id)
		}
	}
	ev := fl.Events(devices.Is(devices.Registered, "ann-desk"))
	if len(ev) != 1 || ev[0].Expires < time.Hour-time.Minute || ev[0].Network != devices.Wifi {
		t.Errorf("ann-desk registered: %+v", ev)
	}

	must(t, fl.Unregister(ctxFor(t), "ann-desk"))
	if srv.Bindings().Registered("ann-desk", time.Now()) {
		t.Error("ann-desk still registered after Unregister")
	}
}

func TestRegisterWrongPassword(t *testing.T) {
	f := load(t, "testdata/calls.yaml")
	srv := startServer(t, f)
	fl := newFleet(t, srv, f, nil)
	must(t, fl.Add(devices.Spec{ID: "ann-desk", Password: "wrong", Kind: devices.TeamsDesktop}))
	err := fl.Register(ctxFor(t), "ann-desk")
	var re *devices.RegisterError
	if !errors.Is(err, devices.ErrUnauthorized) || !errors.As(err, &re) || re.Code != 401 {
		t.Fatalf("Register with a wrong password: %v", err)
	}
	if ev := fl.Events(devices.Is(devices.RegisterFailed, "ann-desk")); len(ev) != 1 || ev[0].Code != 401 {
		t.Errorf("events: %v", ev)
	}
	if srv.Bindings().Registered("ann-desk", time.Now()) {
		t.Error("registered with a wrong password")
	}
}

// TestRefreshBeforeExpiry asks for 1 s (the registrar wants at least 60:
// 423, retry with Min-Expires) and refreshes on an injected schedule.
func TestRefreshBeforeExpiry(t *testing.T) {
	refreshed := make(chan time.Duration, 8)
	srv, fl := setup(t, func(c *devices.Config) {
		c.Expires = time.Second
		c.RefreshAfter = func(granted time.Duration) time.Duration {
			select {
			case refreshed <- granted:
			default:
			}
			return 30 * time.Millisecond
		}
	})
	first := srv.Bindings().Contacts("ann-native", time.Now())[0]
	if first.Expires.Sub(time.Now()) < 50*time.Second {
		t.Errorf("granted %v, want the registrar's 60 s minimum", first.Expires.Sub(time.Now()))
	}
	if g := <-refreshed; g != 60*time.Second {
		t.Errorf("RefreshAfter got %v, want 60s", g)
	}
	// Every device refreshes: wait for ann-native's second Registered.
	ctx := ctxFor(t)
	seen := 0
	_, err := fl.Wait(ctx, func(e devices.Event) bool {
		if e.Type == devices.Registered && e.Device == "ann-native" {
			seen++
		}
		return seen == 3
	})
	must(t, err)
	b := srv.Bindings().Contacts("ann-native", time.Now())
	if len(b) != 1 || b[0].CSeq <= first.CSeq || b[0].CallID != first.CallID {
		t.Errorf("after refresh: %+v (first CSeq %d)", b, first.CSeq)
	}
	if ev := fl.Events(devices.Is(devices.RegisterFailed, "")); len(ev) > 0 {
		t.Errorf("failures: %v", ev)
	}
}

func TestSetNetworkReregisters(t *testing.T) {
	srv, fl := setup(t)
	must(t, fl.SetNetwork(ctxFor(t), "ann-native", devices.Cellular))
	b := srv.Bindings().Contacts("ann-native", time.Now())
	if len(b) != 1 {
		t.Fatalf("%d bindings", len(b))
	}
	if net, _ := b[0].Feature(server.NetworkTag); net != devices.Cellular {
		t.Errorf("network tag %q, want cellular", net)
	}
	ev := fl.Events(devices.Is(devices.Registered, "ann-native"))
	if last := ev[len(ev)-1]; last.Network != devices.Cellular {
		t.Errorf("last registration: %+v", last)
	}
}

func TestUnregisterAt(t *testing.T) {
	f := load(t, "testdata/calls.yaml")
	srv := startServer(t, f)
	fl := newFleet(t, srv, f, nil)
	must(t, fl.Add(devices.Spec{ID: "ann-teams", Password: "secret", Kind: devices.TeamsMobile,
		Behaviour: devices.Behaviour{UnregisterAt: 50 * time.Millisecond}}))
	must(t, fl.Add(devices.Spec{ID: "ann-native", Password: "secret", Kind: devices.NativeDialer,
		Behaviour: devices.Behaviour{Offline: true}}))
	must(t, fl.RegisterAll(ctxFor(t)))
	if srv.Bindings().Registered("ann-native", time.Now()) {
		t.Error("an offline device registered")
	}
	if _, err := fl.Wait(ctxFor(t), devices.Is(devices.Unregistered, "ann-teams")); err != nil {
		t.Fatal(err)
	}
	if srv.Bindings().Registered("ann-teams", time.Now()) {
		t.Error("ann-teams still registered")
	}
}

// TestThousandDevices registers 1,000 devices through one socket.
func TestThousandDevices(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	f := load(t, "testdata/scale.yaml")
	srv := startServer(t, f)
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("g%06d-1", i+1)
	}
	fl := newFleet(t, srv, f, ids)
	start := time.Now()
	ctx := ctxFor(t)
	must(t, fl.RegisterAll(ctx))
	took := time.Since(start)
	if n := len(srv.Bindings().All(time.Now())); n != len(ids) {
		t.Fatalf("%d bindings, want %d", n, len(ids))
	}
	t.Logf("registered %d devices through one socket in %v (%.0f/s)", len(ids), took, float64(len(ids))/took.Seconds())
}
