package proxy_test

import (
	"context"
	"log"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ocmsim/sip/proxy"
)

// Example wires a proxy on a UDP socket. The Locator here rings two fixed
// contacts for 20 s, then a voicemail contact.
func Example() {
	conn, err := proxy.ListenUDP("127.0.0.1:5060")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	contact := func(user string, port int) proxy.Branch {
		return proxy.Branch{Device: user, URI: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: port}}
	}
	p := &proxy.Proxy{
		Locator: proxy.LocatorFunc(func(_ context.Context, req *sip.Request) proxy.Plan {
			if req.Recipient.User != "+14255550100" {
				return proxy.Plan{Refusal: &proxy.Refusal{Status: 404, Reason: "Number not assigned"}}
			}
			return proxy.Plan{
				Branches:        []proxy.Branch{contact("teams", 5070), contact("desk", 5071)},
				UnansweredDelay: 20 * time.Second,
				Unanswered:      []proxy.Branch{contact("voicemail", 5072)},
				Labels:          map[string]string{"policy": "Teams"},
			}
		}),
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgentTransactionLayerOptions(
		sip.WithTransactionLayerUnhandledResponseHandler(p.HandleUnmatchedResponse)))
	if err != nil {
		log.Fatal(err)
	}
	defer ua.Close()
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		log.Fatal(err)
	}
	if p.Client, err = proxy.NewClient(ua, conn.LocalAddr().String()); err != nil {
		log.Fatal(err)
	}
	if err := p.Register(srv); err != nil {
		log.Fatal(err)
	}
	go srv.ServeUDP(conn)
	// ... later: p.Recent(50) for the recent-calls API.
}
