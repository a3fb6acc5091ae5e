package devices

import (
	"bytes"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// retransmitWindow bounds how long a sent message is remembered: RFC 3261
// ends every retransmission within 64·T1 (32 s) of the first send; keys
// live one to two windows.
const retransmitWindow = 32 * time.Second

// Sent counts the datagrams a fleet sent.
type Sent struct {
	// Messages is every SIP message sent.
	Messages uint64 `json:"messages"`
	// Retransmissions is how many of them repeat a message sent before:
	// the same start line, top Via and CSeq (sipgo's Timer A/E resends of
	// requests, the devices' 2xx resends until the ACK, and responses sent
	// again for a retransmitted request).
	Retransmissions uint64 `json:"retransmissions"`
}

// Share is the share of the messages that were retransmissions, 0 when
// none was sent.
func (s Sent) Share() float64 {
	if s.Messages == 0 {
		return 0
	}
	return float64(s.Retransmissions) / float64(s.Messages)
}

// Add returns the sum of s and o.
func (s Sent) Add(o Sent) Sent {
	return Sent{Messages: s.Messages + o.Messages, Retransmissions: s.Retransmissions + o.Retransmissions}
}

// sendLog remembers recently sent messages by key to count retransmissions.
type sendLog struct {
	messages, retransmissions atomic.Uint64

	mu        sync.Mutex
	cur, prev map[uint64]struct{}
	rotated   time.Time
	seed      maphash.Seed
}

func newSendLog() *sendLog {
	return &sendLog{cur: map[uint64]struct{}{}, seed: maphash.MakeSeed(), rotated: time.Now()}
}

// sent records one datagram written at now.
func (l *sendLog) sent(b []byte, now time.Time) {
	key, ok := messageKey(l.seed, b)
	if !ok {
		return
	}
	l.messages.Add(1)
	l.mu.Lock()
	if age := now.Sub(l.rotated); age >= retransmitWindow {
		l.prev, l.cur, l.rotated = l.cur, make(map[uint64]struct{}, len(l.cur)), now
		if age >= 2*retransmitWindow {
			l.prev = nil
		}
	}
	_, again := l.cur[key]
	if !again {
		_, again = l.prev[key]
		l.cur[key] = struct{}{}
	}
	l.mu.Unlock()
	if again {
		l.retransmissions.Add(1)
	}
}

func (l *sendLog) counts() Sent {
	return Sent{Messages: l.messages.Load(), Retransmissions: l.retransmissions.Load()}
}

// messageKey hashes what a retransmission repeats: the start line, the
// top Via (its branch) and the CSeq. ok is false for a datagram that is
// not a SIP message (a keep-alive).
func messageKey(seed maphash.Seed, b []byte) (key uint64, ok bool) {
	start, rest, found := bytes.Cut(b, []byte("\r\n"))
	if !found || len(start) == 0 {
		return 0, false
	}
	var h maphash.Hash
	h.SetSeed(seed)
	h.Write(start)
	via, cseq := false, false
	for !(via && cseq) {
		var line []byte
		if line, rest, found = bytes.Cut(rest, []byte("\r\n")); !found || len(line) == 0 {
			break // end of the headers
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		name = bytes.TrimSpace(name)
		switch {
		case !via && (bytes.EqualFold(name, []byte("Via")) || bytes.EqualFold(name, []byte("v"))):
			via = true
		case !cseq && bytes.EqualFold(name, []byte("CSeq")):
			cseq = true
		default:
			continue
		}
		h.WriteByte(0)
		h.Write(value)
	}
	return h.Sum64(), true
}
