package devices

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// EventType says what happened to a device or a call.
type EventType uint8

// Event types. Device events carry the device id in Event.Device; events of
// the calling side (a Call) have Caller set.
const (
	// Registered: a REGISTER succeeded (also refreshes); Expires is the
	// granted lifetime, Network the network tag sent.
	Registered EventType = iota + 1
	// RegisterFailed: a REGISTER (or refresh) failed; Code and Reason say why.
	RegisterFailed
	// Unregistered: the device removed its binding (Expires: 0).
	Unregistered

	// InviteReceived: an initial INVITE reached the device; Request holds it.
	InviteReceived
	// RingingSent: the device sent 180 Ringing.
	RingingSent
	// Answered: the device sent 200 OK.
	Answered
	// AckReceived: the ACK for the device's 200 arrived.
	AckReceived
	// Rejected: the device sent a failure response; Code is its status.
	Rejected
	// Cancelled: a CANCEL ended the INVITE; Reason is its Reason header ("" for none).
	Cancelled
	// MissedCall follows Cancelled when the CANCEL did not say the call was
	// completed elsewhere: the user sees a missed call.
	MissedCall
	// AnsweredElsewhere follows Cancelled when the CANCEL carried an RFC 3326
	// Reason with cause=200 ("Call completed elsewhere").
	AnsweredElsewhere
	// ByeReceived: the other side hung up (device or caller, per Caller).
	ByeReceived
	// ByeSent: this side hung up (device or caller, per Caller); Code is
	// the BYE's final status, 0 when it got none.
	ByeSent

	// Provisional: the caller got a 1xx; Code and ToTag are set.
	Provisional
	// Final: the caller got a final response (one per To-tag for 2xx);
	// Code, Reason and ToTag are set.
	Final
	// CancelSent: the caller sent CANCEL; Code is the CANCEL's status.
	CancelSent

	// MediaEnded: a side stopped its RTP session; Media holds what it received.
	MediaEnded
)

var eventNames = [...]string{"", "registered", "register-failed", "unregistered", "invite-received",
	"ringing-sent", "answered", "ack-received", "rejected", "cancelled", "missed-call",
	"answered-elsewhere", "bye-received", "bye-sent", "provisional", "final", "cancel-sent", "media-ended"}

// String returns the event's kebab-case name.
func (t EventType) String() string {
	if int(t) < len(eventNames) && t != 0 {
		return eventNames[t]
	}
	return fmt.Sprintf("event(%d)", t)
}

// Event is one entry of a fleet's journal.
type Event struct {
	Type EventType
	// At is when it happened (Config.Now); subtract Call.Started for the
	// "+N ms from the call's start" of a ring matrix.
	At time.Time
	// Device is the device id; empty for the caller's events.
	Device string
	// Caller is set for events of the calling side (a Call).
	Caller bool
	// CallID is the SIP Call-ID; empty for registration events.
	CallID string
	// Code is a SIP status: of the response sent or received, or of a
	// failed REGISTER.
	Code int
	// Reason is the reason phrase, or the Reason header of a CANCEL.
	Reason string
	// ToTag identifies the dialog of a response (caller side) or the
	// device's own tag (device side).
	ToTag string
	// Expires and Network describe a registration.
	Expires time.Duration
	Network string
	// Err is set on RegisterFailed and failed BYEs.
	Err error
	// Request is the INVITE of InviteReceived (headers and body as
	// received; a PSAP checks them). Treat it as read-only.
	Request *sip.Request
	// Media is set on MediaEnded.
	Media *MediaStats
	// Emergency is what a PSAP read from the INVITE of its InviteReceived.
	Emergency *Emergency
}

// String formats the event for logs and reports.
func (e Event) String() string {
	who := e.Device
	if e.Caller {
		who = "caller"
	}
	s := fmt.Sprintf("%s %s", who, e.Type)
	if e.Code != 0 {
		s += fmt.Sprintf(" %d", e.Code)
	}
	if e.Reason != "" {
		s += fmt.Sprintf(" %q", e.Reason)
	}
	return s
}

// Match is a predicate over events, for Wait and Events. It runs under the
// journal's lock: it must be quick and must not call the Fleet or Call.
type Match func(Event) bool

// Is matches events of type t for device (any device, or the caller's
// events too, when device is "").
func Is(t EventType, device string) Match {
	return func(e Event) bool { return e.Type == t && (device == "" || e.Device == device) }
}

// CallerIs matches the caller's events of type t.
func CallerIs(t EventType) Match {
	return func(e Event) bool { return e.Type == t && e.Caller }
}

// stream is an append-only list of events that wakes its waiters.
type stream struct {
	events  []Event
	changed chan struct{} // closed on the next append; nil while nobody waits
}

func newStream() *stream { return &stream{} }

func (s *stream) add(e Event) {
	s.events = append(s.events, e)
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// next returns a channel closed on the next append.
func (s *stream) next() chan struct{} {
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

// journal is the fleet's event log: every event, and each call's events
// on their own so waiting for one call stays cheap in long runs.
type journal struct {
	mu      sync.Mutex
	discard bool // events only go to onEvent (Config.DiscardEvents)
	all     *stream
	calls   map[string]*stream
	onEvent func(Event)
	// forgotten are calls whose events are still in all until the next
	// compaction (stale of them): queries of all skip them. Late events
	// (retransmissions) of these and of the previous generation's calls
	// are dropped.
	forgotten, previous map[string]bool
	stale               int
}

// forgottenGeneration is how many forgotten calls a journal that discards
// its events remembers before it starts a new generation.
const forgottenGeneration = 4096

func newJournal(onEvent func(Event), discard bool) *journal {
	return &journal{all: newStream(), calls: map[string]*stream{}, onEvent: onEvent, discard: discard, forgotten: map[string]bool{}}
}

func (j *journal) add(e Event) {
	j.mu.Lock()
	if e.CallID != "" && (j.forgotten[e.CallID] || j.previous[e.CallID]) {
		j.mu.Unlock() // a late event of a call that is over (a retransmission)
		return
	}
	if !j.discard {
		j.all.add(e)
		if e.CallID != "" {
			j.call(e.CallID).add(e)
		}
	}
	j.mu.Unlock()
	if j.onEvent != nil {
		j.onEvent(e)
	}
}

// call returns the stream of a call, creating it (j.mu held).
func (j *journal) call(id string) *stream {
	s, ok := j.calls[id]
	if !ok {
		s = newStream()
		j.calls[id] = s
	}
	return s
}

// filter returns the events (of call id, or all when id is "") that
// match m, in order.
func (j *journal) filter(id string, m Match) []Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.all
	if id != "" {
		if s = j.calls[id]; s == nil {
			return nil
		}
	}
	var out []Event
	for _, e := range s.events {
		if (m == nil || m(e)) && !j.forgotten[e.CallID] {
			out = append(out, e)
		}
	}
	return out
}

// wait returns the first event (of call id, or of all when id is "")
// that matches m, waiting for one if none has been recorded yet.
func (j *journal) wait(ctx context.Context, id string, m Match) (Event, error) {
	next := 0
	for {
		j.mu.Lock()
		s := j.all
		if id != "" {
			s = j.call(id)
		}
		for ; next < len(s.events); next++ {
			if m(s.events[next]) && !j.forgotten[s.events[next].CallID] {
				e := s.events[next]
				j.mu.Unlock()
				return e, nil
			}
		}
		changed := s.next()
		j.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("devices: waiting for an event: %w", context.Cause(ctx))
		}
	}
}

// forget drops the events of a call that is over. The fleet-wide list is
// compacted once forgotten events make up half of it: forgetting is O(1)
// amortised (a scan per call cost a quarter of a load test's CPU).
func (j *journal) forget(id string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.discard {
		j.forgotten[id] = true
		if len(j.forgotten) >= forgottenGeneration {
			j.previous, j.forgotten = j.forgotten, map[string]bool{}
		}
		return
	}
	if s := j.calls[id]; s != nil {
		j.stale += len(s.events)
	}
	delete(j.calls, id)
	j.forgotten[id] = true
	if j.stale < 256 || 2*j.stale < len(j.all.events) {
		return
	}
	kept := j.all.events[:0]
	for _, e := range j.all.events {
		if !j.forgotten[e.CallID] {
			kept = append(kept, e)
		}
	}
	clear(j.all.events[len(kept):])
	j.all.events = kept
	j.previous, j.forgotten, j.stale = j.forgotten, map[string]bool{}, 0
}
