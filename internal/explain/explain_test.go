package explain

import (
	"strings"
	"testing"

	"ocmsim/routing"
)

func TestText(t *testing.T) {
	tests := []struct {
		name string
		dec  routing.Decision
		want []string
	}{
		{
			name: "refused",
			dec:  routing.Decision{Number: "+14255550150", Status: 480, Reason: "Number is being ported: out of service", Code: routing.CodeNumberPorting},
			want: []string{"refused  480 Number is being ported: out of service (number-porting)"},
		},
		{
			name: "group grant with a fallback",
			dec: routing.Decision{Number: "+14255550103", User: "carol", Policy: "NativeFirst",
				Source:     routing.PolicySource{Kind: routing.SourceGroup, Group: "field-staff", Rank: 1},
				Preference: routing.PreferNative, Dialer: routing.PreferNative, IPAudio: routing.AllNetworks, Fallback: true,
				Targets: []routing.Target{{Device: "carol-teams", Kind: routing.TeamsMobile, Why: routing.WhyFallback}},
				Skipped: []routing.Skip{{Device: "carol-native", Kind: routing.NativeDialer, Why: routing.WhyNotRegistered}}},
			want: []string{"granted to group field-staff (rank 1)", "fallback yes", "carol-teams", "carol-native  native-dialer  no     not registered"},
		},
		{
			name: "nobody can ring",
			dec:  routing.Decision{Number: "+14255550101", User: "adele", Policy: "Global", Source: routing.PolicySource{Kind: routing.SourceGlobal}},
			want: []string{"Global (no direct or group grant)", "no device can ring"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := Text(&b, NewView("", &tt.dec)); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestViewKeepsTheDialledNumberWhenUnknown(t *testing.T) {
	dec := routing.Decision{Status: 404, Reason: "Not a phone number", Code: routing.CodeNotFound}
	if v := NewView("garbage", &dec); v.Number != "garbage" || v.Refused == nil || v.Refused.Status != 404 {
		t.Fatalf("view = %+v", v)
	}
}
