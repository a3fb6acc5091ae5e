package run

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"ocmsim/scenarios"
	"ocmsim/sip/server"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// exampleFiles lists the scenarios of examples/ (tenant-only files are
// shared by the scenarios, not run).
func exampleFiles(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../examples/*.yaml")
	more, err2 := filepath.Glob("../examples/*/*.yaml") // load/, and tenants/ (skipped: tenant-only)
	if err != nil || err2 != nil || len(paths) == 0 {
		t.Fatalf("no examples: %v %v", err, err2)
	}
	return append(paths, more...)
}

// TestExamples runs every example scenario end to end; each must pass.
func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every example over SIP (about 20 s)")
	}
	start := time.Now()
	n := 0
	for _, path := range exampleFiles(t) {
		f, err := scenarios.Load(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if f.TenantOnly {
			continue
		}
		n++
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			rep, err := Run(context.Background(), f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Passed() {
				t.Errorf("scenario failed:\n%s", reportText(t, rep, true))
			}
		})
	}
	if n < 20 {
		t.Errorf("%d example scenarios, want at least 20", n)
	}
	t.Logf("%d examples in %v", n, time.Since(start).Round(time.Millisecond))
}

// runFile runs the scenario file at path with the default options.
func runFile(t *testing.T, path string) *Report {
	t.Helper()
	f, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// reportText is the text report of rep.
func reportText(t *testing.T, rep *Report, verbose bool) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteText(&b, rep, TextOptions{Verbose: verbose}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestFailingScenario checks that failed expectations say what was
// expected, what happened and where.
func TestFailingScenario(t *testing.T) {
	rep := runFile(t, "testdata/failing.yaml")
	if rep.Passed() {
		t.Fatal("the failing scenario passed")
	}
	out := reportText(t, rep, false)
	for _, want := range []string{
		"FAIL ",
		"testdata/failing.yaml:11 step 1 (call c1 +12065550123 → +14255550100): ringing",
		"expected: exactly [alice-iphone-teams, alice-laptop] within 300ms",
		"not rung in time: alice-iphone-teams",
		"not expected: alice-deskphone, alice-iphone-native, alice-web",
		"testdata/failing.yaml:15 step 2 (wait c1 answered): answeredBy",
		"expected: alice-web",
		"got:      alice-laptop",
		"testdata/failing.yaml:18 step 4 (admin assign): no error",
		"license-missing",
		"testdata/failing.yaml:19 step 5 (admin release): expectError",
		"expected: error number-assigned",
		"got:      no error",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q\n%s", want, out)
		}
	}
	if n := len(rep.Failures()); n != 4 {
		t.Errorf("%d failures, want 4\n%s", n, out)
	}
}

// TestRunNoTenant is bad input: nothing to run against.
func TestRunNoTenant(t *testing.T) {
	if _, err := Run(context.Background(), &scenarios.File{Path: "x.yaml"}, Options{}); err == nil {
		t.Fatal("Run without a tenant: no error")
	}
}

// TestReportsJUnitJSON checks the machine-readable reports of a run.
func TestReportsJUnitJSON(t *testing.T) {
	rep := runFile(t, "testdata/failing.yaml")
	var x, j bytes.Buffer
	if err := WriteJUnit(&x, []*Report{rep}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&j, []*Report{rep}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<testsuites tests="`, `failures="4"`, `<testcase name="step 2 wait c1 answered: answeredBy"`,
		"failing.yaml:15", "expected: alice-web"} {
		if !strings.Contains(x.String(), want) {
			t.Errorf("JUnit lacks %q\n%s", want, x.String())
		}
	}
	for _, want := range []string{`"answeredBy": "alice-laptop"`, `"outcome": "answered elsewhere"`, `"passed": false`} {
		if !strings.Contains(j.String(), want) {
			t.Errorf("JSON lacks %q", want)
		}
	}
	if os.Getenv("RUN_REPORT_DUMP") != "" {
		t.Log(x.String())
	}
}

// TestTwentySteps holds the performance budget: a 20-step scenario in
// under 2 s.
func TestTwentySteps(t *testing.T) {
	f, err := scenarios.Load("testdata/twenty-steps.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Steps) != 20 {
		t.Fatalf("%d steps, want 20", len(f.Steps))
	}
	start := time.Now()
	rep, err := Run(context.Background(), f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if !rep.Passed() {
		t.Fatalf("scenario failed:\n%s", reportText(t, rep, true))
	}
	t.Logf("20 steps in %v", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("20 steps took %v, budget 2s", took)
	}
}

// TestRunExternalProxy drives a proxy the runner did not start (--proxy).
func TestRunExternalProxy(t *testing.T) {
	f, err := scenarios.Load("../examples/10-answered-elsewhere.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Directory: f.Directory, Listen: []server.Listen{{Transport: "udp", Addr: "127.0.0.1:0"}},
		DrainTimeout: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	rep, err := Run(context.Background(), f, Options{Proxy: srv.Addr("udp")})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed() {
		t.Fatalf("scenario failed:\n%s", reportText(t, rep, true))
	}
	if len(rep.Calls) != 1 || rep.Calls[0].AnsweredBy != "adele-laptop" {
		t.Errorf("calls: %+v", rep.Calls)
	}
}

// TestNoSocketsLeft checks that a run closes every socket it opened (the
// goroutines are checked by goleak in TestMain).
func TestNoSocketsLeft(t *testing.T) {
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd")
		}
		return len(ents)
	}
	f, err := scenarios.Load("../examples/25-media-both-ways.yaml")
	if err != nil {
		t.Fatal(err)
	}
	before := fds()
	for range 2 {
		rep, err := Run(context.Background(), f, Options{})
		if err != nil || !rep.Passed() {
			t.Fatalf("run: %v, passed %v", err, rep != nil && rep.Passed())
		}
	}
	if after := fds(); after > before {
		t.Errorf("%d file descriptors open after two runs, %d before", after, before)
	}
}

// TestFailingEmergency checks that every emergency expectation can fail
// and says what the PSAP received.
func TestFailingEmergency(t *testing.T) {
	rep := runFile(t, "testdata/emergency-failing.yaml")
	out := reportText(t, rep, false)
	for _, want := range []string{
		"emergency-failing.yaml:5 step 1 (emergency", "): psap", "got:      psap-king (point match)",
		"): path", "got:      operator",
		"): callback", "expected: +14255550101 in P-Asserted-Identity", "got:      +14255550100",
		"): location", "expected: method GPS, within 1000 m of 47.70000,-122.20000",
		"got:      method Cell, Circle 47.61000,-122.20000 r=800 m (source Cell) — 10008 m away",
		"emergency-failing.yaml:11 step 2 (emergency", "expected: method Manual, A3 Seattle",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q\n%s", want, out)
		}
	}
	if n := len(rep.Failures()); n != 5 {
		t.Errorf("%d failures, want 5\n%s", n, out)
	}
}
