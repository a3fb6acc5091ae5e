package cmdlet

import (
	"errors"
	"slices"
	"testing"
)

// fuzzSeeds are lines the fuzzers start from: the guide's, and tricky ones.
var fuzzSeeds = []string{
	"New-CsTeamsMobilityPolicy -identity TeamsFirst -MobileDialerPreference Teams ",
	"New-CsTeamsMobilityPolicy -identity NativeFirst -MobileDialerPreference Native ",
	"Grant-CsTeamsMobilityPolicy NativeFirst -Identity user@xyz.onmicrosoft.com",
	"Grant-CsTeamsMobilityPolicy TeamsFirst -Identity user@xyz.onmicrosoft.com",
	"get-CsUserpolicyassignment -identity user@xyz.onmicrosoft.com",
	"Get-CsTeamsMobilityPolicy",
	"Get-CsPhoneNumberAssignment -AssignedPstnTargetId dave ",
	"Get-CsOnlineUser -Identity dave | fl RegistrarPool, OnPremLineURI, LineURI ",
	"Set-CsUser -Identity dave -LineURI $null ",
	"Get-CsOnlineUser -Identity dave | fl LineUri",
	"Grant-CsOnlineVoiceRoutingPolicy -Identity dave -PolicyName $Null",
	"Set-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550100 -PhoneNumberType OperatorConnect -LocationId hq",
	"Remove-CsPhoneNumberAssignment -Identity dave -RemoveAll -Confirm:$false",
	"Grant-CsTeamsMobilityPolicy SalesPolicy -Group sales -Rank 2",
	"Get-CsPhoneNumberAssignment -CapabilitiesContain 'UserAssignment,TeamsPhoneMobile' -Top 1 -Skip 1 | Select-Object Tele*",
	`New-CsTeamsMobilityPolicy "a""b` + "`" + `"" -Description 'x''y' # comment`,
	"Get-CsTeamsMobilityPolicy -Filter '[' | fl *",
	"-:", "$", "'", "\"`", "a,", "|", "Set-CsUser -Identity:",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	names := Names()
	f.Fuzz(func(t *testing.T, line string) {
		c, err := Parse(line)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, not a *SyntaxError", line, err)
			}
			if se.Col < 1 || se.Col > len(line)+1 {
				t.Fatalf("Parse(%q): column %d outside 1..%d", line, se.Col, len(line)+1)
			}
			return
		}
		if !slices.Contains(names, c.Name) {
			t.Fatalf("Parse(%q) = cmdlet %q, not one of Names()", line, c.Name)
		}
	})
}

func FuzzApply(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := Parse(line)
		if err != nil {
			return
		}
		d, _ := newTenant(t)
		_, _ = c.Apply(d) // must not panic; errors are expected
	})
}
