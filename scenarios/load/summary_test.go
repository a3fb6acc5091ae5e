package load

import (
	"strings"
	"testing"
)

func TestSummaryCPULine(t *testing.T) {
	tests := []struct {
		name    string
		cpu     float64
		threads int
		line    string // "": no cpu line at all
		warns   bool
	}{
		{name: "busy", cpu: 9.5, threads: 1, line: "cpu        9.5s over 10.0s: 0.95 of 1 thread(s), 95.00 ms per call", warns: true},
		{name: "idle", cpu: 2, threads: 2, line: "cpu        2.0s over 10.0s: 0.20 of 2 thread(s), 20.00 ms per call"},
		{name: "unknown", cpu: 0, threads: 1},
	}
	for _, tt := range tests {
		s := &Summary{DurationS: 10, Placed: 100, CPUSeconds: tt.cpu, Threads: tt.threads}
		checkLine(t, tt.name, s, "cpu ", tt.line, "busy: it, not the proxy", tt.warns)
	}
}

// checkLine checks the text summary of s has line (none starting with
// prefix when line is ""), and warning exactly when warns.
func checkLine(t *testing.T, name string, s *Summary, prefix, line, warning string, warns bool) {
	t.Helper()
	var b strings.Builder
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if has, want := strings.Contains(out, "\n"+prefix), line != ""; has != want {
		t.Errorf("%s: %q line present = %v, want %v:\n%s", name, prefix, has, want, out)
	}
	if line != "" && !strings.Contains(out, line+"\n") {
		t.Errorf("%s: no line %q in:\n%s", name, line, out)
	}
	if got := strings.Contains(out, warning); got != warns {
		t.Errorf("%s: warning = %v, want %v:\n%s", name, got, warns, out)
	}
}

func TestSummaryReceiveLagLine(t *testing.T) {
	tests := []struct {
		name  string
		lag   *LagSummary
		line  string // "": no line at all
		warns bool
	}{
		{name: "prompt", lag: &LagSummary{Datagrams: 900, P50Ms: 0.1, P90Ms: 0.4, P99Ms: 3.2, MaxMs: 51.2},
			line: "recv lag   p50 ≤ 0.1ms, p90 ≤ 0.4ms, p99 ≤ 3.2ms, max ≤ 51.2ms (how long 900 datagrams waited in the generator's sockets)"},
		{name: "p99 up to 102.4ms: maybe below 100ms", lag: &LagSummary{Datagrams: 900, P50Ms: 0.8, P90Ms: 12.8, P99Ms: 102.4, MaxMs: 204.8},
			line: "recv lag   p50 ≤ 0.8ms, p90 ≤ 12.8ms, p99 ≤ 102.4ms, max ≤ 204.8ms (how long 900 datagrams waited in the generator's sockets)"},
		{name: "late", lag: &LagSummary{Datagrams: 900, P50Ms: 25.6, P90Ms: 409.6, P99Ms: 819.2, MaxMs: -1},
			line: "recv lag   p50 ≤ 25.6ms, p90 ≤ 409.6ms, p99 ≤ 819.2ms, max ≤ more than 26s (how long 900 datagrams waited in the generator's sockets)", warns: true},
		{name: "not measured"},
	}
	for _, tt := range tests {
		s := &Summary{DurationS: 10, Placed: 100, ReceiveLag: tt.lag}
		checkLine(t, tt.name, s, "recv lag ", tt.line, "read late: it, not the proxy", tt.warns)
	}
}
