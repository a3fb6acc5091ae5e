package registrar

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/fakeclock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testBinding builds a binding for device with a contact on port.
func testBinding(device string, port int, instance string, regID uint32) Binding {
	u := sip.Uri{Scheme: "sip", User: device, Host: "10.0.0.1", Port: port}
	b := Binding{Device: device, Kind: "teams-desktop", Contact: u.String(), URI: u, Instance: instance, RegID: regID}
	b.uriKey = contactKey(&u)
	return b
}

func put(t testing.TB, s *Bindings, now time.Time, callID string, cseq uint32, ttl time.Duration, bs ...Binding) []Binding {
	t.Helper()
	u := &update{callID: callID, cseq: cseq}
	for _, b := range bs {
		u.device = b.Device
		b.CallID, b.CSeq = callID, cseq
		u.contacts = append(u.contacts, change{b: b, ttl: ttl})
	}
	cur, err := s.apply(u, now)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return cur
}

type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) record(ev Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		out = append(out, fmt.Sprintf("%s %s %s", ev.Type, ev.Device, ev.Kind))
	}
	r.events = nil
	return out
}

func TestBindingsLifecycle(t *testing.T) {
	rec := &recorder{}
	s := &Bindings{OnChange: rec.record}

	put(t, s, t0, "c1", 1, time.Minute, testBinding("d1", 5060, "", 0), testBinding("d1", 5062, "", 0))
	put(t, s, t0, "c2", 1, 2*time.Minute, testBinding("d2", 5060, "<urn:uuid:1>", 1))
	if got := s.Len(); got != 3 {
		t.Fatalf("Len = %d, want 3", got)
	}
	if got := len(s.Contacts("d1", t0)); got != 2 {
		t.Fatalf("d1 contacts = %d, want 2", got)
	}
	// Same instance and reg-id, another contact and Call-ID: replaces.
	cur := put(t, s, t0.Add(time.Second), "c3", 1, 2*time.Minute, testBinding("d2", 5070, "<urn:uuid:1>", 1))
	if len(cur) != 1 || cur[0].URI.Port != 5070 || !cur[0].Registered.Equal(t0) {
		t.Fatalf("after replace: %+v", cur)
	}
	// Same Call-ID, CSeq not higher: refused, nothing changes.
	u := &update{device: "d2", callID: "c3", cseq: 1, contacts: []change{{b: testBinding("d2", 5080, "<urn:uuid:1>", 1), ttl: time.Minute}}}
	if _, err := s.apply(u, t0); err != ErrCSeqOutOfOrder {
		t.Fatalf("same CSeq: err = %v, want ErrCSeqOutOfOrder", err)
	}
	if got := s.Contacts("d2", t0)[0].URI.Port; got != 5070 {
		t.Fatalf("refused update changed the binding: port %d", got)
	}
	want := []string{
		"registered d1 teams-desktop", "registered d1 teams-desktop",
		"registered d2 teams-desktop", "refreshed d2 teams-desktop",
	}
	if got := rec.take(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events = %q, want %q", got, want)
	}

	at := t0.Add(90 * time.Second)
	if s.Registered("d1", at) || !s.Registered("d2", at) {
		t.Fatalf("Registered at +90s: d1 %v d2 %v, want false true", s.Registered("d1", at), s.Registered("d2", at))
	}
	if got := len(s.All(at)); got != 1 {
		t.Fatalf("All at +90s = %d, want 1", got)
	}
	if n := s.Prune(at); n != 2 || s.Len() != 1 {
		t.Fatalf("Prune = %d, Len = %d; want 2, 1", n, s.Len())
	}
	if got := rec.take(); fmt.Sprint(got) != fmt.Sprint([]string{"expired d1 teams-desktop", "expired d1 teams-desktop"}) {
		t.Fatalf("prune events = %q", got)
	}
	if n := s.RemoveDevice("d2"); n != 1 || s.Len() != 0 {
		t.Fatalf("RemoveDevice = %d, Len = %d", n, s.Len())
	}
}

func TestBindingsTooManyContacts(t *testing.T) {
	s := &Bindings{}
	put(t, s, t0, "c1", 1, time.Minute, testBinding("d", 1, "", 0), testBinding("d", 2, "", 0))
	u := &update{device: "d", callID: "c2", cseq: 1, maxContacts: 2, contacts: []change{{b: testBinding("d", 3, "", 0), ttl: time.Minute}}}
	if _, err := s.apply(u, t0); err != ErrTooManyContacts {
		t.Fatalf("err = %v, want ErrTooManyContacts", err)
	}
	// Once one has expired there is room again.
	u.cseq = 2
	if _, err := s.apply(u, t0.Add(2*time.Minute)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

func TestBindingsConcurrent(t *testing.T) {
	s := &Bindings{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			dev := fmt.Sprintf("d%d", g%4)
			var buf []Binding
			for i := range 200 {
				put(t, s, t0, fmt.Sprintf("c%d-%d", g, i), 1, time.Minute, testBinding(dev, 1000+g, "", 0))
				buf = s.AppendContacts(buf[:0], dev, t0)
				_ = s.All(t0)
				s.Prune(t0.Add(time.Duration(i) * time.Second))
			}
		})
	}
	wg.Wait()
}

func BenchmarkAppendContacts(b *testing.B) {
	s := &Bindings{}
	const devices = 10000
	names := make([]string, devices)
	for i := range devices {
		names[i] = fmt.Sprintf("dev-%05d", i)
		put(b, s, t0, "c"+names[i], 1, time.Hour,
			testBinding(names[i], 5060, "<urn:uuid:a>", 1), testBinding(names[i], 5062, "<urn:uuid:b>", 1))
	}
	dst := make([]Binding, 0, 8)
	now := t0.Add(time.Minute)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		dst = s.AppendContacts(dst[:0], names[i%devices], now)
		if len(dst) != 2 {
			b.Fatalf("got %d contacts", len(dst))
		}
	}
}

func TestBindingsRun(t *testing.T) {
	clk := fakeclock.New(t0)
	expired := make(chan Event, 1)
	s := &Bindings{Now: clk.Now, PruneInterval: time.Millisecond, OnChange: func(ev Event) {
		if ev.Type == Expired {
			expired <- ev
		}
	}}
	put(t, s, t0, "c1", 1, time.Minute, testBinding("d1", 5060, "", 0))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	clk.Advance(time.Minute)
	select {
	case ev := <-expired:
		if ev.Device != "d1" {
			t.Fatalf("expired %q, want d1", ev.Device)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("janitor did not prune")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if s.Len() != 0 {
		t.Fatalf("Len = %d after prune", s.Len())
	}
}

// TestBindingsRefreshKeepsSize checks that a refresh does not leave the
// stored list with room for two contacts (100,000 devices: 45 MB).
func TestBindingsRefreshKeepsSize(t *testing.T) {
	var s Bindings
	b := testBinding("dev", 5060, "", 0)
	put(t, &s, t0, "c1", 1, time.Hour, b)
	put(t, &s, t0.Add(time.Minute), "c1", 2, time.Hour, b)
	s.mu.RLock()
	list := s.devices["dev"]
	s.mu.RUnlock()
	if len(list) != 1 || cap(list) != 1 {
		t.Errorf("stored len %d cap %d, want 1 and 1", len(list), cap(list))
	}
}
