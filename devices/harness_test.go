package devices_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"

	"ocmsim/devices"
	"ocmsim/scenarios"
	"ocmsim/sip/server"
)

// waitFor bounds every wait of a test.
const waitFor = 3 * time.Second

// Numbers of testdata/calls.yaml.
const (
	annNumber = "+14255550100" // NativeFirst: ann-native + ann-desk
	benNumber = "+14255550101" // TeamsFirst: ben-teams + ben-desk
	pstnFrom  = "+12065550123"
)

var callsDevices = []string{"ann-teams", "ann-native", "ann-desk", "ben-teams", "ben-native", "ben-desk"}

func TestMain(m *testing.M) {
	// sipgo's timers are process-wide: shrink them for the whole package.
	sip.SetTimers(10*time.Millisecond, 40*time.Millisecond, 50*time.Millisecond)
	sip.Timer_D = 100 * time.Millisecond
	sip.Timer_1xx = time.Minute
	sip.SetDefaultLogger(testLogger())
	goleak.VerifyTestMain(m)
}

func testLogger() *slog.Logger {
	if os.Getenv("DEVICES_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func load(tb testing.TB, path string) *scenarios.File {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := scenarios.Parse(path, data)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// startServer serves f's tenant on 127.0.0.1 UDP port 0 until the test ends.
func startServer(tb testing.TB, f *scenarios.File) *server.Server {
	tb.Helper()
	srv, err := server.New(server.Config{Directory: f.Directory, Listen: []server.Listen{{Transport: "udp", Addr: "127.0.0.1:0"}},
		Logger: testLogger(), DrainTimeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				tb.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			tb.Errorf("Serve did not return")
		}
	})
	return srv
}

// behaviour maps a scenario's device behaviour to the devices package's,
// as the scenario runner does.
func behaviour(b scenarios.Behaviour) devices.Behaviour {
	return devices.Behaviour{RingAfter: b.RingAfter, Answer: devices.Answer{Never: b.Answer.Never, After: b.Answer.After},
		Reject: b.Reject, Offline: b.Offline, NoRegister: !b.Register, UnregisterAt: b.UnregisterAt, Network: string(b.Network)}
}

// newFleet builds a fleet for the devices ids of f (closed at the end of
// the test, before the server stops).
func newFleet(tb testing.TB, srv *server.Server, f *scenarios.File, ids []string, tweak ...func(*devices.Config)) *devices.Fleet {
	tb.Helper()
	cfg := devices.Config{Proxy: srv.Addr("udp"), Domain: f.Directory.Domain(), Logger: testLogger()}
	for _, fn := range tweak {
		fn(&cfg)
	}
	fl, err := devices.NewFleet(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { fl.Close() })
	for _, id := range ids {
		dev, ok := f.Directory.Device(id)
		if !ok {
			tb.Fatalf("no device %q in the tenant", id)
		}
		err := fl.Add(devices.Spec{ID: dev.ID, Username: dev.Username, Password: dev.Password,
			Kind: devices.Kind(dev.Kind), Behaviour: behaviour(f.Devices.For(id))})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return fl
}

// setup serves testdata/calls.yaml and registers all of its devices.
func setup(tb testing.TB, tweak ...func(*devices.Config)) (*server.Server, *devices.Fleet) {
	tb.Helper()
	f := load(tb, "testdata/calls.yaml")
	srv := startServer(tb, f)
	fl := newFleet(tb, srv, f, callsDevices, tweak...)
	if err := fl.RegisterAll(ctxFor(tb)); err != nil {
		tb.Fatal(err)
	}
	return srv, fl
}

func ctxFor(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	tb.Cleanup(cancel)
	return ctx
}

// wait waits for an event of the call.
func wait(tb testing.TB, c *devices.Call, m devices.Match, what string) devices.Event {
	tb.Helper()
	e, err := c.Wait(ctxFor(tb), m)
	if err != nil {
		tb.Fatalf("%s: %v\ntimeline:\n%s", what, err, timeline(c))
	}
	return e
}

func timeline(c *devices.Call) string {
	var s string
	for _, e := range c.Events(nil) {
		s += "  +" + e.At.Sub(c.Started).Round(time.Millisecond).String() + " " + e.String() + "\n"
	}
	return s
}

// rang returns the devices that got the call's INVITE.
func rang(c *devices.Call) map[string]bool {
	out := map[string]bool{}
	for _, e := range c.Events(devices.Is(devices.InviteReceived, "")) {
		out[e.Device] = true
	}
	return out
}
