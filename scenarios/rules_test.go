package scenarios

import (
	"fmt"
	"os"
	"testing"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

// TestRules loads every case of testdata/rules.yaml and expects exactly one
// error: the case's rule code at the case's line:col.
func TestRules(t *testing.T) {
	data, err := os.ReadFile("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Code string `yaml:"code"`
		At   string `yaml:"at"`
		File string `yaml:"file"`
	}
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, c := range cases {
		name := fmt.Sprintf("%02d-%s", i, c.Code)
		seen[c.Code] = true
		t.Run(name, func(t *testing.T) {
			_, err := Parse("rule.yaml", []byte(c.File))
			list := Errors(err)
			if len(list) != 1 {
				t.Fatalf("want one %s error at %s, got:\n%v", c.Code, c.At, err)
			}
			got := list[0]
			if string(got.Code) != c.Code || fmt.Sprintf("%d:%d", got.Line, got.Col) != c.At {
				t.Errorf("got %s at %d:%d (%s), want %s at %s", got.Code, got.Line, got.Col, got.Msg, c.Code, c.At)
			}
			if routing.ErrorCode(err) != routing.Code(c.Code) {
				t.Errorf("routing.ErrorCode(err) = %q, want %q", routing.ErrorCode(err), c.Code)
			}
		})
	}
	// every rule a file can break at load time has a case (user-has-number
	// cannot break there: a user entry holds one number:)
	for _, code := range []routing.Code{routing.CodeOperatorNotOCM, routing.CodeCountryNotServed,
		routing.CodeContactIncomplete, routing.CodeDataTransferNotAccepted, routing.CodeLicenseMissing,
		routing.CodeNotTeamsOnly, routing.CodeNumberAssigned, routing.CodeNumberInUse,
		routing.CodeOnPremLineURISet, routing.CodeVoiceRoutingPolicyAssigned, routing.CodeNumberPorting,
		routing.CodeNotFound, routing.CodeInvalid, routing.CodeExists, routing.CodeOperatorNotEnabled,
		routing.CodeAddressNotValidated} {
		if !seen[string(code)] {
			t.Errorf("no case for %s", code)
		}
	}
}
