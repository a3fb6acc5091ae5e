package scenarios

import (
	"testing"

	"ocmsim/routing"
)

func TestLoadDemo(t *testing.T) {
	f, err := LoadDemo()
	if err != nil {
		t.Fatal(err)
	}
	if !f.TenantOnly || f.Directory == nil {
		t.Fatalf("TenantOnly=%v Directory=%v", f.TenantOnly, f.Directory)
	}
	dir := f.Directory
	tests := []struct {
		number  string
		policy  string
		source  routing.SourceKind
		code    routing.Code
		targets []string
	}{
		{"+14255550100", "NativeFirst", routing.SourceDirect, "", []string{"alice-iphone-native", "alice-laptop", "alice-web", "alice-deskphone"}},
		{"+14255550101", "Global", routing.SourceGlobal, "", []string{"adele-phone-teams", "adele-laptop"}},
		{"+14255550102", "LetUserChoose", routing.SourceDirect, "", []string{"bob-phone-native", "bob-laptop"}},
		{"+14255550103", "NativeFirst", routing.SourceGroup, "", []string{"carol-phone-native", "carol-laptop"}},
		{"+14255550104", "TeamsFirst", routing.SourceGroup, "", []string{"dave-phone-teams"}},
		{"+14255550105", "WifiOnlyTeams", routing.SourceDirect, "", []string{"wendy-phone-teams"}},
		{"+16045550100", "", "", routing.CodeOperatorSuspended, nil},
		{"+14255550150", "", "", routing.CodeNumberPorting, nil},
		{"+14255550199", "", "", routing.CodeNumberUnassigned, nil},
		{"+12065550100", "Global", routing.SourceGlobal, "", []string{"grace-laptop"}},
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			dec := dir.Route(routing.Call{To: tt.number}, nil)
			if dec.Code != tt.code {
				t.Fatalf("code = %q, want %q (%s)", dec.Code, tt.code, dec.Reason)
			}
			if tt.code != "" {
				return
			}
			if dec.Policy != tt.policy || dec.Source.Kind != tt.source {
				t.Errorf("policy = %s from %s, want %s from %s", dec.Policy, dec.Source.Kind, tt.policy, tt.source)
			}
			var got []string
			for _, tg := range dec.Targets {
				got = append(got, tg.Device)
			}
			if len(got) != len(tt.targets) {
				t.Fatalf("targets = %v, want %v", got, tt.targets)
			}
			for i := range got {
				if got[i] != tt.targets[i] {
					t.Fatalf("targets = %v, want %v", got, tt.targets)
				}
			}
		})
	}
	if n, _ := dir.Number("+12065550100"); n.Activation != routing.AssignmentPending || n.EmergencyAddress != "seattle-office" || !n.OCM() {
		t.Errorf("tailspin number = %+v", n)
	}
	if len(f.Tenant.Cells) != 3 || len(f.Tenant.PSAPs) != 4 || len(f.Tenant.Trunks) != 1 ||
		len(f.Tenant.TrustedIPs) != 1 || len(f.Tenant.Locations) != 3 {
		t.Errorf("cells/psaps/trunks/trustedIPs/locations = %d/%d/%d/%d/%d", len(f.Tenant.Cells), len(f.Tenant.PSAPs),
			len(f.Tenant.Trunks), len(f.Tenant.TrustedIPs), len(f.Tenant.Locations))
	}
	if _, ok := dir.Cell("310260000a1b2c3d"); !ok {
		t.Error("the demo's cells are not in the directory")
	}
}
