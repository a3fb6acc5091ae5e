package run

import (
	"fmt"
	"strings"

	"ocmsim/devices"
)

// ladderRow turns a journal event into one line of a call's SIP ladder:
// who sent what to whom. The proxy is in the middle of every exchange;
// events that are not messages (a missed call, media statistics) have an
// empty From and To.
func ladderRow(e devices.Event) (from, to, msg string) {
	who := e.Device
	if e.Caller {
		who = "caller"
	}
	status := func() string { return strings.TrimSpace(fmt.Sprintf("%d %s", e.Code, e.Reason)) }
	answered := func(req string) string {
		if e.Code == 0 {
			return req + " (no response)"
		}
		return fmt.Sprintf("%s (%d)", req, e.Code)
	}
	switch e.Type {
	case devices.Registered:
		return who, "proxy", "REGISTER (200)"
	case devices.RegisterFailed:
		return who, "proxy", answered("REGISTER")
	case devices.Unregistered:
		return who, "proxy", "REGISTER Expires: 0"
	case devices.InviteReceived:
		return "proxy", who, "INVITE"
	case devices.RingingSent:
		return who, "proxy", "180 Ringing"
	case devices.Answered:
		return who, "proxy", "200 OK"
	case devices.AckReceived:
		return "proxy", who, "ACK"
	case devices.Rejected:
		return who, "proxy", fmt.Sprint(e.Code)
	case devices.Cancelled:
		if e.Reason == "" {
			return "proxy", who, "CANCEL"
		}
		return "proxy", who, "CANCEL Reason: " + e.Reason
	case devices.ByeReceived:
		return "proxy", who, "BYE"
	case devices.ByeSent:
		return who, "proxy", answered("BYE")
	case devices.Provisional, devices.Final:
		return "proxy", who, status()
	case devices.CancelSent:
		return who, "proxy", answered("CANCEL")
	case devices.MissedCall:
		return "", "", who + ": missed call"
	case devices.AnsweredElsewhere:
		return "", "", who + ": answered elsewhere"
	case devices.MediaEnded:
		if e.Media != nil {
			return "", "", fmt.Sprintf("%s: media ended, received %d RTP packets (loss %.1f%%)", who, e.Media.Received, 100*e.Media.LossRate())
		}
		return "", "", who + ": media ended"
	}
	return "", "", e.String()
}
