// Package registrar is the SIP registrar of ocmsim: a thread-safe store of
// contact bindings per device ([Bindings]) and a REGISTER handler on sipgo
// ([Registrar]) that follows RFC 3261 §10.3, with digest authentication,
// Path (RFC 3327), outbound-style instance/reg-id keys (RFC 5626), GRUUs
// (RFC 5627) and contact feature tags (RFC 3840).
//
// Devices are identified by their credentials: the authenticated username
// is looked up in [Accounts], which names the device, its kind and its
// address-of-record. The proxy reads a device's live contacts with
// [Bindings.AppendContacts] for every INVITE.
package registrar
