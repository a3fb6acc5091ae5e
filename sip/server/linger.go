package server

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// RFCLinger is how long RFC 3261 keeps a finished transaction over UDP
// (Timers D, J, L and M: 32 s, 64·T1) to absorb retransmissions.
const RFCLinger = 32 * time.Second

// LingerTransactions caps how long sipgo keeps finished transactions
// (Timers D, J, L and M) at d, for the whole process; call it before New.
// Kamailio keeps every transaction its wait timer (wt_timer, 5 s by
// default) after it completed; RFCLinger is sipgo's default. A shorter
// linger keeps the live heap small under load; what it gives up is
// absorbing retransmissions that arrive later (a late 2xx is still relayed
// statelessly by the proxy). d <= 0 changes nothing.
func LingerTransactions(d time.Duration) {
	capTimers(d, &sip.Timer_D, &sip.Timer_J, &sip.Timer_L, &sip.Timer_M)
}

// capTimers lowers each timer to d; d <= 0 changes nothing.
func capTimers(d time.Duration, timers ...*time.Duration) {
	if d <= 0 {
		return
	}
	for _, t := range timers {
		*t = min(*t, d)
	}
}
