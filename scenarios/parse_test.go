package scenarios

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ocmsim/routing"
)

// TestContractExample loads the example of spec/scenario-format.md, copied
// verbatim into testdata/good/contract.yaml.
func TestContractExample(t *testing.T) {
	if spec, err := os.ReadFile("../../shared/spec/scenario-format.md"); err == nil {
		copy, _ := os.ReadFile("testdata/good/contract.yaml")
		if !bytes.Contains(spec, copy) {
			t.Error("testdata/good/contract.yaml is no longer the contract's example verbatim")
		}
	}
	f, err := Load("testdata/good/contract.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Steps) != 7 {
		t.Fatalf("%d steps", len(f.Steps))
	}
	call := f.Steps[0].Action.(*CallStep)
	if call.ID != "c1" || call.To != "+14255550100" || f.Steps[0].Line != 64 {
		t.Errorf("step 0 = %+v at line %d", call, f.Steps[0].Line)
	}
	e := f.Steps[0].Expect
	if !e.HasRinging || len(e.Ringing) != 2 || e.Within != 200*time.Millisecond || e.NotRinging[0] != "alice-iphone-teams" {
		t.Errorf("expect = %+v", e)
	}
	w := f.Steps[1].Expect
	if w.AnsweredBy != "alice-laptop" || w.Cancelled.Reason != "Call completed elsewhere" || *w.Media.MaxLoss != 0.01 {
		t.Errorf("wait expect = %+v", w)
	}
	if a := f.Steps[3].Action.(*AdminStep); a.Op != "release" || f.Steps[3].ExpectError != routing.CodeNumberAssigned {
		t.Errorf("admin = %+v", a)
	}
	if o := f.Steps[5].ExpectOutput; o == nil || o.Contains[0] != "Global" {
		t.Errorf("expectOutput = %+v", o)
	}
	if em := f.Steps[6].Expect; em.PSAP != "psap-king" || em.Location.Method != "Cell" || em.Location.Radius != 800 || em.Callback != "+14255550100" {
		t.Errorf("emergency expect = %+v", em)
	}
	laptop := f.Devices.For("alice-laptop")
	if laptop.Answer.Never || laptop.Answer.After != 300*time.Millisecond || laptop.RingAfter != 20*time.Millisecond || !laptop.Register {
		t.Errorf("alice-laptop = %+v", laptop)
	}
	if b := f.Devices.For("g000001-1"); !b.Answer.Never {
		t.Errorf("generated device = %+v", b)
	}
	_, _, users, devices := f.Directory.Counts()
	if users != 10001 || devices != 30003 {
		t.Errorf("users, devices = %d, %d", users, devices)
	}
	if f.Load == nil || f.Load.Start != 10 || f.Load.Target != 200 || f.Load.RampUp != 30*time.Second || len(f.Load.Mix) != 3 {
		t.Errorf("load = %+v", f.Load)
	}
	th := f.Load.Thresholds
	if len(th) != 2 || th[0].Stat != "p95" || th[0].Metric != "pdd" || th[0].Duration() != 50*time.Millisecond ||
		th[1].Metric != "failed" || th[1].Unit != UnitRatio || th[1].Value != 0.001 {
		t.Errorf("thresholds = %+v", th)
	}
	dec := f.Directory.Route(routing.Call{To: "+14255550100"}, nil)
	if dec.Policy != "NativeFirst" || len(dec.Targets) != 2 {
		t.Errorf("route = %+v", dec)
	}
}

// TestBenchTenant loads the output of gen-ocmsim-tenant.py 100 3 s3cret.
func TestBenchTenant(t *testing.T) {
	f, err := Load("testdata/good/bench-100x3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, numbers, users, devices := f.Directory.Counts()
	if numbers != 100 || users != 100 || devices != 300 {
		t.Errorf("numbers, users, devices = %d, %d, %d", numbers, users, devices)
	}
	if !f.Devices.For("u1000-1").RealSoftphone {
		t.Error("devices are not real softphones")
	}
	dev, _ := f.Directory.Device("u1099-3")
	if dev.Password != "s3cret" || dev.Username != "u1099-3" || dev.Kind != routing.TeamsWeb {
		t.Errorf("device = %+v", dev)
	}
	dec := f.Directory.Route(routing.Call{To: "+15550001042"}, nil)
	if len(dec.Targets) != 3 {
		t.Errorf("targets = %+v", dec.Targets)
	}
}

func TestTenantInclude(t *testing.T) {
	f, err := Load("testdata/good/demo-native-first.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if f.TenantPath != filepath.Join("testdata", "demo", "tenant.yaml") && f.TenantPath != "demo/tenant.yaml" {
		// the path is joined relative to the scenario
		if filepath.Base(f.TenantPath) != "tenant.yaml" {
			t.Errorf("TenantPath = %q", f.TenantPath)
		}
	}
	if f.Tenant.File != f.TenantPath {
		t.Errorf("Tenant.File = %q", f.Tenant.File)
	}
	// errors inside an included tenant name the tenant file
	files := map[string][]byte{
		"s/scenario.yaml": []byte("name: x\ntenant: t/tenant.yaml\n"),
		"s/t/tenant.yaml": []byte("domain: x.example\nusers:\n  - {id: a, number: \"+14255550100\"}\n"),
	}
	read := func(name string) ([]byte, error) {
		if b, ok := files[filepath.ToSlash(name)]; ok {
			return b, nil
		}
		return nil, os.ErrNotExist
	}
	_, err = Parse("s/scenario.yaml", files["s/scenario.yaml"], WithReadFile(read))
	want := "s/t/tenant.yaml:3:13: not-found: number +14255550100: no such number"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestErrorList(t *testing.T) {
	_, err := Parse("x.yaml", []byte("domain: x.example\nusers: [{id: a, licenses: [PhoneSystem], number: \"+14255550100\"}]\n"))
	var re *routing.Error
	if !errors.As(err, &re) || re.Code != routing.CodeNotFound {
		t.Fatalf("errors.As(%v) = %v", err, re)
	}
	if codes := Errors(err).Codes(); len(codes) != 1 || codes[0] != routing.CodeNotFound {
		t.Errorf("Codes = %v", codes)
	}
}

func TestWithoutBuild(t *testing.T) {
	f, err := Load("testdata/bad/rule-license.yaml", WithoutBuild())
	if f.Directory != nil || len(Errors(err)) != 1 {
		t.Errorf("directory %v, err %v", f.Directory, err)
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ word, want string }{
		{"ringin", "ringing"}, {"ringnig", "ringing"}, {"Ringing", "ringing"}, {"answredBy", "answeredBy"},
		{"xyzzy", ""}, {"notringing", "notRinging"}, {"", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.word, expectKeys); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestThresholds(t *testing.T) {
	tests := []struct {
		text         string
		stat, metric string
		op           string
		value        float64
		unit         Unit
	}{
		{"p95(pdd) < 50ms", "p95", "pdd", "<", 0.05, UnitDuration},
		{"p95_pdd < 50ms", "p95", "pdd", "<", 0.05, UnitDuration},
		{"P99(setup)<=1s", "p99", "setup", "<=", 1, UnitDuration},
		{"failed < 0.1%", "", "failed", "<", 0.001, UnitRatio},
		{"failed == 0", "", "failed", "==", 0, UnitCount},
		{"rate >= 200/s", "", "rate", ">=", 200, UnitRate},
		{"rate >= 600/m", "", "rate", ">=", 10, UnitRate},
		{"rate > 150", "", "rate", ">", 150, UnitRate},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var errs ErrorList
			d := newDecoder("t", &errs)
			got, ok := d.parseThreshold(scalar(tt.text))
			if !ok || len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if got.Stat != tt.stat || got.Metric != tt.metric || got.Op != tt.op || got.Unit != tt.unit ||
				got.Value < tt.value-1e-12 || got.Value > tt.value+1e-12 {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	src := `domain: gen.example
devicePassword: pw
operators:
  - {id: op, ocm: true, serves: [US], enabled: {countries: [US], contact: {name: A, email: a@gen.example, companySize: 1}, acceptDataTransfer: true}}
generate:
  users: 10
  numbers: {from: "+14255569995"}
  devices: [teams-mobile, native-dialer, teams-desktop, teams-mobile]
  policyMix: {TeamsFirst: 0.7, NativeFirst: 0.3}
`
	f, err := Parse("gen.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	g := f.Tenant.Generate
	if g.UserID(1) != "g000001" || g.DeviceID(10, 4) != "g000010-4" || g.Number(10) != "+14255570004" {
		t.Errorf("ids %s %s %s", g.UserID(1), g.DeviceID(10, 4), g.Number(10))
	}
	d := f.Directory
	u, _ := d.User("g000010")
	if u.Number != "+14255570004" || u.UPN != "g000010@gen.example" || len(u.Devices) != 4 {
		t.Errorf("user = %+v", u)
	}
	phone := func(id string) string { dev, _ := d.Device(id); return dev.Phone }
	if phone("g000003-1") != "g000003-phone" || phone("g000003-2") != "g000003-phone" || phone("g000003-4") != "" {
		t.Error("phones", phone("g000003-1"), phone("g000003-2"), phone("g000003-4"))
	}
	if dev, _ := d.Device("g000003-3"); dev.Password != "pw" {
		t.Errorf("password = %q", dev.Password)
	}
	count := map[string]int{}
	for i := 1; i <= 10; i++ {
		p, _, _ := d.EffectivePolicy(g.UserID(i))
		count[p.Identity]++
	}
	if count["TeamsFirst"] != 7 || count["NativeFirst"] != 3 {
		t.Errorf("policy counts = %v", count)
	}
	if p, _ := d.MobilityPolicy("NativeFirst"); p.MobileDialerPreference != routing.PreferNative {
		t.Errorf("NativeFirst = %+v", p)
	}
}

func TestAdminApply(t *testing.T) {
	f, err := LoadDemo()
	if err != nil {
		t.Fatal(err)
	}
	src := `name: admin
tenant: demo/tenant.yaml
steps:
  - admin: {unassign: "+14255550101"}
  - admin: {assign: "+14255550101", to: henry}
  - admin: {completePort: "+14255550150"}
  - admin: {grant: null, to: alice}
`
	read := func(string) ([]byte, error) { return DemoTenant, nil }
	s, err := Parse("admin.yaml", []byte(src), WithReadFile(read))
	if err != nil {
		t.Fatal(err)
	}
	want := []routing.Code{"", routing.CodeLicenseMissing, "", ""}
	for i, st := range s.Steps {
		err := st.Action.(*AdminStep).Apply(f.Directory)
		if routing.ErrorCode(err) != want[i] {
			t.Errorf("step %d: %v, want %s", i, err, want[i])
		}
	}
	if n, _ := f.Directory.Number("+14255550150"); n.Port != nil || n.Operator != "fabrikam-mobile" || n.Country != "US" {
		t.Errorf("ported number = %+v", n)
	}
	if p, _, _ := f.Directory.EffectivePolicy("alice"); p.Identity != "Global" {
		t.Errorf("alice policy = %s", p.Identity)
	}
}
