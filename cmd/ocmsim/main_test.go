package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func ocmsim(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// expectRun runs ocmsim and checks its exit code and that stdout and stderr
// contain the given strings; it returns stdout.
func expectRun(t *testing.T, args []string, code int, stdout, stderr []string) string {
	t.Helper()
	got, out, errs := ocmsim(t, args...)
	if got != code {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", got, code, out, errs)
	}
	for _, s := range stdout {
		if !strings.Contains(out, s) {
			t.Errorf("stdout lacks %q:\n%s", s, out)
		}
	}
	for _, s := range stderr {
		if !strings.Contains(errs, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errs)
		}
	}
	return out
}

// cmdCase is one command line, its exit code and what its output must
// (stdout, stderr) and must not (notStdout) contain.
type cmdCase struct {
	name      string
	args      []string
	code      int
	stdout    []string
	stderr    []string
	notStdout []string
}

func TestCommands(t *testing.T) {
	tests := []cmdCase{
		{name: "no args", code: exitBadArgs, stderr: []string{"usage: ocmsim COMMAND"}},
		{name: "help", args: []string{"help"}, code: exitOK, stderr: []string{"explain", "validate", "serve"}},
		{name: "unknown command", args: []string{"explian"}, code: exitBadArgs, stderr: []string{`unknown command "explian"`}},
		{name: "version", args: []string{"version"}, code: exitOK, stdout: []string{"ocmsim "}},
		{name: "explain native first", args: []string{"explain", "+14255550100"}, code: exitOK,
			stdout: []string{"NativeFirst: granted directly to the user", "alice-iphone-native  native-dialer  yes", "alice-iphone-teams   teams-mobile   no"}},
		{name: "explain flags after the number", args: []string{"explain", "tel:+1-425-555-0100", "--registered", "alice-iphone-teams,alice-laptop"}, code: exitOK,
			stdout: []string{"fallback yes", "alice-iphone-teams   teams-mobile   yes", "alice-iphone-native  native-dialer  no     not registered"}},
		{name: "explain wifi-only on cellular", args: []string{"explain", "+14255550105", "--network", "wendy-phone-teams=cellular"}, code: exitOK,
			stdout: []string{"on cellular data under IPAudioMobileMode WifiOnly"}},
		{name: "explain FMC", args: []string{"explain", "+14255550101", "--fmc"}, code: exitOK,
			stdout: []string{"adele-laptop        teams-desktop  no     X-MS-FMC call"}},
		{name: "explain porting", args: []string{"explain", "+14255550150"}, code: exitOK, stdout: []string{"refused  480", "number-porting"}},
		{name: "explain suspended", args: []string{"explain", "+16045550100"}, code: exitOK, stdout: []string{"refused  403", "operator-suspended"}},
		{name: "explain unknown device", args: []string{"explain", "+14255550100", "--registered", "nobody"}, code: exitBadArgs, stderr: []string{`unknown device "nobody"`}},
		{name: "explain missing number", args: []string{"explain"}, code: exitBadArgs, stderr: []string{"usage: ocmsim explain"}},
		{name: "explain emergency by cell", args: []string{"explain", "--emergency", "911", "--device", "alice-iphone-native"}, code: exitOK,
			stdout: []string{"path      operator", "2 serving cell 310260000a1b2c3d: in the cell table, radius 800 m → used", "source Cell, method Cell", "psap      psap-king (point match)"}},
		{name: "explain emergency GPS beats cell", args: []string{"explain", "--emergency", "911", "--device", "alice-iphone-native", "--gps", "47.62,-122.35,12"}, code: exitOK,
			stdout: []string{"1 GPS fix 47.62000,-122.35000 ± 12 m", "→ used", "circle 47.62000,-122.35000 r=12 m (source GPS"}},
		{name: "explain emergency dynamic subnet", args: []string{"explain", "--emergency", "911", "--device", "adele-laptop", "--subnet", "10.10.2.33/24", "--public-ip", "203.0.113.9"}, code: exitOK,
			stdout: []string{"trusted (203.0.113.0/24)", "matched address seattle-office, used", "source Dynamic, method DHCP"}},
		{name: "explain emergency untrusted", args: []string{"explain", "--emergency", "911", "--device", "adele-laptop", "--subnet", "10.10.2.33/24"}, code: exitOK,
			stdout: []string{"not a trusted IP", "3 static address redmond-hq of the number → used", "source Static, method Manual"}},
		{name: "explain emergency no location", args: []string{"explain", "--emergency", "911", "--device", "bob-phone-native"}, code: exitOK,
			stdout: []string{"unknown: the national fallback PSAP", "psap-us-national (fallback match)"}},
		{name: "explain emergency unknown device", args: []string{"explain", "--emergency", "911", "--device", "nobody"}, code: exitBadArgs, stderr: []string{"not-found", "nobody"}},
		{name: "explain emergency not an emergency number", args: []string{"explain", "--emergency", "+14255550101", "--device", "alice-laptop"}, code: exitBadArgs, stderr: []string{"invalid", "+14255550101"}},
		{name: "explain emergency without device", args: []string{"explain", "--emergency", "911"}, code: exitBadArgs, stderr: []string{"--emergency needs --device"}},
		{name: "explain emergency bad gps", args: []string{"explain", "--emergency", "911", "--device", "alice-laptop", "--gps", "x"}, code: exitBadArgs, stderr: []string{`--gps "x"`}},
		{name: "explain with a scenario file", args: []string{"explain", "-c", "../../scenarios/testdata/good/contract.yaml", "+14255550100"}, code: exitOK,
			stdout: []string{"alice-iphone-native"}},
		{name: "explain with a bad file", args: []string{"explain", "-c", "../../scenarios/testdata/bad/unknown-keys.yaml", "+14255550100"}, code: exitBadArgs,
			stderr: []string{"unknown-keys.yaml:"}},
		{name: "validate good files", args: []string{"validate", "../../scenarios/testdata/good/contract.yaml", "../../scenarios/testdata/good/bench-100x3.yaml"}, code: exitOK,
			stdout: []string{"contract.yaml: ok", "bench-100x3.yaml: ok"}},
		{name: "validate lists every error", args: []string{"validate", "../../scenarios/testdata/good/contract.yaml", "../../scenarios/testdata/bad/unknown-keys.yaml", "../../scenarios/testdata/bad/rule-license.yaml"}, code: exitBadArgs,
			stdout: []string{"contract.yaml: ok"}, stderr: []string{"did you mean", "license-missing", "2 of 3 file(s) invalid"}},
		{name: "validate missing file", args: []string{"validate", "no-such.yaml"}, code: exitBadArgs, stderr: []string{"no-such.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectRun(t, tt.args, tt.code, tt.stdout, tt.stderr)
		})
	}
}

func TestExplainJSON(t *testing.T) {
	code, out, errs := ocmsim(t, "explain", "+14255550103", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var v struct {
		Policy string `json:"policy"`
		Source string `json:"policySource"`
		Group  string `json:"group"`
		Rank   int    `json:"rank"`
		Rings  []struct{ ID, Why string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if v.Source != "group" || v.Rank != 1 || v.Policy != "NativeFirst" {
		t.Errorf("carol's policy = %+v, want NativeFirst from her rank-1 group", v)
	}
	if len(v.Rings) == 0 || v.Rings[0].Why != "preferred-native" {
		t.Errorf("rings = %+v, want the native dialer first", v.Rings)
	}
}
