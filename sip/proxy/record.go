package proxy

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Outcome summarises how a call ended.
type Outcome string

// Call outcomes recorded in CallRecord.Outcome.
const (
	OutcomeAnswered   Outcome = "answered"   // a 2xx reached the caller
	OutcomeRefused    Outcome = "refused"    // the Locator refused the call
	OutcomeCancelled  Outcome = "cancelled"  // the caller cancelled
	OutcomeUnanswered Outcome = "unanswered" // the unanswered delay answered 480
	OutcomeFailed     Outcome = "failed"     // every branch failed; best final sent
)

// Branch roles recorded in BranchRecord.Role.
const (
	RolePrimary    = "primary"    // from Plan.Branches
	RoleFallback   = "fallback"   // from Branch.Fallback after a fast failure
	RoleUnanswered = "unanswered" // from Plan.Unanswered
)

// CallRecord is the ledger of one initial INVITE handled by the proxy.
type CallRecord struct {
	CallID string `json:"call_id"`
	// Number is the user part of the Request-URI as received.
	Number string `json:"number"`
	// From is the caller's From URI.
	From   string            `json:"from"`
	Labels map[string]string `json:"labels,omitempty"`
	Start  time.Time         `json:"start"`
	End    time.Time         `json:"end"`
	// Status is the final status the caller got (the first 2xx when answered).
	Status     int      `json:"status"`
	Outcome    Outcome  `json:"outcome"`
	AnsweredBy string   `json:"answered_by,omitempty"`
	Refusal    *Refusal `json:"refusal,omitempty"`
	// PostDialDelay is INVITE → first 18x from any branch (0 if none).
	PostDialDelay time.Duration `json:"post_dial_delay"`
	// AnswerDelay is INVITE → first 2xx (0 if none).
	AnswerDelay time.Duration  `json:"answer_delay"`
	Branches    []BranchRecord `json:"branches"`
}

// BranchRecord is the timeline of one forked branch.
type BranchRecord struct {
	Device string `json:"device"`
	Kind   string `json:"kind"`
	URI    string `json:"uri"`
	Role   string `json:"role"`
	// FallbackOf is the device whose fast failure made this branch ring.
	FallbackOf string `json:"fallback_of,omitempty"`
	// FellBack is true when this branch failed fast and its Fallback rang.
	FellBack      bool      `json:"fell_back,omitempty"`
	SentAt        time.Time `json:"sent_at"`
	ProvisionalAt time.Time `json:"provisional_at,omitzero"`
	FinalAt       time.Time `json:"final_at,omitzero"`
	// Status is the final status; 408/503 are synthesised for a timeout or
	// a transport error (see Error).
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
	// CancelledAt is when the proxy decided to cancel the branch.
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	// CancelReason is the Reason header of that CANCEL ("" for none).
	CancelReason string `json:"cancel_reason,omitempty"`
	// CancelSent is false when the branch ended before the queued CANCEL
	// could be sent (no provisional yet, RFC 3261 §9.1).
	CancelSent bool `json:"cancel_sent,omitempty"`
}

// Observer is told about finished branches and calls, e.g. to update
// metrics. Calls are made from the INVITE handler; do not block.
type Observer interface {
	BranchEnded(callID string, br BranchRecord)
	CallEnded(rec CallRecord)
}

// ring keeps the most recent call records.
type ring struct {
	mu   sync.Mutex
	size int
	recs []CallRecord
	next int
}

func (r *ring) add(rec CallRecord, size int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.size != size {
		r.size, r.recs, r.next = size, make([]CallRecord, 0, size), 0
	}
	if len(r.recs) < size {
		r.recs = append(r.recs, rec)
		return
	}
	r.recs[r.next] = rec
	r.next = (r.next + 1) % size
}

// last returns up to n records, newest first, as deep-enough copies.
func (r *ring) last(n int) []CallRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	n = min(n, len(r.recs))
	out := make([]CallRecord, 0, max(n, 0))
	for i := range n {
		// newest is just before next (or the tail while filling up)
		j := (r.next - 1 - i + 2*len(r.recs)) % len(r.recs)
		if len(r.recs) < r.size {
			j = len(r.recs) - 1 - i
		}
		rec := r.recs[j]
		rec.Labels = maps.Clone(rec.Labels)
		rec.Branches = slices.Clone(rec.Branches)
		if rec.Refusal != nil {
			r := *rec.Refusal
			rec.Refusal = &r
		}
		out = append(out, rec)
	}
	return out
}
