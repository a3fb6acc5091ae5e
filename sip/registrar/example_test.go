package registrar_test

import (
	"context"
	"net"
	"time"

	"github.com/emiago/sipgo"

	"ocmsim/sip/digest"
	"ocmsim/sip/registrar"
)

// Example wires a registrar into a sipgo server and reads a device's
// contacts the way the proxy does for each INVITE.
func Example() {
	accounts := registrar.AccountsFunc(func(username string) (registrar.Account, bool) {
		if username == "alice" {
			return registrar.Account{Device: "alice-desk", Kind: "teams-desktop", Password: "secret"}, true
		}
		return registrar.Account{}, false
	})
	reg := &registrar.Registrar{
		Accounts: accounts,
		Domain:   "ocm.example",
		Auth:     &digest.Authenticator{Realm: "ocm.example"},
		Bindings: &registrar.Bindings{OnChange: func(ev registrar.Event) { /* count ev.Kind */ }},
	}
	ua, _ := sipgo.NewUA()
	defer ua.Close()
	srv, _ := sipgo.NewServer(ua)
	srv.OnRegister(reg.HandleRegister)

	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return
	}
	defer pc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go reg.Store().Run(ctx)
	go srv.ServeUDP(pc)

	var buf []registrar.Binding // reused per INVITE
	buf = reg.Store().AppendContacts(buf[:0], "alice-desk", time.Now())
	_ = buf
}
