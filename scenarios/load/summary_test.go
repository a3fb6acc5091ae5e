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
		var b strings.Builder
		if err := s.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if has, want := strings.Contains(out, "\ncpu "), tt.line != ""; has != want {
			t.Errorf("%s: cpu line present = %v, want %v:\n%s", tt.name, has, want, out)
		}
		if tt.line != "" && !strings.Contains(out, tt.line+"\n") {
			t.Errorf("%s: no line %q in:\n%s", tt.name, tt.line, out)
		}
		if got := strings.Contains(out, "busy: it, not the proxy"); got != tt.warns {
			t.Errorf("%s: warning = %v, want %v:\n%s", tt.name, got, tt.warns, out)
		}
	}
}
