package uatx_test

import (
	"net"
	"testing"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/uatx"
)

// FuzzReceive feeds arbitrary datagrams to a layer whose handler answers
// every request (provisional, final, and again): nothing a peer sends may
// crash the reader. A live client INVITE makes responses match a
// transaction.
func FuzzReceive(f *testing.F) {
	for _, seed := range []string{
		sipReq{Method: "INVITE", Branch: "z9hG4bK-f1", CallID: "f1"}.text(),
		sipReq{Method: "CANCEL", Branch: "z9hG4bK-f1", CallID: "f1"}.text(),
		sipReq{Method: "ACK", Branch: "z9hG4bK-f1", CallID: "f1", ToTag: "t"}.text(),
		sipReq{Method: "BYE", Branch: "", CallID: "f2"}.text(),
		"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-out\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-out\r\nTo: <sip:b@x>;tag=2\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
		"\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	sink, err := net.ListenPacket("udp", "127.0.0.1:0") // never read: a peer that says nothing
	if err != nil {
		f.Fatal(err)
	}
	defer sink.Close()
	l := uatx.New(conn, func(req *sip.Request, tx *uatx.ServerTx) {
		if tx == nil {
			return
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 180, "Ringing", nil))
		_ = tx.Respond(sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		tx.Release()
	}, func(*sip.Response) {}, nil)
	inv := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "b", Host: "127.0.0.1"})
	inv.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-out"))
	inv.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	inv.SetDestination(sink.LocalAddr().String())
	if _, err := l.Request(f.Context(), inv); err != nil {
		f.Fatal(err)
	}
	src := sink.LocalAddr()
	f.Fuzz(func(t *testing.T, data []byte) {
		l.Receive(data, src)
	})
}
