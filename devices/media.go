package devices

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Packetisation of G.711 at 8 kHz, 20 ms per packet.
const (
	clockRate     = 8000
	packetTime    = 20 * time.Millisecond
	samplesPerPkt = clockRate / 50 // 160 samples in 20 ms
)

// mediaSession is one side's RTP stream: it sends PCMU packets to the
// remote address and measures what it receives.
type mediaSession struct {
	conn    *net.UDPConn
	remote  *net.UDPAddr
	session uint64

	stop      chan struct{}
	wg        sync.WaitGroup
	closed    bool // under mu: start does nothing after close
	sent      atomic.Int64
	mu        sync.Mutex
	stats     rtpStats
	closeOnce sync.Once
	result    MediaStats
}

// listenMedia opens an RTP socket on host, port 0.
func listenMedia(host string) (*mediaSession, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(host)})
	if err != nil {
		return nil, fmt.Errorf("devices: RTP socket: %w", err)
	}
	return &mediaSession{conn: conn, session: rand.Uint64() >> 2, stop: make(chan struct{}),
		stats: rtpStats{clockRate: clockRate}}, nil
}

// openMedia opens the answering side's socket, next to the offer's host.
func openMedia(offer sdpOffer) (*mediaSession, error) {
	host := "127.0.0.1"
	if offer.Addr.IP.To4() == nil {
		host = "::1"
	}
	m, err := listenMedia(host)
	if err != nil {
		return nil, err
	}
	m.remote = offer.Addr
	return m, nil
}

func (m *mediaSession) sdp() []byte {
	return buildSDP(m.conn.LocalAddr().(*net.UDPAddr), m.session)
}

// start sends and receives until close; remote must be set.
func (m *mediaSession) start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.wg.Add(2)
	go m.receive()
	go m.send()
}

func (m *mediaSession) send() {
	defer m.wg.Done()
	payload := make([]byte, samplesPerPkt)
	for i := range payload {
		payload[i] = 0xFF // µ-law silence
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pcmu, Marker: true,
		SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32(), SSRC: rand.Uint32()}, Payload: payload}
	buf := make([]byte, 12+len(payload))
	tick := time.NewTicker(packetTime)
	defer tick.Stop()
	for {
		if n, err := pkt.MarshalTo(buf); err == nil {
			if _, err := m.conn.WriteTo(buf[:n], m.remote); err == nil {
				m.sent.Add(1)
			}
		}
		pkt.Marker = false
		pkt.SequenceNumber++
		pkt.Timestamp += samplesPerPkt
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
	}
}

func (m *mediaSession) receive() {
	defer m.wg.Done()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := m.conn.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		m.mu.Lock()
		m.stats.observe(pkt.SequenceNumber, pkt.Timestamp, time.Now())
		m.mu.Unlock()
	}
}

// close stops the stream, closes the socket and returns what was received.
func (m *mediaSession) close() *MediaStats {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed = true
		m.mu.Unlock()
		close(m.stop)
		m.conn.Close()
		m.wg.Wait()
		m.mu.Lock()
		m.result = m.stats.snapshot()
		m.mu.Unlock()
		m.result.Sent = int(m.sent.Load())
	})
	r := m.result
	return &r
}
