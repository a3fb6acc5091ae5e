package devices

import (
	"strconv"
	"testing"
)

// TestJournalForget: forgotten calls vanish from every query at once, late
// events of them are dropped, and the fleet-wide list is compacted so that
// it does not grow with the number of calls.
func TestJournalForget(t *testing.T) {
	j := newJournal(nil, false)
	j.add(Event{Type: Registered, Device: "d1"})
	for i := range 2000 {
		id := "call-" + strconv.Itoa(i)
		j.add(Event{Type: InviteReceived, Device: "d1", CallID: id})
		j.add(Event{Type: Answered, Device: "d1", CallID: id})
		if i != 1234 {
			j.forget(id)
		}
	}
	j.add(Event{Type: Cancelled, Device: "d1", CallID: "call-1998"}) // late: dropped
	all := j.filter("", nil)
	if len(all) != 3 || all[0].Type != Registered || all[1].CallID != "call-1234" {
		t.Fatalf("after forgetting: %v", all)
	}
	if n := len(j.all.events); n > 600 {
		t.Errorf("the fleet-wide list holds %d events for 3 live ones: not compacted", n)
	}
	if got := j.filter("call-1998", nil); got != nil {
		t.Errorf("a forgotten call still has events: %v", got)
	}
}

// TestJournalDiscard: a journal that discards keeps no events, passes the
// live ones on, drops late events of forgotten calls, and remembers a
// bounded number of forgotten calls.
func TestJournalDiscard(t *testing.T) {
	var got []Event
	j := newJournal(func(e Event) { got = append(got, e) }, true)
	for i := range 3 * forgottenGeneration {
		id := "call-" + strconv.Itoa(i)
		j.add(Event{Type: InviteReceived, Device: "d1", CallID: id})
		j.forget(id)
		j.add(Event{Type: Cancelled, Device: "d1", CallID: id}) // late: dropped
	}
	if len(got) != 3*forgottenGeneration {
		t.Errorf("onEvent got %d events, want %d (the late ones dropped)", len(got), 3*forgottenGeneration)
	}
	if n := len(j.all.events) + len(j.calls); n != 0 {
		t.Errorf("the journal kept %d events or calls", n)
	}
	if n := len(j.forgotten) + len(j.previous); n > 2*forgottenGeneration {
		t.Errorf("%d forgotten calls remembered, want at most %d", n, 2*forgottenGeneration)
	}
	if e := j.filter("", nil); e != nil {
		t.Errorf("filter returned %v", e)
	}
}
