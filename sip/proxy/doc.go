// Package proxy is a stateful, parallel-forking SIP proxy (RFC 3261 §16) on
// top of sipgo's transaction layer.
//
// The proxy knows nothing about tenants or numbers: for each initial INVITE it
// asks a [Locator] for a [Plan] (refuse, or ring these branches in parallel,
// with per-branch fallbacks and an unanswered delay), then forks, aggregates
// responses, cancels losing branches with an RFC 3326 Reason and records the
// call as a [CallRecord]. In-dialog requests (ACK, BYE, re-INVITE, UPDATE,
// INFO, ...) follow the Record-Route it inserts.
//
// A call's events (responses, a transaction's end, the caller's CANCEL,
// Timer C) are applied one at a time, on the goroutine that brings them
// while no other is applying: over an internal/uatx Layer as the client's
// TxRequester that is the socket's reader (uatx.WithDelivery); sipgo's
// own client transactions are read by a goroutine each.
//
// Wiring, in short:
//
//	conn, _ := proxy.ListenUDP("127.0.0.1:5060")
//	ua, _ := sipgo.NewUA(sipgo.WithUserAgentTransactionLayerOptions(
//		sip.WithTransactionLayerUnhandledResponseHandler(p.HandleUnmatchedResponse)))
//	srv, _ := sipgo.NewServer(ua)
//	p.Client, _ = proxy.NewClient(ua, conn.LocalAddr().String())
//	_ = p.Register(srv)
//	go srv.ServeUDP(conn)
package proxy
