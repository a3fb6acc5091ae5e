package routing_test

import (
	"os/exec"
	"strings"
	"testing"

	"ocmsim/routing"
)

func TestNormalizeNumber(t *testing.T) {
	cases := []struct {
		name, in, want string // want "" means not a number
	}{
		{"E.164", "+14255550100", "+14255550100"},
		{"no plus", "14255550100", "+14255550100"},
		{"user=phone", "14255550100;user=phone", "+14255550100"},
		{"sip with plus", "sip:+14255550100@contoso.com;user=phone", "+14255550100"},
		{"sip without plus", "sip:14255550100@contoso.com", "+14255550100"},
		{"sips", "sips:+14255550100@contoso.com", "+14255550100"},
		{"scheme case", "SIP:+14255550100@contoso.com", "+14255550100"},
		{"sip with port and params", "sip:+14255550100@10.0.0.1:5060;transport=udp", "+14255550100"},
		{"sip with headers", "sip:+14255550100?subject=x", "+14255550100"},
		{"tel with separators", "tel:+1-425-555-0100", "+14255550100"},
		{"tel with dots", "tel:+1.425.555.0100", "+14255550100"},
		{"tel with context", "tel:+14255550100;phone-context=+1", "+14255550100"},
		{"angle brackets", "<sip:+14255550100@x>", "+14255550100"},
		{"angle brackets and params", "<sip:+14255550100@x>;tag=1", "+14255550100"},
		{"spaces around", "  +14255550100\t", "+14255550100"},
		{"visual separators", "+1 (425) 555-0100", "+14255550100"},
		{"UK", "+442079460000", "+442079460000"},
		{"3 digits", "911", "+911"},
		{"15 digits", "+123456789012345", "+123456789012345"},

		{"empty", "", ""},
		{"plus only", "+", ""},
		{"2 digits", "+12", ""},
		{"16 digits", "+1234567890123456", ""},
		{"letters", "+1425555O100", ""},
		{"user name", "sip:alice@contoso.com", ""},
		{"empty user part", "sip:@contoso.com", ""},
		{"empty tel", "tel:", ""},
		{"second plus", "+1+4255550100", ""},
		{"plus after a separator", "-+14255550100", ""},
		{"other scheme", "mailto:+14255550100", ""},
		{"double scheme", "tel:sip:+14255550100", ""},
		{"extension", "+14255550100x12", ""},
		{"separators only", "+--..", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := routing.NormalizeNumber(c.in)
			if ok != (c.want != "") || got != c.want {
				t.Errorf("NormalizeNumber(%q) = %q, %v; want %q", c.in, got, ok, c.want)
			}
		})
	}
}

func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{"+14255550100", "14255550100;user=phone", "sip:+14255550100@host;user=phone",
		"sip:14255550100@host", "tel:+1-425-555-0100", "<sip:+14255550100@x>", "+1 (425) 555-0100", "", "<", ">", "sips:", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := routing.NormalizeNumber(s)
		if !ok {
			if got != "" {
				t.Fatalf("NormalizeNumber(%q) = %q, false", s, got)
			}
			return
		}
		if len(got) < 4 || len(got) > 16 || got[0] != '+' || strings.Trim(got[1:], "0123456789") != "" {
			t.Fatalf("NormalizeNumber(%q) = %q: not + and 3-15 digits", s, got)
		}
		if again, ok := routing.NormalizeNumber(got); !ok || again != got {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, got, again, ok)
		}
	})
}

// TestRoutingImportsOnlyStdlib holds the line of STYLE.md: routing imports
// nothing outside the standard library.
func TestRoutingImportsOnlyStdlib(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg != "ocmsim/routing" {
			t.Errorf("routing depends on %s, outside the standard library", pkg)
		}
	}
}
