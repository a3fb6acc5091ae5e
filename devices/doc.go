// Package devices simulates the user agents of an ocmsim scenario over real
// SIP: Teams endpoints, native dialers, a voicemail target and a PSAP
// (Device), and a PSTN caller on the operator trunk (Call). All of them live
// in one Fleet, which owns one UDP socket and one lean transaction layer
// (internal/uatx: one reader, no goroutine per message), so thousands of
// devices fit in one process.
//
// A device registers with digest credentials, refreshes its registration
// before it expires and follows its Behaviour when an INVITE arrives: ring
// after a delay, answer after a delay, reject with a code, never answer.
// Everything that happens to a call is recorded as an Event in the fleet's
// journal; a scenario runner waits for events with Fleet.Wait or Call.Wait
// and reads a call's per-device timeline with Fleet.Events.
//
// Devices and the caller correlate by Call-ID: a forking proxy keeps the
// caller's Call-ID on every branch, so the INVITE a device receives carries
// the Call-ID of the Call that placed it.
//
// Media is optional: a Call dialled with Media set offers PCMU in SDP, the
// answering device answers with its own RTP port, and both sides send G.711
// 20 ms packets until the call ends. Each receiver reports MediaStats (loss
// from sequence numbers, RFC 3550 interarrival jitter).
package devices
