package devices

import "time"

// MediaStats is what one side of a call sent and received over RTP.
type MediaStats struct {
	// Sent is the number of packets sent; Received those received.
	Sent, Received int
	// Expected is how many packets the sequence numbers span (RFC 3550
	// A.3: highest extended sequence number - first + 1).
	Expected int
	// Lost is Expected - Received, never negative (duplicates can exceed it).
	Lost int
	// Reordered counts packets that arrived after a higher sequence number.
	Reordered int
	// Duplicates counts repeats of the highest sequence number (not in Received).
	Duplicates int
	// Jitter is the RFC 3550 §6.4.1 interarrival jitter estimate in
	// timestamp units (1/8000 s for PCMU); JitterMs the same in ms.
	Jitter   float64
	JitterMs float64
}

// LossRate is Lost/Expected, 0 when nothing was expected.
func (s MediaStats) LossRate() float64 {
	if s.Expected == 0 {
		return 0
	}
	return float64(s.Lost) / float64(s.Expected)
}

// BothWays reports whether media flowed in both directions: each side
// received something.
func BothWays(a, b MediaStats) bool { return a.Received > 0 && b.Received > 0 }

// RFC 3550 A.1 limits.
const (
	maxDropout  = 3000
	maxMisorder = 100
)

// rtpStats estimates loss and jitter of one RTP stream (RFC 3550 A.1,
// A.3, A.8), without the probation period of A.1.
type rtpStats struct {
	clockRate float64

	started    bool
	baseSeq    uint32 // extended sequence number of the first packet
	maxSeq     uint16
	cycles     uint32 // sequence number wraps, times 65536
	received   int
	reordered  int
	duplicates int

	t0        time.Time
	lastArr   float64 // arrival of the previous packet, timestamp units since t0
	lastTS    uint32
	jitter    float64
	hasJitter bool
}

// observe accounts for one packet that arrived at at.
func (s *rtpStats) observe(seq uint16, ts uint32, at time.Time) {
	if !s.started {
		s.started, s.baseSeq, s.maxSeq, s.t0 = true, uint32(seq), seq, at
	} else {
		switch udelta := seq - s.maxSeq; {
		case udelta == 0:
			s.duplicates++
			return
		case udelta < maxDropout:
			if seq < s.maxSeq {
				s.cycles += 1 << 16
			}
			s.maxSeq = seq
		case udelta <= 1<<16-maxMisorder:
			// A jump too big to be loss: the source restarted; start over.
			s.baseSeq, s.maxSeq, s.cycles, s.received, s.reordered, s.duplicates = uint32(seq), seq, 0, 0, 0, 0
		default:
			s.reordered++
		}
	}
	s.received++
	s.jitterUpdate(ts, at)
}

// jitterUpdate is RFC 3550 A.8: J += (|D(i-1,i)| - J)/16, in timestamp units.
func (s *rtpStats) jitterUpdate(ts uint32, at time.Time) {
	arr := at.Sub(s.t0).Seconds() * s.clockRate
	if s.hasJitter {
		d := (arr - s.lastArr) - float64(int32(ts-s.lastTS))
		if d < 0 {
			d = -d
		}
		s.jitter += (d - s.jitter) / 16
	}
	s.hasJitter, s.lastArr, s.lastTS = true, arr, ts
}

func (s *rtpStats) snapshot() MediaStats {
	out := MediaStats{Received: s.received, Reordered: s.reordered, Duplicates: s.duplicates, Jitter: s.jitter}
	if s.clockRate > 0 {
		out.JitterMs = s.jitter / s.clockRate * 1000
	}
	if s.started {
		out.Expected = int(s.cycles + uint32(s.maxSeq) - s.baseSeq + 1)
	}
	out.Lost = max(0, out.Expected-out.Received)
	return out
}
