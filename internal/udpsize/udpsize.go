// Package udpsize raises sipgo's limit on the size of a SIP message sent
// over UDP. sipgo refuses to send more than sip.UDPMTUSize-200 bytes (1,300
// by default: RFC 3261 §18.1.1 asks for TCP above that when the path MTU is
// unknown). ocmsim's SIP runs on loopback, whose MTU is 64 KiB, and an
// emergency INVITE carrying SDP and a PIDF-LO is 2-3 KB, so the limit is
// raised to Limit. Import the package for its effect; it sets the variable
// in init, before any transport goroutine can read it.
package udpsize

import "github.com/emiago/sipgo/sip"

// Limit is the UDP message size ocmsim allows (sipgo subtracts 200).
const Limit = 32 << 10

func init() { sip.UDPMTUSize = Limit }
