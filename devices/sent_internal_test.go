package devices

import (
	"testing"
	"time"
)

func TestSendLog(t *testing.T) {
	const (
		invite   = "INVITE sip:a@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
		invite2  = "INVITE sip:a@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bK2\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
		compact  = "INVITE sip:a@x SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
		ringing  = "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\n\r\n"
		ok       = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\n\r\n"
		okBye    = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bK1\r\nCSeq: 2 BYE\r\n\r\n"
		keepLive = "\r\n\r\n"
	)
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name string
		send []string
		at   []time.Duration // offset of each send from t0; zero when nil
		want Sent
	}{
		{"one", []string{invite}, nil, Sent{1, 0}},
		{"resent", []string{invite, invite, invite}, nil, Sent{3, 2}},
		{"other branch", []string{invite, invite2}, nil, Sent{2, 0}},
		{"compact Via read as Via", []string{invite, compact}, nil, Sent{2, 1}},
		{"responses of one transaction", []string{ringing, ok, ok, okBye}, nil, Sent{4, 1}},
		{"keep-alives ignored", []string{keepLive, keepLive}, nil, Sent{0, 0}},
		{"remembered one window later", []string{invite, invite}, []time.Duration{0, 40 * time.Second}, Sent{2, 1}},
		{"forgotten two windows later", []string{invite, invite}, []time.Duration{0, 70 * time.Second}, Sent{2, 0}},
	}
	for _, tt := range tests {
		l := newSendLog()
		l.rotated = t0
		for i, m := range tt.send {
			at := t0
			if tt.at != nil {
				at = t0.Add(tt.at[i])
			}
			l.sent([]byte(m), at)
		}
		if got := l.counts(); got != tt.want {
			t.Errorf("%s: counts() = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func BenchmarkSendLog(b *testing.B) {
	msg := []byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK.abcdef;received=127.0.0.1\r\n" +
		"From: <sip:+15550001000@bench.example>;tag=1\r\nTo: <sip:u1-1@bench.example>;tag=2\r\nCall-ID: 1@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
	l := newSendLog()
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		msg[60] = byte('a' + i%26) // a new branch most of the time
		l.sent(msg, now)
	}
}
