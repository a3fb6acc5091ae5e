package run

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"ocmsim/devices"
	"ocmsim/scenarios"
)

// waitingHandler discards logs but reports the proxy address of the
// runner's "waiting for real softphones" line.
type waitingHandler struct {
	slog.Handler
	proxy chan string
}

func (h waitingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h waitingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "waiting for real softphones to register" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "proxy" {
			select {
			case h.proxy <- a.Value.String():
			default:
			}
		}
		return true
	})
	return nil
}

func (h waitingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h waitingHandler) WithGroup(string) slog.Handler      { return h }

// TestRealSoftphoneRegisters: the runner waits for the realSoftphone
// device, which the test registers (a devices.Fleet stands for the real
// softphone), then the call rings it.
func TestRealSoftphoneRegisters(t *testing.T) {
	f, err := scenarios.Load("testdata/softphone.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dev, ok := f.Directory.Device("alice-laptop")
	if !ok {
		t.Fatal("no alice-laptop in the tenant")
	}
	h := waitingHandler{Handler: slog.NewTextHandler(io.Discard, nil), proxy: make(chan string, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	softphone := make(chan *devices.Fleet, 1)
	go func() {
		defer close(softphone)
		var addr string
		select {
		case addr = <-h.proxy:
		case <-ctx.Done():
			return
		}
		fl, err := devices.NewFleet(devices.Config{Proxy: addr, Domain: f.Directory.Domain(),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Errorf("softphone: %v", err)
			return
		}
		softphone <- fl
		spec := devices.Spec{ID: dev.ID, Username: dev.Username, Password: dev.Password, Kind: devices.Kind(dev.Kind),
			Behaviour: devices.Behaviour{Answer: devices.Answer{Never: true}}}
		if err := fl.Add(spec); err != nil {
			t.Errorf("softphone: %v", err)
			return
		}
		if err := fl.Register(ctx, dev.ID); err != nil {
			t.Errorf("softphone: %v", err)
		}
	}()
	rep, err := Run(ctx, f, Options{Logger: slog.New(h), SoftphoneTimeout: 10 * time.Second})
	fl := <-softphone
	if fl != nil {
		defer fl.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed() {
		t.Fatalf("scenario failed:\n%s", reportText(t, rep, true))
	}
	if fl == nil {
		t.Fatal("the softphone never started")
	}
	if len(rep.Calls) != 1 {
		t.Fatalf("%d calls, want 1", len(rep.Calls))
	}
	if got := fl.Events(devices.Is(devices.InviteReceived, "alice-laptop")); len(got) != 1 {
		t.Errorf("the softphone got %d INVITEs, want 1", len(got))
	}
}

// TestRealSoftphoneMissing: nobody registers the realSoftphone device; the
// scenario fails, naming it, once the wait is over.
func TestRealSoftphoneMissing(t *testing.T) {
	f, err := scenarios.Load("testdata/softphone.yaml")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := Run(context.Background(), f, Options{SoftphoneTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("run took %v with a 200ms softphone timeout", took)
	}
	if rep.Passed() {
		t.Fatal("the scenario passed without its real softphone")
	}
	var b bytes.Buffer
	WriteText(&b, rep, TextOptions{})
	out := b.String()
	for _, want := range []string{"real softphone(s) not registered within 200ms", "alice-laptop"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q\n%s", want, out)
		}
	}
	if len(rep.Calls) != 0 {
		t.Errorf("steps ran: %d calls", len(rep.Calls))
	}
}
