package cmdlet

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

// prop returns the value of property name in Format-List output (the first
// record holding it) and whether it is there.
func prop(out, name string) (string, bool) {
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, " : ")
		if !ok {
			k, ok = strings.CutSuffix(line, " :")
		}
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// TestGuideLines runs every cmdlet line of the admin guide verbatim, in the
// guide's order, with <user> replaced by a Direct Routing user and
// user@xyz.onmicrosoft.com kept as written (the tenant has that user).
func TestGuideLines(t *testing.T) {
	d, clk := newTenant(t)
	const dave = "dave@xyz.onmicrosoft.com"
	steps := []struct {
		line    string
		advance time.Duration     // clock advance before the line
		want    map[string]string // properties of the output
		exact   string            // the whole output, when set
	}{
		// Determine if the existing Direct Routing numbers are assigned online or on-premises.
		{line: "Get-CsPhoneNumberAssignment -AssignedPstnTargetId " + dave + " ",
			want: map[string]string{"NumberType": "DirectRouting", "TelephoneNumber": "+14255550199", "NumberSource": "OnPremises"}},
		{line: "Get-CsOnlineUser -Identity " + dave + " | fl RegistrarPool, OnPremLineURI, LineURI ",
			exact: "RegistrarPool : pool.infra.lync.com\nOnPremLineURI : tel:+14255550199\nLineURI       : tel:+14255550199\n"},
		// Migrate Direct Routing numbers assigned on-premises.
		{line: "Set-CsUser -Identity " + dave + " -LineURI $null ", exact: ""},
		{line: "Get-CsOnlineUser -Identity " + dave + " | fl RegistrarPool, OnPremLineURI, LineURI ",
			want: map[string]string{"OnPremLineURI": "tel:+14255550199"}}, // not synced yet
		{line: "Get-CsOnlineUser -Identity " + dave + " | fl RegistrarPool, OnPremLineURI, LineURI ", advance: 10 * time.Minute,
			exact: "RegistrarPool : pool.infra.lync.com\nOnPremLineURI :\nLineURI       :\n"},
		{line: "Get-CsOnlineUser -Identity " + dave + " | fl LineUri", exact: "LineURI :\n"},
		// Remove the online voice routing policy associated with your user.
		{line: "Grant-CsOnlineVoiceRoutingPolicy -Identity " + dave + " -PolicyName $Null", exact: ""},
		{line: "Get-CsOnlineUser -Identity " + dave + " | fl OnlineVoiceRoutingPolicy", exact: "OnlineVoiceRoutingPolicy :\n"},
		// Use PowerShell: mobility policies.
		{line: "New-CsTeamsMobilityPolicy -identity TeamsFirst -MobileDialerPreference Teams ", exact: ""},
		{line: "New-CsTeamsMobilityPolicy -identity NativeFirst -MobileDialerPreference Native ", exact: ""},
		{line: "Grant-CsTeamsMobilityPolicy NativeFirst -Identity user@xyz.onmicrosoft.com", exact: ""},
		{line: "get-CsUserpolicyassignment -identity user@xyz.onmicrosoft.com",
			exact: "PolicyType   : TeamsMobilityPolicy\nPolicyName   : NativeFirst\nPolicySource : {Direct}\n"},
		{line: "Grant-CsTeamsMobilityPolicy TeamsFirst -Identity user@xyz.onmicrosoft.com", exact: ""},
		{line: "get-CsUserpolicyassignment -identity user@xyz.onmicrosoft.com",
			want: map[string]string{"PolicyName": "TeamsFirst", "PolicySource": "{Direct}"}},
		{line: "Get-CsTeamsMobilityPolicy", want: map[string]string{"Identity": "Global", "MobileDialerPreference": "Teams"}},
		{line: "Get-CsTeamsMobilityPolicy -Identity NativeFirst",
			exact: "Identity               : Tag:NativeFirst\nDescription            :\nIPVideoMobileMode      : AllNetworks\n" +
				"IPAudioMobileMode      : AllNetworks\nMobileDialerPreference : Native\n"},
		// Assign phone numbers: the migrated user gets an OCM number.
		{line: "Remove-CsPhoneNumberAssignment -Identity " + dave + " -PhoneNumber +14255550199 -PhoneNumberType DirectRouting", exact: ""},
		{line: "Set-CsPhoneNumberAssignment -Identity " + dave + " -PhoneNumber +14255550101 -PhoneNumberType OperatorConnect", exact: ""},
		{line: "Get-CsPhoneNumberAssignment -AssignedPstnTargetId " + dave,
			want: map[string]string{"TelephoneNumber": "+14255550101", "NumberType": "OperatorConnect",
				"Capability": "{UserAssignment, TeamsPhoneMobile}", "PstnAssignmentStatus": "UserAssigned", "PstnPartnerName": "Contoso Mobile"}},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		out := run(t, d, s.line)
		if s.want == nil && out != s.exact {
			t.Errorf("%s\ngot:\n%s\nwant:\n%s", s.line, out, s.exact)
		}
		for k, v := range s.want {
			if got, ok := prop(out, k); !ok || got != v {
				t.Errorf("%s: %s = %q (present %v), want %q\n%s", s.line, k, got, ok, v, out)
			}
		}
	}
}

// TestGuideFile parses and runs every line of the guide's PowerShell blocks,
// read from the seed file when it is available.
func TestGuideFile(t *testing.T) {
	f, err := os.Open("../../../shared/seeds/configure-operator-connect-mobile.md")
	if err != nil {
		t.Skip("guide not available:", err)
	}
	defer f.Close()
	d, clk := newTenant(t)
	in, n := false, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fence := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(fence, "```"):
			in = !in && strings.EqualFold(fence, "```PowerShell")
			continue
		case !in || fence == "":
			continue
		}
		line = strings.ReplaceAll(line, "<user>", "dave@xyz.onmicrosoft.com")
		clk.Advance(time.Minute)
		run(t, d, line)
		n++
	}
	mustDo(t, sc.Err())
	if n < 10 {
		t.Errorf("ran %d guide lines, want at least 10", n)
	}
}
