package scenarios

import (
	"fmt"
	"testing"
)

func generated(users int) []byte {
	return []byte(fmt.Sprintf(`name: generated
tenant:
  domain: load.example
  devicePassword: pw
  operators:
    - id: op
      ocm: true
      serves: [US]
      enabled: {countries: [US], contact: {name: L, email: l@load.example, companySize: 1}, acceptDataTransfer: true}
  generate:
    users: %d
    numbers: {from: "+15550000000"}
    devices: [teams-mobile, native-dialer, teams-desktop]
    policyMix: {TeamsFirst: 0.7, NativeFirst: 0.3}
`, users))
}

// BenchmarkLoadGenerated100k loads a scenario generating 100,000 users with
// three devices and a number each.
func BenchmarkLoadGenerated100k(b *testing.B) {
	data := generated(100_000)
	for b.Loop() {
		f, err := Parse("gen.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, users, _ := f.Directory.Counts(); users != 100_000 {
			b.Fatal(users)
		}
	}
}
