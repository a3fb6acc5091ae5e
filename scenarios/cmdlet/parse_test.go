package cmdlet

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// describe renders a parsed command compactly for comparison.
func describe(c Command) string {
	names := make([]string, 0, len(c.Args))
	for n := range c.Args {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := []string{c.Name}
	for _, n := range names {
		a := c.Args[n]
		v := strings.Join(a.Values, ",")
		switch {
		case a.Null:
			v = "$null"
		case len(a.Values) == 0:
			v = fmt.Sprintf("$%v", a.Bool)
		}
		parts = append(parts, n+"="+v)
	}
	if c.Select != nil {
		parts = append(parts, "| "+strings.Join(c.Select, ","))
	}
	return strings.Join(parts, " ")
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"lowercase cmdlet", "get-csteamsmobilitypolicy", "Get-CsTeamsMobilityPolicy"},
		{"guide casing", "get-CsUserpolicyassignment -identity user@xyz.onmicrosoft.com",
			"Get-CsUserPolicyAssignment Identity=user@xyz.onmicrosoft.com"},
		{"upper case", "GRANT-CSTEAMSMOBILITYPOLICY NativeFirst -IDENTITY u@x",
			"Grant-CsTeamsMobilityPolicy Identity=u@x PolicyName=NativeFirst"},
		{"positional policy after named identity", "Grant-CsTeamsMobilityPolicy NativeFirst -Identity user@xyz.onmicrosoft.com",
			"Grant-CsTeamsMobilityPolicy Identity=user@xyz.onmicrosoft.com PolicyName=NativeFirst"},
		{"both positional", "Grant-CsTeamsMobilityPolicy u@x NativeFirst",
			"Grant-CsTeamsMobilityPolicy Identity=u@x PolicyName=NativeFirst"},
		{"$Null", "Grant-CsOnlineVoiceRoutingPolicy -Identity u -PolicyName $Null",
			"Grant-CsOnlineVoiceRoutingPolicy Identity=u PolicyName=$null"},
		{"$NULL first", "Grant-CsTeamsMobilityPolicy -PolicyName $NULL -Identity u",
			"Grant-CsTeamsMobilityPolicy Identity=u PolicyName=$null"},
		{"$null trailing space", "Set-CsUser -Identity u -LineURI $null ", "Set-CsUser Identity=u LineURI=$null"},
		{"colon value", "Set-CsUser -Identity:u -LineURI:$null", "Set-CsUser Identity=u LineURI=$null"},
		{"single quotes", "New-CsTeamsMobilityPolicy 'Sales ''NA''' -Description 'a, b | c'",
			"New-CsTeamsMobilityPolicy Description=a, b | c Identity=Sales 'NA'"},
		{"double quotes", "New-CsTeamsMobilityPolicy \"Sales`\"NA\"\"\" -Description \"tab`there\"",
			"New-CsTeamsMobilityPolicy Description=tab\there Identity=Sales\"NA\""},
		{"empty string", `Set-CsTeamsMobilityPolicy -Description ""`, "Set-CsTeamsMobilityPolicy Description="},
		{"switch", "Remove-CsTeamsMobilityPolicy -Identity X -Force", "Remove-CsTeamsMobilityPolicy Force=$true Identity=X"},
		{"switch off", "Remove-CsTeamsMobilityPolicy -Identity X -Confirm:$false", "Remove-CsTeamsMobilityPolicy Confirm=$false Identity=X"},
		{"prefix", "Remove-CsTeamsMobilityPolicy -Id X", "Remove-CsTeamsMobilityPolicy Identity=X"},
		{"int", "Grant-CsTeamsMobilityPolicy -Group sales -PolicyName NativeFirst -Rank 2",
			"Grant-CsTeamsMobilityPolicy Group=sales PolicyName=NativeFirst Rank=2"},
		{"positional policy for a group", "Grant-CsTeamsMobilityPolicy SalesPolicy -Group sales -Rank 2",
			"Grant-CsTeamsMobilityPolicy Group=sales PolicyName=SalesPolicy Rank=2"},
		{"bool", "Set-CsPhoneNumberAssignment -Identity u -EnterpriseVoiceEnabled $true",
			"Set-CsPhoneNumberAssignment EnterpriseVoiceEnabled=true Identity=u"},
		{"list", "Get-CsPhoneNumberAssignment -CapabilitiesContain UserAssignment,TeamsPhoneMobile",
			"Get-CsPhoneNumberAssignment CapabilitiesContain=UserAssignment,TeamsPhoneMobile"},
		{"spaced list", "Get-CsPhoneNumberAssignment -CapabilitiesContain UserAssignment , 'TeamsPhoneMobile'",
			"Get-CsPhoneNumberAssignment CapabilitiesContain=UserAssignment,TeamsPhoneMobile"},
		{"tabs", "Get-CsOnlineUser\t-Identity\tu", "Get-CsOnlineUser Identity=u"},
		{"comment", "Get-CsTeamsMobilityPolicy # every policy", "Get-CsTeamsMobilityPolicy"},
		{"fl", "Get-CsOnlineUser -Identity u | fl RegistrarPool, OnPremLineURI, LineURI ",
			"Get-CsOnlineUser Identity=u | RegistrarPool,OnPremLineURI,LineURI"},
		{"fl case", "Get-CsOnlineUser -Identity u | fl LineUri", "Get-CsOnlineUser Identity=u | LineURI"},
		{"Format-List -Property", "Get-CsOnlineUser u|Format-List -Property lineuri,registrarpool",
			"Get-CsOnlineUser Identity=u | LineURI,RegistrarPool"},
		{"Select-Object wildcard", "Get-CsOnlineUser u | Select-Object *LineURI",
			"Get-CsOnlineUser Identity=u | LineURI,OnPremLineURI"},
		{"fl star", "Get-CsUserPolicyAssignment -Identity u | fl *",
			"Get-CsUserPolicyAssignment Identity=u | PolicyType,PolicyName,PolicySource"},
		{"wildcard matching nothing", "Get-CsUserPolicyAssignment -Identity u | fl Zz*", "Get-CsUserPolicyAssignment Identity=u | "},
		{"bare fl", "Get-CsUserPolicyAssignment -Identity u | fl", "Get-CsUserPolicyAssignment Identity=u"},
		{"number forms", "Set-CsPhoneNumberAssignment -Identity u -PhoneNumber '+14255550100' -PhoneNumberType OperatorConnect -LocationId 'null'",
			"Set-CsPhoneNumberAssignment Identity=u LocationId=null PhoneNumber=+14255550100 PhoneNumberType=OperatorConnect"},
		{"remove all", "Remove-CsPhoneNumberAssignment -Identity u -RemoveAll", "Remove-CsPhoneNumberAssignment Identity=u RemoveAll=$true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if got := describe(c); got != tt.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, line string
		at         string   // the offending token, its last occurrence: the error's column is its index + 1 ("" → column 1)
		want       []string // substrings of the message
	}{
		{"empty", "   ", "", []string{"no cmdlet"}},
		{"unknown cmdlet", "Get-CsTeamsMobilityPolicies", "", []string{`unknown cmdlet "Get-CsTeamsMobilityPolicies"`, "did you mean Get-CsTeamsMobilityPolicy?"}},
		{"unknown cmdlet far", "Frobnicate -x", "", []string{`unknown cmdlet "Frobnicate"`}},
		{"unknown parameter", "Grant-CsTeamsMobilityPolicy NativeFirst -Identiy u", "-Identiy",
			[]string{"Grant-CsTeamsMobilityPolicy", "unknown parameter -Identiy", "did you mean Identity?"}},
		{"unknown parameter set-csuser", "Set-CsUser -Identity u -LineUrl $null", "-LineUrl", []string{"Set-CsUser", "-LineUrl", "did you mean LineURI?"}},
		{"ambiguous prefix", "Set-CsPhoneNumberAssignment -Identity u -Phone +1", "-Phone", []string{"ambiguous", "PhoneNumber, PhoneNumberType"}},
		{"missing mandatory", "Set-CsUser -LineURI $null", "", []string{"missing mandatory parameter -Identity"}},
		{"missing type", "Set-CsPhoneNumberAssignment -Identity u -PhoneNumber +14255550100", "", []string{"-PhoneNumberType"}},
		{"missing value", "Remove-CsTeamsMobilityPolicy -Identity", "-Identity", []string{"missing a value for parameter -Identity"}},
		{"value is a parameter", "Remove-CsTeamsMobilityPolicy -Identity -Force", "-Identity", []string{"missing a value"}},
		{"null refused", "Remove-CsTeamsMobilityPolicy -Identity $null", "$null", []string{"-Identity does not accept $null"}},
		{"unknown variable", "Set-CsUser -Identity u -LineURI $nul", "$nul", []string{"unknown variable $nul"}},
		{"unterminated single", "New-CsTeamsMobilityPolicy 'abc", "'abc", []string{"unterminated single-quoted"}},
		{"unterminated double", `New-CsTeamsMobilityPolicy "abc`, `"abc`, []string{"unterminated double-quoted"}},
		{"integer", "Grant-CsTeamsMobilityPolicy -Group g -PolicyName P -Rank one", "one", []string{"-Rank takes an integer"}},
		{"exclusive", "Grant-CsTeamsMobilityPolicy P -Identity u -Group g", "-Group", []string{"cannot be used together"}},
		{"neither", "Grant-CsTeamsMobilityPolicy -PolicyName P", "", []string{"give -Identity or -Group or -Global"}},
		{"extra positional", "Remove-CsTeamsMobilityPolicy X Y", "Y", []string{"takes no positional argument \"Y\""}},
		{"twice", "Remove-CsTeamsMobilityPolicy -Identity X -identity Y", "-identity", []string{"given twice"}},
		{"list refused", "New-CsTeamsMobilityPolicy -Identity a,b", "a,b", []string{"takes one value"}},
		{"statement separator", "Get-CsTeamsMobilityPolicy; Get-CsOnlineUser", ";", []string{`unexpected ";"`}},
		{"subexpression", "Get-CsOnlineUser -Identity (Get-User)", "(", []string{"unexpected"}},
		{"unknown property", "Get-CsOnlineUser -Identity u | fl LineUrl", "LineUrl", []string{`no property "LineUrl"`, "did you mean LineURI?"}},
		{"unknown formatter", "Get-CsOnlineUser -Identity u | ft LineURI", "ft", []string{"only Format-List"}},
		{"nothing to format", "New-CsTeamsMobilityPolicy X | fl Identity", "fl", []string{"prints nothing"}},
		{"trailing pipe", "Get-CsOnlineUser |", "|", []string{"must follow the pipe"}},
		{"two pipes", "Get-CsOnlineUser | fl LineURI | fl", "|", []string{"unexpected"}},
		{"dangling comma", "Get-CsPhoneNumberAssignment -CapabilitiesContain a,", ",", []string{"must follow the comma"}},
		{"switch colon", "Remove-CsTeamsMobilityPolicy X -Confirm:no", "no", []string{"$true or $false"}},
		{"quoted cmdlet", "'Get-CsOnlineUser'", "", []string{"must start with a cmdlet name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.line)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", tt.line, err)
			}
			col := 1
			if tt.at != "" {
				col = strings.LastIndex(tt.line, tt.at) + 1
			}
			if se.Col != col {
				t.Errorf("Parse(%q): column %d, want %d (%v)", tt.line, se.Col, col, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse(%q) = %q, want it to contain %q", tt.line, err, w)
				}
			}
		})
	}
}

func TestNames(t *testing.T) {
	names := Names()
	for _, want := range []string{
		"New-CsTeamsMobilityPolicy", "Set-CsTeamsMobilityPolicy", "Remove-CsTeamsMobilityPolicy",
		"Grant-CsTeamsMobilityPolicy", "Get-CsTeamsMobilityPolicy", "Get-CsUserPolicyAssignment",
		"Get-CsPhoneNumberAssignment", "Get-CsOnlineUser", "Set-CsUser", "Grant-CsOnlineVoiceRoutingPolicy",
		"Set-CsPhoneNumberAssignment", "Remove-CsPhoneNumberAssignment",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() lacks %s", want)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() is not sorted: %v", names)
	}
}
