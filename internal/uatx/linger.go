package uatx

import (
	"sync"
	"time"
)

// sweepTick is how often a Layer ends the transactions whose lingering
// (Timers D, I, J, K, L, M) is over: they end up to one tick late.
const sweepTick = 100 * time.Millisecond

// sweeper runs the ends of lingering transactions in batches, from one
// goroutine per Layer: a runtime timer each would mean a timer heap of
// every transaction of the last 32 s and, as each fires, a goroutine
// queued in front of the socket's reader.
type sweeper struct {
	mu    sync.Mutex
	epoch time.Time
	next  int64 // the first slot not swept yet
	slots map[int64][]func()
}

func newSweeper() *sweeper {
	return &sweeper{epoch: time.Now(), slots: map[int64][]func(){}}
}

// after runs f at least d from now, at most a tick later.
func (s *sweeper) after(d time.Duration, f func()) {
	s.mu.Lock()
	i := max(int64((time.Since(s.epoch)+d+sweepTick-1)/sweepTick), s.next)
	s.slots[i] = append(s.slots[i], f)
	s.mu.Unlock()
}

// sweep runs what is due at now.
func (s *sweeper) sweep(now time.Time) {
	last := int64(now.Sub(s.epoch) / sweepTick)
	var due []func()
	s.mu.Lock()
	for ; s.next <= last; s.next++ {
		due = append(due, s.slots[s.next]...)
		delete(s.slots, s.next)
	}
	s.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// run sweeps every tick until stop is closed.
func (s *sweeper) run(stop <-chan struct{}) {
	t := time.NewTicker(sweepTick)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.sweep(now)
		case <-stop:
			return
		}
	}
}
