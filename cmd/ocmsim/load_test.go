package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const smokeYAML = "../../scenarios/examples/load/smoke.yaml"

// TestLoadCommand runs short load tests through the command: this is the
// CI's bounded load run with thresholds.
func TestLoadCommand(t *testing.T) {
	dir := t.TempDir()
	smoke, err := os.ReadFile(smokeYAML)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(smoke), "  thresholds:")
	if i < 0 {
		t.Fatal("smoke.yaml has no thresholds")
	}
	impossible := filepath.Join(dir, "impossible.yaml")
	if err := os.WriteFile(impossible, []byte(string(smoke[:i])+"  thresholds: [\"p50(pdd) < 1ns\", \"failed < 1%\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	jsonOut := filepath.Join(dir, "summary.json")
	tests := []cmdCase{
		{name: "passes", args: []string{"load", smokeYAML, "--duration", "1s", "--rate", "25/s", "--out", jsonOut, "--sockets", "2"}, code: exitOK,
			stdout: []string{"60 of 60 registered", "PASS  failed < 1%", "PASS  p95(pdd) < 500ms", "answer teams-desktop", "peak RSS"},
			stderr: []string{"registering 60 devices"}},
		{name: "impossible threshold", args: []string{"load", impossible, "--duration", "1s", "--rate", "10/s", "--quiet"}, code: exitThresholds,
			stdout: []string{"FAIL  p50(pdd) < 1ns", "PASS  failed < 1%"}},
		{name: "register only", args: []string{"load", smokeYAML, "--duration", "0", "--quiet"}, code: exitOK,
			stdout: []string{"60 of 60 registered", "0 placed of 0 offered"}},
		{name: "bad rate", args: []string{"load", smokeYAML, "--rate", "fast"}, code: exitBadArgs, stderr: []string{`rate "fast"`}},
		{name: "no load section", args: []string{"load", "../../scenarios/examples/01-native-first.yaml"}, code: exitBadArgs,
			stderr: []string{"no load: section"}},
		{name: "bad file", args: []string{"load", "../../scenarios/testdata/bad/unknown-keys.yaml"}, code: exitBadArgs, stderr: []string{"unknown-keys.yaml:"}},
		{name: "no args", args: []string{"load"}, code: exitBadArgs, stderr: []string{"usage: ocmsim load"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { expectRun(t, tt.args, tt.code, tt.stdout, tt.stderr) })
	}
	b, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Calls   int            `json:"calls"`
		Classes map[string]int `json:"classes"`
		PDD     struct {
			Count int `json:"count"`
		} `json:"pddMs"`
	}
	if err := json.Unmarshal(b, &sum); err != nil || sum.Calls == 0 || sum.PDD.Count == 0 {
		t.Errorf("summary JSON %s: %v", b, err)
	}
}
