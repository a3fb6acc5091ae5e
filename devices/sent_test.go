package devices_test

import (
	"context"
	"net"
	"testing"
	"time"

	"ocmsim/devices"
)

// TestSentCountsRetransmissions: a REGISTER nobody answers is resent on
// Timer E; what the silent proxy receives is what Sent reports.
func TestSentCountsRetransmissions(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	f, err := devices.NewFleet(devices.Config{Proxy: silent.LocalAddr().String(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Add(devices.Spec{ID: "d1", Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	registered := make(chan error, 1)
	go func() { registered <- f.Register(ctx, "d1") }()
	defer func() { cancel(); <-registered }()

	seen := map[string]int{}
	buf := make([]byte, 65535)
	for received := 0; received < 4; received++ {
		silent.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := silent.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %d datagrams: %v", received, err)
		}
		seen[string(buf[:n])]++
	}
	if len(seen) != 1 {
		t.Fatalf("the proxy got %d different messages, want one REGISTER sent again and again", len(seen))
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.Sent().Retransmissions < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	got := f.Sent()
	if got.Retransmissions < 3 || got.Messages-got.Retransmissions != 1 {
		t.Errorf("Sent() = %+v, want 1 message and at least 3 retransmissions of it", got)
	}
}
