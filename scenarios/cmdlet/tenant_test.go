package cmdlet

import (
	"testing"
	"time"

	"ocmsim/routing"
)

// clock is a settable test clock for the directory.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) Advance(d time.Duration) { c.now = c.now.Add(d) }

// mustDo fails the test on a set-up error.
func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newTenant returns a small tenant with the guide's users:
//   - user@xyz.onmicrosoft.com ("user"): licensed for OCM, no number;
//   - dave: a Direct Routing user synced from on-premises (OnPremLineURI,
//     DR number +14255550199, online voice routing policy "DR-US");
//   - bob: PhoneSystem licence only;
//   - alice: member of group "sales", which is granted SalesPolicy at rank 1.
//
// Numbers: OCM +14255550100 and +14255550101 (operator contoso, US), Calling
// Plan +14255550150, Operator Connect +14255550160 (operator contoso), DR
// +14255550199. Emergency address "hq" is validated.
func newTenant(t testing.TB) (*routing.Directory, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)}
	d := routing.NewDirectory("tenant-1", "xyz.onmicrosoft.com")
	d.Now = clk.Now
	ocm := []string{routing.LicensePhoneSystem, routing.LicenseOCM}
	mustDo(t, d.AddOperator(routing.Operator{ID: "contoso", Name: "Contoso Mobile", OCM: true,
		Serves: []string{"US"}, AddressMode: routing.AddressTenant}))
	mustDo(t, d.EnableOperator("contoso", routing.Enablement{Countries: []string{"US"},
		Contact: routing.Contact{Name: "Ada Admin", Email: "ada@xyz.onmicrosoft.com", CompanySize: 50}, AcceptDataTransfer: true}))
	mustDo(t, d.UploadNumbers("contoso", []routing.Upload{
		{Number: "+14255550100", Country: "US", SIM: true},
		{Number: "+14255550101", Country: "US", SIM: true},
	}))
	mustDo(t, d.AddNumber(routing.Number{E164: "+14255550150", Type: routing.CallingPlan, Country: "US"}))
	mustDo(t, d.AddNumber(routing.Number{E164: "+14255550160", Type: routing.OperatorConnect, Operator: "contoso", Country: "US"}))
	mustDo(t, d.AddNumber(routing.Number{E164: "+14255550199", Type: routing.DirectRouting, Source: "OnPremises"}))
	mustDo(t, d.AddEmergencyAddress(routing.EmergencyAddress{ID: "hq", Validated: true,
		Civic: routing.Civic{Country: "US", A1: "WA", A3: "Redmond", RD: "Microsoft Way", HNO: "1", PC: "98052"}}))
	mustDo(t, d.AddUser(routing.User{ID: "user", Licenses: ocm}))
	mustDo(t, d.AddUser(routing.User{ID: "dave", Licenses: ocm, OnPremLineURI: "tel:+14255550199",
		VoiceRoutingPolicy: "DR-US"}))
	mustDo(t, d.AssignNumber("+14255550199", "dave"))
	mustDo(t, d.AddUser(routing.User{ID: "bob", Licenses: []string{routing.LicensePhoneSystem}}))
	mustDo(t, d.AddUser(routing.User{ID: "alice", UPN: "alice@xyz.onmicrosoft.com", Licenses: ocm}))
	mustDo(t, d.NewMobilityPolicy(routing.MobilityPolicy{Identity: "SalesPolicy", Description: "Sales ring the native dialer",
		MobileDialerPreference: routing.PreferNative, IPAudioMobileMode: routing.WifiOnly}))
	mustDo(t, d.AddGroup(routing.Group{ID: "sales", Members: []string{"alice"}, MobilityPolicy: "SalesPolicy", Rank: 1}))
	return d, clk
}

// run parses and applies line, failing the test on any error.
func run(t testing.TB, d *routing.Directory, line string) string {
	t.Helper()
	c, err := Parse(line)
	if err != nil {
		t.Fatalf("Parse(%q): %v", line, err)
	}
	out, err := c.Apply(d)
	if err != nil {
		t.Fatalf("Apply(%q): %v", line, err)
	}
	return out
}
