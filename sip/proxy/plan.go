package proxy

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Plan is what the proxy does with one initial INVITE.
type Plan struct {
	// Refusal, when non-nil, is answered to the caller and nothing is forked.
	Refusal *Refusal
	// Branches are rung in parallel.
	Branches []Branch
	// UnansweredDelay, when > 0, cancels every branch (without the
	// "completed elsewhere" Reason) once it elapses with no 2xx, then forks
	// to Unanswered, or answers 480 when Unanswered is empty.
	UnansweredDelay time.Duration
	// Unanswered are rung when UnansweredDelay elapses, or at once when
	// Branches is empty.
	Unanswered []Branch
	// Labels describe the decision (policy, source, ...) for the call record.
	// They are copied into CallRecord; keep them low-cardinality if an
	// Observer turns them into metric labels.
	Labels map[string]string
}

// Refusal is a final answer given instead of forking.
type Refusal struct {
	// Status is the SIP status code, e.g. 404, 480, 403.
	Status int
	// Reason is the human text; it becomes the reason phrase and the text of
	// a "Reason: SIP;cause=<Status>;text=..." header.
	Reason string
	// Warning, when set, is sent as "Warning: 399 <proxy-host> \"...\"".
	Warning string
}

// Branch is one target of a fork.
type Branch struct {
	// Device and Kind identify the target in the call record.
	Device, Kind string
	// URI is the Request-URI of the branch (the registered contact).
	URI sip.Uri
	// Destination is the "ip:port" the request is sent to (the binding's
	// source address). Empty means: from the Route set, else from URI.
	Destination string
	// Transport is "udp" or "tcp"; empty keeps the caller's transport.
	Transport string
	// Route is the binding's Path (RFC 3327), sent as preloaded Route headers.
	Route []sip.Uri
	// Fallback is rung instead when this branch fails fast: a 408, 480 or
	// 503 final response, a transport error or a timeout.
	Fallback []Branch
	// Headers replace the caller's headers of the same names on this
	// branch's INVITE (e.g. Priority, Geolocation); they are shared, not copied.
	Headers []sip.Header
	// Body, when non-nil, replaces the INVITE's body, with ContentType as
	// its Content-Type.
	Body        []byte
	ContentType string
}

// Locator decides what to do with an initial INVITE.
type Locator interface {
	Locate(ctx context.Context, req *sip.Request) Plan
}

// LocatorFunc adapts a function to a Locator.
type LocatorFunc func(ctx context.Context, req *sip.Request) Plan

// Locate calls f.
func (f LocatorFunc) Locate(ctx context.Context, req *sip.Request) Plan { return f(ctx, req) }
