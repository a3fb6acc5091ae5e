package load

import (
	"sync"
	"time"

	"ocmsim/devices"
)

// forgetAfter is how long a finished call's events are kept: late events
// (a device's BYE-received after the caller's BYE was answered) must not
// re-create the journal entries Forget dropped.
const forgetAfter = 2 * time.Second

// earlyLimit bounds the events kept for calls not yet known (Dial has
// not returned) and how long they are kept.
const (
	earlyLimit = 100_000
	earlyAge   = 30 * time.Second
)

// tracker routes the fleets' events to the calls they belong to.
type tracker struct {
	r      *runner
	mu     sync.Mutex
	calls  map[string]*callState
	early  map[string]*earlyEvents
	done   []finished // calls to forget, in the order they ended
	nEarly int
}

type earlyEvents struct {
	since  time.Time
	events []devices.Event
}

type finished struct {
	st *callState
	at time.Time
}

func newTracker(r *runner) *tracker {
	return &tracker{r: r, calls: map[string]*callState{}, early: map[string]*earlyEvents{}}
}

// onEvent is every fleet's OnEvent: it must not block.
func (t *tracker) onEvent(e devices.Event) {
	if e.CallID == "" {
		return
	}
	t.mu.Lock()
	st := t.calls[e.CallID]
	if st == nil {
		if t.nEarly < earlyLimit {
			ee := t.early[e.CallID]
			if ee == nil {
				ee = &earlyEvents{since: time.Now()}
				t.early[e.CallID] = ee
			}
			ee.events = append(ee.events, e)
			t.nEarly++
		}
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	st.onEvent(e)
}

// add starts tracking a call and replays the events that came before.
func (t *tracker) add(st *callState) {
	t.mu.Lock()
	t.calls[st.id] = st
	ee := t.early[st.id]
	if ee != nil {
		delete(t.early, st.id)
		t.nEarly -= len(ee.events)
	}
	t.mu.Unlock()
	if ee != nil {
		for _, e := range ee.events {
			st.onEvent(e)
		}
	}
}

// finish queues a finished call for forgetting.
func (t *tracker) finish(st *callState) {
	t.mu.Lock()
	t.done = append(t.done, finished{st: st, at: time.Now()})
	t.mu.Unlock()
}

// startJanitor forgets finished calls every few hundred milliseconds; the
// returned func stops it and forgets the rest.
func (t *tracker) startJanitor() (stop func()) {
	quit, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				t.sweep(time.Now())
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-stopped
		t.sweep(time.Now().Add(forgetAfter))
	}
}

// sweep forgets calls that ended before now - forgetAfter and drops
// stale early events.
func (t *tracker) sweep(now time.Time) {
	t.mu.Lock()
	n := 0
	for n < len(t.done) && now.Sub(t.done[n].at) >= forgetAfter {
		n++
	}
	due := make([]*callState, n)
	for i := range n {
		due[i] = t.done[i].st
		delete(t.calls, due[i].id)
	}
	t.done = append(t.done[:0], t.done[n:]...)
	for id, ee := range t.early {
		if now.Sub(ee.since) > earlyAge {
			t.nEarly -= len(ee.events)
			delete(t.early, id)
		}
	}
	t.mu.Unlock()
	for _, st := range due {
		st.forget()
	}
}
