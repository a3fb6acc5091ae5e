package load

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"

	"ocmsim/scenarios"
)

// TestMain checks that a run leaves no goroutine behind: fleets, calls,
// timers and the in-process proxy are all stopped.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func loadSmoke(t *testing.T) *scenarios.File {
	t.Helper()
	f, err := scenarios.Load("../examples/load/smoke.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestRunSmoke runs the bundled smoke profile (20 users × 3 devices, 2 s
// at 10→20 calls/s, answer/reject/nobody mix) over real SIP on loopback.
func TestRunSmoke(t *testing.T) {
	f := loadSmoke(t)
	start := time.Now()
	registered := 0
	s, err := Run(context.Background(), f, Options{Seed: 7, Registered: func() { registered++ }})
	if err != nil {
		t.Fatal(err)
	}
	if registered != 1 {
		t.Errorf("Registered called %d times, want 1", registered)
	}
	t.Logf("run took %v: %d calls, classes %v, answered by %v", time.Since(start).Round(time.Millisecond), s.Calls, s.Classes, s.AnsweredBy)
	if s.Devices != 60 || s.Registered != 60 || s.Users != 20 {
		t.Errorf("devices %d, registered %d, users %d; want 60, 60, 20", s.Devices, s.Registered, s.Users)
	}
	if s.Offered != 35 { // 10→20/s over 1 s (15) + 20/s for 1 s (20)
		t.Errorf("offered %d, want 35", s.Offered)
	}
	if s.Placed+s.Skipped != s.Offered || s.Calls != s.Placed {
		t.Errorf("placed %d + skipped %d != offered %d, or calls %d != placed", s.Placed, s.Skipped, s.Offered, s.Calls)
	}
	if sum(s.Classes) != s.Calls || sum(s.Codes) != s.Calls {
		t.Errorf("classes %v or codes %v do not add up to %d calls", s.Classes, s.Codes, s.Calls)
	}
	mixCalls := 0
	for _, m := range s.Mix {
		mixCalls += m.Calls
	}
	if mixCalls != s.Calls {
		t.Errorf("mix entries have %d calls, want %d", mixCalls, s.Calls)
	}
	if s.Failed != 0 {
		t.Errorf("%d calls did not go as their mix entry asked: %+v", s.Failed, s.Mix)
	}
	// Entry 0 is answered by the teams-desktop, entry 1 by the phone app
	// that rang (teams-mobile under TeamsFirst, native-dialer under NativeFirst).
	if got := s.AnsweredBy["teams-desktop"]; got != s.Mix[0].AsAsked {
		t.Errorf("answered by teams-desktop %d, want %d (mix entry 1)", got, s.Mix[0].AsAsked)
	}
	if got := s.AnsweredBy["teams-mobile"] + s.AnsweredBy["native-dialer"]; got != s.Mix[1].AsAsked {
		t.Errorf("answered by a phone app %d, want %d (mix entry 2)", got, s.Mix[1].AsAsked)
	}
	if sum(s.AnsweredBy) != s.Classes[ClassAnswered] || uint64(s.Classes[ClassAnswered]) != s.AnswerMs.Count {
		t.Errorf("answered by %v, answered %d, answer samples %d", s.AnsweredBy, s.Classes[ClassAnswered], s.AnswerMs.Count)
	}
	if s.Codes["486"] != s.Mix[3].Calls || s.Codes["487"] != s.Mix[2].Calls {
		t.Errorf("codes %v: want 486 × %d (reject) and 487 × %d (nobody)", s.Codes, s.Mix[3].Calls, s.Mix[2].Calls)
	}
	if s.Branches.Min != 2 || s.Branches.Max != 2 { // both policies ring one phone app and the desktop
		t.Errorf("branches %+v, want 2 per call", s.Branches)
	}
	if !s.Passed() {
		t.Errorf("thresholds failed: %+v", s.Thresholds)
	}
	// Every device sends two REGISTERs (digest challenge), every call an
	// INVITE and its ACK or CANCEL, every answer a 180 and a 200 at least.
	if least := uint64(2*s.Devices + 2*s.Placed + 2*s.Classes[ClassAnswered]); s.Sent.Messages < least || s.Sent.Retransmissions > s.Sent.Messages {
		t.Errorf("sent %+v, want at least %d messages", s.Sent, least)
	}
	// The devices read at least an INVITE per call placed (after
	// registration, whose reads are left out), each with a receive time.
	if runtime.GOOS == "linux" {
		if l := s.ReceiveLag; l == nil || l.Datagrams < uint64(s.Placed) || l.P50Ms <= 0 || l.MaxMs < l.P50Ms {
			t.Errorf("receive lag %+v, want at least %d datagrams measured", l, s.Placed)
		}
	}
	if s.Threads < 1 || s.CPUSeconds <= 0 {
		t.Errorf("threads %d, CPU %.3fs: want both measured", s.Threads, s.CPUSeconds)
	}
	if s.PeakRSSBytes <= 0 {
		t.Error("no peak RSS")
	}
}

// TestRunInterrupted cancels a run with calls in flight: no new calls,
// the answered ones are hung up, and the summary still adds up.
func TestRunInterrupted(t *testing.T) {
	f := loadSmoke(t)
	f.Load.Duration = time.Minute
	f.Load.Mix = []scenarios.MixEntry{{Share: 1, Answer: "any", Hold: time.Minute}}
	f.Load.Thresholds = nil
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	s, err := Run(ctx, f, Options{ProgressEvery: 20 * time.Millisecond, Progress: func(p Progress) {
		if p.Answered == 0 && p.Active >= 3 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("interrupted run took %v", took)
	}
	if !s.Interrupted || s.Calls != s.Placed || s.Placed < 3 {
		t.Errorf("interrupted %v, calls %d, placed %d", s.Interrupted, s.Calls, s.Placed)
	}
	if s.Classes[ClassAnswered] < 3 {
		t.Errorf("classes %v: want the calls in flight answered, then hung up", s.Classes)
	}
}

func TestRunBadInput(t *testing.T) {
	f := loadSmoke(t)
	f.Load = nil
	if _, err := Run(context.Background(), f, Options{}); !errors.Is(err, ErrInput) {
		t.Errorf("no load: section: err = %v, want ErrInput", err)
	}
	f = loadSmoke(t)
	f.Load.Mix = []scenarios.MixEntry{{Share: 1, Answer: "teams-web"}}
	if _, err := Run(context.Background(), f, Options{}); !errors.Is(err, ErrInput) {
		t.Errorf("nobody has a teams-web: err = %v, want ErrInput", err)
	}
}
