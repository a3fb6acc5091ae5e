package cmdlet

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"ocmsim/routing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

// TestErrorCodes checks that routing's coded errors come through Apply, and
// that a refused cmdlet changes nothing.
func TestErrorCodes(t *testing.T) {
	tests := []struct {
		name, line string
		code       routing.Code
	}{
		{"grant unknown policy", "Grant-CsTeamsMobilityPolicy Nope -Identity user@xyz.onmicrosoft.com", routing.CodeNotFound},
		{"grant unknown user", "Grant-CsTeamsMobilityPolicy SalesPolicy -Identity nobody@xyz.onmicrosoft.com", routing.CodeNotFound},
		{"grant unknown group", "Grant-CsTeamsMobilityPolicy SalesPolicy -Group nobody -Rank 2", routing.CodeNotFound},
		{"group without rank", "Grant-CsTeamsMobilityPolicy SalesPolicy -Group sales", routing.CodeInvalid},
		{"grant to tenant", "Grant-CsTeamsMobilityPolicy SalesPolicy -Global", routing.CodeInvalid},
		{"new duplicate", "New-CsTeamsMobilityPolicy salespolicy", routing.CodeExists},
		{"new bad preference", "New-CsTeamsMobilityPolicy X -MobileDialerPreference Both", routing.CodeInvalid},
		{"set bad audio mode", "Set-CsTeamsMobilityPolicy SalesPolicy -IPAudioMobileMode CellularOnly", routing.CodeInvalid},
		{"set unknown", "Set-CsTeamsMobilityPolicy Nope -MobileDialerPreference Native", routing.CodeNotFound},
		{"remove unknown", "Remove-CsTeamsMobilityPolicy Nope", routing.CodeNotFound},
		{"get unknown policy", "Get-CsTeamsMobilityPolicy -Identity Nope", routing.CodeNotFound},
		{"assignment of unknown user", "Get-CsUserPolicyAssignment -Identity nobody", routing.CodeNotFound},
		{"online user unknown", "Get-CsOnlineUser -Identity nobody", routing.CodeNotFound},
		{"numbers of unknown user", "Get-CsPhoneNumberAssignment -AssignedPstnTargetId nobody", routing.CodeNotFound},
		{"bad telephone number", "Get-CsPhoneNumberAssignment -TelephoneNumber tel:abc", routing.CodeInvalid},
		{"set-csuser unknown", "Set-CsUser -Identity nobody -LineURI $null", routing.CodeNotFound},
		{"set-csuser value", "Set-CsUser -Identity user -LineURI tel:+14255550100", routing.CodeInvalid},
		{"voice routing unknown user", "Grant-CsOnlineVoiceRoutingPolicy -Identity nobody -PolicyName $Null", routing.CodeNotFound},
		{"type mismatch", "Set-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550150 -PhoneNumberType OperatorConnect", routing.CodeInvalid},
		{"OC is not OCM", "Set-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550160 -PhoneNumberType OperatorConnectMobile", routing.CodeInvalid},
		{"unknown type", "Set-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550100 -PhoneNumberType Mobile", routing.CodeInvalid},
		{"not a number", "Set-CsPhoneNumberAssignment -Identity user -PhoneNumber nope -PhoneNumberType OperatorConnect", routing.CodeInvalid},
		{"unknown number", "Set-CsPhoneNumberAssignment -Identity user -PhoneNumber +19995550100 -PhoneNumberType OperatorConnect", routing.CodeNotFound},
		{"number assigned", "Set-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550199 -PhoneNumberType DirectRouting", routing.CodeNumberAssigned},
		{"user has number", "Set-CsPhoneNumberAssignment -Identity dave -PhoneNumber +14255550150 -PhoneNumberType CallingPlan", routing.CodeUserHasNumber},
		{"licence missing", "Set-CsPhoneNumberAssignment -Identity bob -PhoneNumber +14255550100 -PhoneNumberType OperatorConnect", routing.CodeLicenseMissing},
		{"unknown location rolls back", "Set-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550100 -PhoneNumberType OperatorConnect -LocationId nowhere", routing.CodeNotFound},
		{"location of unknown number", "Set-CsPhoneNumberAssignment -PhoneNumber +19995550100 -LocationId hq", routing.CodeNotFound},
		{"other category", "Set-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550100 -PhoneNumberType OperatorConnect -AssignmentCategory Private", routing.CodeInvalid},
		{"remove free number", "Remove-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550100 -PhoneNumberType OperatorConnect", routing.CodeNumberNotAssigned},
		{"remove other's number", "Remove-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550199 -PhoneNumberType DirectRouting", routing.CodeNumberNotAssigned},
		{"remove wrong type", "Remove-CsPhoneNumberAssignment -Identity dave -PhoneNumber +14255550199 -PhoneNumberType CallingPlan", routing.CodeInvalid},
		{"remove unknown user", "Remove-CsPhoneNumberAssignment -Identity nobody -RemoveAll", routing.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newTenant(t)
			before := d.Snapshot()
			c, err := Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			_, err = c.Apply(d)
			if got := routing.ErrorCode(err); got != tt.code {
				t.Errorf("Apply(%q) = %v (code %q), want code %q", tt.line, err, got, tt.code)
			}
			if after := d.Snapshot(); !reflect.DeepEqual(before, after) {
				t.Errorf("Apply(%q) failed but changed the tenant", tt.line)
			}
		})
	}
}

// TestMigrationRules walks the Direct Routing migration and checks that each
// rule of the guide refuses the assignment until its step is done.
func TestMigrationRules(t *testing.T) {
	d, clk := newTenant(t)
	const assign = "Set-CsPhoneNumberAssignment -Identity dave -PhoneNumber +14255550100 -PhoneNumberType OperatorConnect"
	expect := func(code routing.Code) {
		t.Helper()
		c, err := Parse(assign)
		mustDo(t, err)
		if _, err := c.Apply(d); routing.ErrorCode(err) != code {
			t.Fatalf("assign: %v, want code %q", err, code)
		}
	}
	run(t, d, "Remove-CsPhoneNumberAssignment -Identity dave -RemoveAll")
	expect(routing.CodeOnPremLineURISet)
	run(t, d, "Set-CsUser -Identity dave -LineURI $null")
	expect(routing.CodeSyncPending)
	clk.Advance(routing.DefaultSyncDelay)
	expect(routing.CodeVoiceRoutingPolicyAssigned)
	run(t, d, "Grant-CsOnlineVoiceRoutingPolicy dave $null")
	expect("")
	out := run(t, d, "Get-CsOnlineUser dave | fl LineURI, OnPremLineURI, EnterpriseVoiceEnabled")
	if want := "LineURI                : tel:+14255550100\nOnPremLineURI          :\nEnterpriseVoiceEnabled : True\n"; out != want {
		t.Errorf("after assignment:\n%s\nwant:\n%s", out, want)
	}
}

func TestActions(t *testing.T) {
	d, _ := newTenant(t)
	steps := []struct{ line, check, want string }{
		{"New-CsTeamsMobilityPolicy -Identity Field -Description 'Field staff' -MobileDialerPreference native -IPAudioMobileMode wifionly -IPVideoMobileMode WifiOnly -LinksInTeams UseUserDefaults",
			"Get-CsTeamsMobilityPolicy Field | fl MobileDialerPreference, IPAudioMobileMode, Description",
			"MobileDialerPreference : Native\nIPAudioMobileMode      : WifiOnly\nDescription            : Field staff\n"},
		{"Set-CsTeamsMobilityPolicy Tag:Field -Description $null -MobileDialerPreference UserOverride",
			"Get-CsTeamsMobilityPolicy -Identity Field | fl Description, MobileDialerPreference",
			"Description            :\nMobileDialerPreference : UserOverride\n"},
		{"Set-CsTeamsMobilityPolicy -MobileDialerPreference Native", // no identity: Global
			"Get-CsTeamsMobilityPolicy Global | fl MobileDialerPreference", "MobileDialerPreference : Native\n"},
		{"Grant-CsTeamsMobilityPolicy -Group sales -PolicyName Field -Rank 1",
			"Get-CsUserPolicyAssignment -Identity alice -PolicyType TeamsMobilityPolicy | fl PolicyName, PolicySource",
			"PolicyName   : Field\nPolicySource : {Group sales, Rank 1}\n"},
		{"Grant-CsTeamsMobilityPolicy user@XYZ.onmicrosoft.com Field",
			"Get-CsOnlineUser user | fl TeamsMobilityPolicy", "TeamsMobilityPolicy : Field\n"},
		{"Remove-CsTeamsMobilityPolicy -Identity Field -Confirm:$false",
			"Get-CsUserPolicyAssignment -Identity user | fl PolicyName, PolicySource", "PolicyName   : Global\nPolicySource : {Global}\n"},
		{"Grant-CsTeamsMobilityPolicy -Group sales -PolicyName $null",
			"Get-CsUserPolicyAssignment -Identity alice -PolicyType OnlineVoiceRoutingPolicy", ""},
		{"Set-CsPhoneNumberAssignment -Identity user -PhoneNumber 14255550100 -PhoneNumberType OperatorConnect -LocationId hq",
			"Get-CsPhoneNumberAssignment -TelephoneNumber +14255550100 | fl AssignedPstnTargetId, LocationId, PstnAssignmentStatus",
			"AssignedPstnTargetId : user\nLocationId           : hq\nPstnAssignmentStatus : UserAssigned\n"},
		{"Set-CsPhoneNumberAssignment -PhoneNumber +14255550100 -LocationId 'null'",
			"Get-CsPhoneNumberAssignment -TelephoneNumber 14255550100 | fl LocationId", "LocationId :\n"},
		{"Set-CsPhoneNumberAssignment -Identity user -EnterpriseVoiceEnabled $true",
			"Get-CsPhoneNumberAssignment -AssignedPstnTargetId user | fl TelephoneNumber", "TelephoneNumber : +14255550100\n"},
		{"Remove-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550100 -PhoneNumberType OperatorConnect",
			"Get-CsPhoneNumberAssignment -AssignedPstnTargetId user", ""},
		{"Set-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550101 -PhoneNumberType OperatorConnectMobile",
			"Get-CsPhoneNumberAssignment -PstnAssignmentStatus UserAssigned -NumberType operatorconnect | fl TelephoneNumber",
			"TelephoneNumber : +14255550101\n"},
		{"Set-CsTeamsMobilityPolicy Global -Description 'org default'", "Get-CsTeamsMobilityPolicy | fl Nothing*", ""},
		{"Remove-CsPhoneNumberAssignment -Identity user -RemoveAll",
			"Get-CsPhoneNumberAssignment -CapabilitiesContain TeamsPhoneMobile -Skip 1 -Top 1 | fl TelephoneNumber",
			"TelephoneNumber : +14255550101\n"},
	}
	for _, s := range steps {
		if out := run(t, d, s.line); out != "" {
			t.Errorf("%s printed %q, want nothing", s.line, out)
		}
		if got := run(t, d, s.check); got != s.want {
			t.Errorf("after %s\n%s:\ngot:\n%s\nwant:\n%s", s.line, s.check, got, s.want)
		}
	}
}

func TestApplyUnparsed(t *testing.T) {
	d, _ := newTenant(t)
	if _, err := (Command{}).Apply(d); err == nil {
		t.Error("Apply of a zero Command succeeded")
	}
	c, err := Parse("Get-CsTeamsMobilityPolicy")
	mustDo(t, err)
	if _, err := c.Apply(nil); err == nil {
		t.Error("Apply on a nil directory succeeded")
	}
}

// TestGolden checks the Format-List output of every Get- cmdlet against
// testdata/*.golden; run with -update to rewrite them.
func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		setup []string
		line  string
	}{
		{"get-mobility-policy", []string{
			"New-CsTeamsMobilityPolicy -identity TeamsFirst -MobileDialerPreference Teams",
			"New-CsTeamsMobilityPolicy -identity NativeFirst -MobileDialerPreference Native -Description 'Ring the native dialer'",
		}, "Get-CsTeamsMobilityPolicy"},
		{"get-mobility-policy-identity", nil, "Get-CsTeamsMobilityPolicy -Identity Tag:SalesPolicy"},
		{"get-mobility-policy-filter", []string{"New-CsTeamsMobilityPolicy TeamsFirst"}, `Get-CsTeamsMobilityPolicy -Filter "tag:*" | fl Identity`},
		{"get-user-policy-direct", []string{
			"New-CsTeamsMobilityPolicy -identity NativeFirst -MobileDialerPreference Native",
			"Grant-CsTeamsMobilityPolicy NativeFirst -Identity user@xyz.onmicrosoft.com",
		}, "get-CsUserpolicyassignment -identity user@xyz.onmicrosoft.com"},
		{"get-user-policy-group", nil, "Get-CsUserPolicyAssignment -Identity alice@xyz.onmicrosoft.com"},
		{"get-user-policy-global", nil, "Get-CsUserPolicyAssignment -Identity dave@xyz.onmicrosoft.com"},
		{"get-number-user", nil, "Get-CsPhoneNumberAssignment -AssignedPstnTargetId dave@xyz.onmicrosoft.com"},
		{"get-number-all", []string{
			"Set-CsPhoneNumberAssignment -Identity user -PhoneNumber +14255550100 -PhoneNumberType OperatorConnect -LocationId hq",
		}, "Get-CsPhoneNumberAssignment"},
		{"get-number-select", nil, "Get-CsPhoneNumberAssignment -NumberType OperatorConnect -PstnAssignmentStatus Unassigned | Select-Object TelephoneNumber, Capability, PstnPartnerName"},
		{"get-online-user", nil, "Get-CsOnlineUser -Identity dave@xyz.onmicrosoft.com"},
		{"get-online-user-fl", nil, "Get-CsOnlineUser -Identity dave@xyz.onmicrosoft.com | fl RegistrarPool, OnPremLineURI, LineURI"},
		{"get-online-user-all", nil, "Get-CsOnlineUser | fl UserPrincipalName, LineURI, TeamsUpgradeEffectiveMode, FeatureTypes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newTenant(t)
			for _, l := range tt.setup {
				run(t, d, l)
			}
			got := run(t, d, tt.line)
			file := filepath.Join("testdata", tt.name+".golden")
			if *update {
				mustDo(t, os.WriteFile(file, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(file)
			if errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s missing: run go test -run TestGolden -update", file)
			}
			mustDo(t, err)
			if got != string(want) {
				t.Errorf("%s\ngot:\n%s\nwant (%s):\n%s", tt.line, got, file, want)
			}
		})
	}
}
