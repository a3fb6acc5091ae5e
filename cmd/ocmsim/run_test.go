package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	junit, jsonOut := filepath.Join(dir, "out.xml"), filepath.Join(dir, "out.json")
	tests := []cmdCase{
		{name: "passes", args: []string{"run", "../../scenarios/examples/01-native-first.yaml", "--junit", junit, "--json", jsonOut}, code: exitOK,
			stdout: []string{"PASS NativeFirst rings", "alice-iphone-native  native-dialer  +", "alice-iphone-teams   teams-mobile   -     not rung",
				"1 scenario(s): 1 passed, 0 failed"}},
		{name: "verbose timeline", args: []string{"run", "-v", "../../scenarios/examples/10-answered-elsewhere.yaml"}, code: exitOK,
			stdout: []string{"caller → proxy", "INVITE +14255550101", "adele-laptop → proxy", "proxy → adele-phone-teams  CANCEL Reason: SIP;cause=200"}},
		{name: "fails", args: []string{"run", "../../scenarios/run/testdata/failing.yaml"}, code: exitFailed,
			stdout: []string{"FAIL deliberately failing", "failing.yaml:15 step 2 (wait c1 answered): answeredBy",
				"expected: alice-web", "got:      alice-laptop", "1 scenario(s): 0 passed, 1 failed"}},
		{name: "bad file", args: []string{"run", "../../scenarios/testdata/bad/unknown-keys.yaml"}, code: exitBadArgs,
			stderr: []string{"unknown-keys.yaml:", "did you mean"}},
		{name: "missing file", args: []string{"run", "no-such.yaml"}, code: exitBadArgs, stderr: []string{"no-such.yaml"}},
		{name: "only a tenant", args: []string{"run", "../../scenarios/demo/tenant.yaml"}, code: exitBadArgs, stderr: []string{"no scenario"}},
		{name: "no args", args: []string{"run"}, code: exitBadArgs, stderr: []string{"usage: ocmsim run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := expectRun(t, tt.args, tt.code, tt.stdout, tt.stderr)
			if strings.Contains(out, "\x1b[") {
				t.Errorf("colour written to a non-terminal")
			}
		})
	}
	for _, p := range []string{junit, jsonOut} {
		if b, err := os.ReadFile(p); err != nil || len(b) == 0 {
			t.Errorf("%s: %v (%d bytes)", p, err, len(b))
		}
	}
}
