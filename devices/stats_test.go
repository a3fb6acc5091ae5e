package devices

import (
	"math"
	"testing"
	"time"
)

// pkt is a synthetic packet: sequence number, RTP timestamp and arrival
// offset from the first packet.
type pkt struct {
	seq uint16
	ts  uint32
	at  time.Duration
}

// onTime makes n packets 20 ms apart from seq0 and ts0, on time.
func onTime(seq0 uint16, ts0 uint32, n int) []pkt {
	out := make([]pkt, n)
	for i := range out {
		out[i] = pkt{seq0 + uint16(i), ts0 + uint32(i*samplesPerPkt), time.Duration(i) * packetTime}
	}
	return out
}

func without(ps []pkt, idx ...int) []pkt {
	drop := map[int]bool{}
	for _, i := range idx {
		drop[i] = true
	}
	var out []pkt
	for i, p := range ps {
		if !drop[i] {
			out = append(out, p)
		}
	}
	return out
}

func swapped(ps []pkt, pairs ...int) []pkt {
	out := append([]pkt(nil), ps...)
	for _, i := range pairs {
		out[i], out[i+1] = out[i+1], out[i]
		out[i].at, out[i+1].at = out[i+1].at, out[i].at // arrival order stays increasing
	}
	return out
}

func TestRTPStats(t *testing.T) {
	jittery := onTime(100, 1000, 400)
	for i := range jittery {
		if i%2 == 1 {
			jittery[i].at += 5 * time.Millisecond // every other packet 5 ms late
		}
	}
	tests := []struct {
		name string
		in   []pkt
		want MediaStats // Jitter compared with tolerance, JitterMs ignored
		tol  float64
	}{
		{"in order", onTime(0, 0, 50), MediaStats{Received: 50, Expected: 50}, 1e-9},
		{"loss", without(onTime(7, 0, 50), 10, 11, 30), MediaStats{Received: 47, Expected: 50, Lost: 3}, 1e-9},
		{"sequence wrap", onTime(65530, 4294967000, 20), MediaStats{Received: 20, Expected: 20}, 1e-9},
		{"loss across the wrap", without(onTime(65530, 0, 20), 5, 6), MediaStats{Received: 18, Expected: 20, Lost: 2}, 1e-9},
		{"reordering is not loss", swapped(onTime(65500, 0, 60), 10, 35, 50), MediaStats{Received: 60, Expected: 60, Reordered: 3}, 60},
		{"duplicate", append(onTime(1, 0, 10), pkt{10, 9 * samplesPerPkt, 200 * time.Millisecond}),
			MediaStats{Received: 10, Expected: 10, Duplicates: 1}, 1e-9},
		// |D| = 5 ms = 40 timestamp units on every packet: J converges to 40.
		{"jitter", jittery, MediaStats{Received: 400, Expected: 400, Jitter: 40}, 0.01},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := rtpStats{clockRate: clockRate}
			t0 := time.Unix(1000, 0)
			for _, p := range tc.in {
				s.observe(p.seq, p.ts, t0.Add(p.at))
			}
			got := s.snapshot()
			if math.Abs(got.Jitter-tc.want.Jitter) > tc.tol {
				t.Errorf("jitter %.3f, want %.3f ± %g", got.Jitter, tc.want.Jitter, tc.tol)
			}
			if math.Abs(got.JitterMs-got.Jitter/8) > 1e-9 {
				t.Errorf("jitter %.3f ms for %.3f units", got.JitterMs, got.Jitter)
			}
			got.Jitter, got.JitterMs = tc.want.Jitter, 0
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestRTPStatsLossRate(t *testing.T) {
	s := MediaStats{Expected: 200, Lost: 3}
	if s.LossRate() != 0.015 {
		t.Errorf("loss rate %v", s.LossRate())
	}
	if (MediaStats{}).LossRate() != 0 {
		t.Error("empty stream has a loss rate")
	}
}

func TestSDPRoundTrip(t *testing.T) {
	m, err := listenMedia("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	offer, ok := parseSDP(m.sdp())
	if !ok || offer.Addr.String() != m.conn.LocalAddr().String() {
		t.Fatalf("parsed %v %v from\n%s", offer, ok, m.sdp())
	}
	if len(m.sdp()) > 300 {
		t.Errorf("SDP is %d bytes", len(m.sdp()))
	}
	for _, bad := range []string{"", "v=0\r\nm=audio 4000 RTP/AVP 8\r\nc=IN IP4 127.0.0.1\r\n", "m=audio 0 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n", "m=audio 4000 RTP/AVP 0\r\n"} {
		if _, ok := parseSDP([]byte(bad)); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestCompletedElsewhere(t *testing.T) {
	for reason, want := range map[string]bool{
		`SIP;cause=200;text="Call completed elsewhere"`:     true,
		`SIP ; cause=200 ; text="Call completed elsewhere"`: true,
		`SIP;cause=487;text="Request Terminated"`:           false,
		`Q.850;cause=16`: false,
		`SIP;cause=2000`: false,
	} {
		if got := completedElsewhere([]string{reason}); got != want {
			t.Errorf("%q: %v, want %v", reason, got, want)
		}
	}
}
