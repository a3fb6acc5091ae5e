package routing_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"ocmsim/routing"

	"ocmsim/internal/fakeclock"
)

// The fixture tenant. Every test starts from newTenant and changes what it
// needs; nothing is shared between tests.
const (
	opFabrikam = "fabrikam"     // OCM, serves US and CA, enabled in both, operator-editable addresses
	opLocked   = "lockedmobile" // OCM, serves US, enabled, operator-locked addresses
	opTenant   = "tenantmobile" // OCM, serves US, enabled, tenant-assigned addresses
	opNorth    = "northwind"    // OCM, serves US and GB, not enabled
	opOldTel   = "oldtel"       // Operator Connect only (not OCM), holds grace's number

	numAlice  = "+14255550100" // OCM, fabrikam US, alice
	numBob    = "+14255550101" // OCM, fabrikam US, bob
	numFree   = "+14255550199" // OCM, fabrikam US, free
	numCA     = "+16135550100" // OCM, fabrikam CA, free
	numLocked = "+14255550200" // OCM, lockedmobile US, free
	numTenant = "+14255550300" // OCM, tenantmobile US, free
	numDave   = "+14255550150" // Direct Routing, on-premises, dave
	numErin   = "+14255550160" // Direct Routing, online, erin
	numFrank  = "+14255550170" // Calling Plan, frank
	numGrace  = "+14255550180" // Operator Connect (oldtel), grace
	numNobody = "+19995550000" // not in the tenant

	drPolicy = "DR-US" // online voice routing policy of the Direct Routing users
)

var (
	t0       = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	licOCM   = []string{routing.LicensePhoneSystem, routing.LicenseOCM}
	contact  = routing.Contact{Name: "Pat Admin", Email: "pat@contoso.com", CompanySize: 250, Phone: "+14255550999"}
	enableUS = routing.Enablement{Countries: []string{"US"}, Contact: contact, AcceptDataTransfer: true}
)

// clock is the tests' settable clock for Directory.Now.
type clock = fakeclock.Clock

// newTenant builds the fixture tenant with its clock at t0.
func newTenant(t testing.TB) (*routing.Directory, *clock) {
	t.Helper()
	d := routing.NewDirectory("contoso", "contoso.com")
	clk := fakeclock.New(t0)
	d.Now = clk.Now
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture: %s: %v", what, err)
		}
	}
	for _, o := range []routing.Operator{
		{ID: opFabrikam, Name: "Fabrikam Mobile", OCM: true, Serves: []string{"US", "CA"}},
		{ID: opLocked, Name: "Locked Mobile", OCM: true, Serves: []string{"US"}, AddressMode: routing.AddressOperatorLocked},
		{ID: opTenant, Name: "Tenant Mobile", OCM: true, Serves: []string{"US"}, AddressMode: routing.AddressTenant},
		{ID: opNorth, Name: "Northwind", OCM: true, Serves: []string{"US", "GB"}},
		{ID: opOldTel, Name: "Old Tel", Serves: []string{"US"}},
	} {
		must("AddOperator "+o.ID, d.AddOperator(o))
	}
	must("enable fabrikam", d.EnableOperator(opFabrikam, routing.Enablement{Countries: []string{"US", "CA"}, Contact: contact, AcceptDataTransfer: true}))
	must("enable locked", d.EnableOperator(opLocked, enableUS))
	must("enable tenant", d.EnableOperator(opTenant, enableUS))
	must("address hq", d.AddEmergencyAddress(routing.EmergencyAddress{ID: "hq", Validated: true,
		Civic: routing.Civic{Country: "US", A1: "WA", A3: "Redmond", RD: "Microsoft Way", HNO: "1", PC: "98052"}}))
	must("address draft", d.AddEmergencyAddress(routing.EmergencyAddress{ID: "draft", Civic: routing.Civic{Country: "US"}}))
	must("address hq2", d.AddEmergencyAddress(routing.EmergencyAddress{ID: "hq2", Validated: true, Civic: routing.Civic{Country: "US", A3: "Seattle"}}))
	must("upload fabrikam US", d.UploadNumbers(opFabrikam, []routing.Upload{
		{Number: numAlice, Country: "US", SIM: true, EmergencyAddress: "hq"},
		{Number: numBob, Country: "US", SIM: true},
		{Number: numFree, Country: "US", SIM: true},
		{Number: numCA, Country: "CA", SIM: true},
	}))
	must("upload locked", d.UploadNumbers(opLocked, []routing.Upload{{Number: numLocked, Country: "US", SIM: true, EmergencyAddress: "hq"}}))
	must("upload tenant", d.UploadNumbers(opTenant, []routing.Upload{{Number: numTenant, Country: "US", SIM: true}}))
	must("AddNumber dave", d.AddNumber(routing.Number{E164: numDave, Type: routing.DirectRouting, Country: "US", Source: "OnPremises"}))
	must("AddNumber erin", d.AddNumber(routing.Number{E164: numErin, Type: routing.DirectRouting, Country: "US"}))
	must("AddNumber frank", d.AddNumber(routing.Number{E164: numFrank, Type: routing.CallingPlan, Country: "US"}))
	must("AddNumber grace", d.AddNumber(routing.Number{E164: numGrace, Type: routing.OperatorConnect, Operator: opOldTel, Country: "US"}))

	for _, u := range []routing.User{
		{ID: "alice", Licenses: licOCM},
		{ID: "bob", UPN: "Bob@Contoso.com", Licenses: licOCM},
		{ID: "carol", Licenses: licOCM},
		{ID: "dave", Licenses: licOCM, OnPremLineURI: "tel:" + numDave, LineURI: "tel:" + numDave, VoiceRoutingPolicy: drPolicy},
		{ID: "erin", Licenses: licOCM, VoiceRoutingPolicy: drPolicy},
		{ID: "frank", Licenses: licOCM},
		{ID: "grace", Licenses: licOCM},
	} {
		must("AddUser "+u.ID, d.AddUser(u))
	}
	for _, dev := range []routing.Device{
		{ID: "alice-teams", User: "alice", Kind: routing.TeamsMobile, Phone: "alice-phone"},
		{ID: "alice-native", User: "alice", Kind: routing.NativeDialer, Phone: "alice-phone"},
		{ID: "alice-desktop", User: "alice", Kind: routing.TeamsDesktop},
		{ID: "alice-web", User: "alice", Kind: routing.TeamsWeb},
		{ID: "alice-deskphone", User: "alice", Kind: routing.TeamsPhone},
		{ID: "alice-tablet", User: "alice", Kind: routing.TeamsMobile}, // Teams app without a SIM phone
		// bob's native dialer comes first: the phone is handled once, wherever its apps sit.
		{ID: "bob-native", User: "bob", Kind: routing.NativeDialer, Phone: "bob-phone"},
		{ID: "bob-teams", User: "bob", Kind: routing.TeamsMobile, Phone: "bob-phone"},
	} {
		must("AddDevice "+dev.ID, d.AddDevice(dev))
	}
	for _, u := range []string{"carol", "dave", "erin", "frank", "grace"} {
		must("AddDevice "+u, d.AddDevice(routing.Device{ID: u + "-teams", User: u, Kind: routing.TeamsMobile, Phone: u + "-phone"}))
		must("AddDevice "+u, d.AddDevice(routing.Device{ID: u + "-native", User: u, Kind: routing.NativeDialer, Phone: u + "-phone"}))
	}
	must("assign alice", d.AssignNumber(numAlice, "alice"))
	must("assign bob", d.AssignNumber(numBob, "bob@contoso.com"))
	must("assign dave", d.AssignNumber(numDave, "dave"))
	must("assign erin", d.AssignNumber(numErin, "erin"))
	must("assign frank", d.AssignNumber(numFrank, "frank"))
	must("assign grace", d.AssignNumber(numGrace, "grace"))

	for _, p := range []routing.MobilityPolicy{
		{Identity: "TeamsFirst", MobileDialerPreference: routing.PreferTeams},
		{Identity: "NativeFirst", MobileDialerPreference: routing.PreferNative},
		{Identity: "Override", MobileDialerPreference: routing.PreferUserOverride},
		{Identity: "WifiTeams", MobileDialerPreference: routing.PreferTeams, IPAudioMobileMode: routing.WifiOnly},
		{Identity: "WifiNative", MobileDialerPreference: routing.PreferNative, IPAudioMobileMode: routing.WifiOnly},
	} {
		must("NewMobilityPolicy "+p.Identity, d.NewMobilityPolicy(p))
	}
	must("group sales", d.AddGroup(routing.Group{ID: "sales", Members: []string{"alice", "bob"}}))
	must("group everyone", d.AddGroup(routing.Group{ID: "everyone", Members: []string{"alice", "bob", "carol"}}))
	return d, clk
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantErr checks err's code, and that its object and message name every
// string in names.
func wantErr(t testing.TB, err error, code routing.Code, names ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := routing.ErrorCode(err); got != code {
		t.Fatalf("code = %q, want %q (error: %v)", got, code, err)
	}
	re, ok := err.(*routing.Error)
	if !ok {
		t.Fatalf("error is %T, want *routing.Error", err)
	}
	if re.Object == "" || !strings.Contains(re.Message, re.Object) {
		t.Errorf("message %q does not name its object %q", re.Message, re.Object)
	}
	for _, n := range names {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not name %q", err, n)
		}
	}
}

// unchanged runs act and fails if the tenant changed.
func unchanged(t testing.TB, d *routing.Directory, act func() error) error {
	t.Helper()
	before := d.Snapshot()
	err := act()
	if after := d.Snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("a refused action changed the tenant:%s", snapshotDiff(before, after))
	}
	return err
}

// snapshotDiff lists the fields of two snapshots that differ.
func snapshotDiff(a, b routing.Snapshot) string {
	var out strings.Builder
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		if reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			continue
		}
		if fa.Kind() != reflect.Slice {
			fmt.Fprintf(&out, "\n%s: %v → %v", va.Type().Field(i).Name, fa.Interface(), fb.Interface())
			continue
		}
		for j := range max(fa.Len(), fb.Len()) {
			var ea, eb any
			if j < fa.Len() {
				ea = fa.Index(j).Interface()
			}
			if j < fb.Len() {
				eb = fb.Index(j).Interface()
			}
			if !reflect.DeepEqual(ea, eb) {
				fmt.Fprintf(&out, "\n%s[%d]:\n  before %+v\n  after  %+v", va.Type().Field(i).Name, j, ea, eb)
			}
		}
	}
	return out.String()
}

// reachMap is a Reachability: every device is registered on Wi-Fi unless
// the map says otherwise.
type reachMap map[string]routing.Reach

func (m reachMap) Reach(dev string) routing.Reach {
	if r, ok := m[dev]; ok {
		return r
	}
	return routing.Reach{Registered: true, Network: routing.Wifi}
}

var (
	offline  = routing.Reach{}
	cellular = routing.Reach{Registered: true, Network: routing.Cellular}
	wifi     = routing.Reach{Registered: true, Network: routing.Wifi}
)

// checkDecision holds the invariants of every decision: a refusal rings
// nothing; otherwise each device of the user is either rung or skipped, once;
// the two apps of one phone never ring together; Fallback is set exactly when
// a target rings as a fallback; a target's Fallback names the other app of
// its phone.
func checkDecision(t testing.TB, d *routing.Directory, dec routing.Decision) {
	t.Helper()
	if dec.Refused() {
		if len(dec.Targets) != 0 || len(dec.Skipped) != 0 {
			t.Errorf("refusal %d %s rings %v, skips %v", dec.Status, dec.Code, dec.Targets, dec.Skipped)
		}
		if dec.Code == "" || dec.Reason == "" {
			t.Errorf("refusal %d without code or reason: %+v", dec.Status, dec)
		}
		return
	}
	u, ok := d.User(dec.User)
	if !ok {
		t.Fatalf("decision names unknown user %q", dec.User)
	}
	seen := map[string]int{}
	phones := map[string]string{} // phone → the app that rings
	fallback := false
	for _, tg := range dec.Targets {
		seen[tg.Device]++
		dev, ok := d.Device(tg.Device)
		if !ok {
			t.Fatalf("target %q is not a device", tg.Device)
		}
		if dev.Kind != tg.Kind {
			t.Errorf("target %s kind %s, device kind %s", tg.Device, tg.Kind, dev.Kind)
		}
		if (dev.Kind == routing.TeamsMobile || dev.Kind == routing.NativeDialer) && dev.Phone != "" {
			if other, dup := phones[dev.Phone]; dup {
				t.Errorf("both apps of phone %s ring: %s and %s", dev.Phone, other, dev.ID)
			}
			phones[dev.Phone] = dev.ID
		}
		if tg.Why == routing.WhyFallback {
			fallback = true
		}
		if tg.Fallback != "" {
			fb, ok := d.Device(tg.Fallback)
			if !ok || fb.Phone != dev.Phone || fb.Kind == dev.Kind || fb.User != dev.User {
				t.Errorf("target %s names fallback %s, not the other app of its phone", tg.Device, tg.Fallback)
			}
		}
	}
	for _, s := range dec.Skipped {
		seen[s.Device]++
		if s.Why < routing.WhyOtherApp {
			t.Errorf("skipped %s with a reason to ring: %s", s.Device, s.Why.Code())
		}
	}
	if fallback != dec.Fallback {
		t.Errorf("Decision.Fallback = %v, a fallback target rings: %v", dec.Fallback, fallback)
	}
	for _, id := range u.Devices {
		if seen[id] != 1 {
			t.Errorf("device %s appears %d times in targets+skipped", id, seen[id])
		}
		delete(seen, id)
	}
	for id := range seen {
		t.Errorf("device %s is not one of user %s's devices", id, u.ID)
	}
}
