package devices

import (
	"strings"
	"testing"

	"ocmsim/internal/psap"
)

func TestNewPSAPs(t *testing.T) {
	cases := []struct {
		name string
		list []psap.PSAP
		want string // error substring; "" for none
	}{
		{"two PSAPs", []psap.PSAP{{ID: "a", URI: "sip:psap-a@psap.example"}, {ID: "b", URI: "sip:psap-b@psap.example"}}, ""},
		{"same user part", []psap.PSAP{{ID: "a", URI: "sip:psap@x.example"}, {ID: "b", URI: "sip:psap@y.example"}}, `psaps a and b: both URIs have the user "psap"`},
		{"no user part", []psap.PSAP{{ID: "a", URI: "sip:psap.example"}}, "needs a user part"},
		{"not a URI", []psap.PSAP{{ID: "a", URI: "::"}}, "psap a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewPSAPs(tc.list, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := f.IDs(); len(got) != len(tc.list) {
					t.Errorf("IDs %v", got)
				}
				f.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
