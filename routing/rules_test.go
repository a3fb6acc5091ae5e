package routing_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"ocmsim/routing"
)

// TestRules breaks every rule of PRODUCT.md §1 once: the action is refused
// with the rule's code, the error names the object, and nothing changes.
// Calls that break a rule are refused with the rule's SIP status and code.
func TestRules(t *testing.T) {
	type rule struct {
		name  string
		setup func(t *testing.T, d *routing.Directory, clk *clock) // must succeed
		act   func(d *routing.Directory) error
		call  string // instead of act: route an inbound call to this number
		code  routing.Code
		names []string // the error (or the decision's number) names these
		// status is the SIP status of a refused call.
		status int
	}
	noName := routing.Contact{Email: "pat@contoso.com", CompanySize: 10}
	noEmail := routing.Contact{Name: "Pat", Email: "pat", CompanySize: 10}
	noSize := routing.Contact{Name: "Pat", Email: "pat@contoso.com"}
	enable := func(id string, countries []string, c routing.Contact, accept bool) func(d *routing.Directory) error {
		return func(d *routing.Directory) error {
			return d.EnableOperator(id, routing.Enablement{Countries: countries, Contact: c, AcceptDataTransfer: accept})
		}
	}
	assign := func(number, user string) func(d *routing.Directory) error {
		return func(d *routing.Directory) error { return d.AssignNumber(number, user) }
	}
	licences := func(user string, l ...string) func(*testing.T, *routing.Directory, *clock) {
		return func(t *testing.T, d *routing.Directory, _ *clock) { must(t, d.SetLicenses(user, l)) }
	}
	startPort := func(number string, from routing.NumberType) func(d *routing.Directory) error {
		return func(d *routing.Directory) error { return d.StartPort(number, from) }
	}
	clearDave := func(after time.Duration) func(*testing.T, *routing.Directory, *clock) {
		return func(t *testing.T, d *routing.Directory, clk *clock) {
			must(t, d.ClearLineURI("dave"))
			clk.Advance(after)
		}
	}
	// daveFree gives dave's DR number back to the tenant pool so that dave
	// can be assigned another number: what is left is his on-premises state.
	daveFree := func(t *testing.T, d *routing.Directory) { must(t, d.UnassignNumber(numDave)) }

	rules := []rule{
		{name: "operator-not-ocm", act: enable(opOldTel, []string{"US"}, contact, true),
			code: routing.CodeOperatorNotOCM, names: []string{"operator " + opOldTel}},
		{name: "country-not-served", act: enable(opNorth, []string{"US", "FR"}, contact, true),
			code: routing.CodeCountryNotServed, names: []string{"operator " + opNorth, "FR"}},
		{name: "country-not-served/none chosen", act: enable(opNorth, nil, contact, true),
			code: routing.CodeCountryNotServed, names: []string{"operator " + opNorth}},
		{name: "country-not-served/adding a country", act: enable(opFabrikam, []string{"GB"}, contact, true),
			code: routing.CodeCountryNotServed, names: []string{"operator " + opFabrikam, "GB"}},
		{name: "contact-incomplete/name", act: enable(opNorth, []string{"US"}, noName, true),
			code: routing.CodeContactIncomplete, names: []string{"operator " + opNorth, "full name"}},
		{name: "contact-incomplete/email", act: enable(opNorth, []string{"US"}, noEmail, true),
			code: routing.CodeContactIncomplete, names: []string{"operator " + opNorth, "email"}},
		{name: "contact-incomplete/company size", act: enable(opNorth, []string{"US"}, noSize, true),
			code: routing.CodeContactIncomplete, names: []string{"operator " + opNorth, "company size"}},
		{name: "contact-incomplete/all", act: enable(opNorth, []string{"US"}, routing.Contact{Phone: "+14255550999"}, true),
			code: routing.CodeContactIncomplete, names: []string{"full name", "email", "company size"}},
		{name: "data-transfer-not-accepted", act: enable(opNorth, []string{"US"}, contact, false),
			code: routing.CodeDataTransferNotAccepted, names: []string{"operator " + opNorth, "data transfer"}},

		{name: "license-missing/PhoneSystem", setup: licences("carol", routing.LicenseOCM), act: assign(numFree, "carol"),
			code: routing.CodeLicenseMissing, names: []string{"user carol", routing.LicensePhoneSystem, numFree}},
		{name: "license-missing/OCM add-on", setup: licences("carol", routing.LicensePhoneSystem), act: assign(numFree, "carol"),
			code: routing.CodeLicenseMissing, names: []string{"user carol", routing.LicenseOCM}},
		{name: "license-missing/none", setup: licences("carol"), act: assign(numFree, "carol"),
			code: routing.CodeLicenseMissing, names: []string{routing.LicensePhoneSystem, routing.LicenseOCM}},
		{name: "not-teams-only/user Islands in a TeamsOnly org",
			setup: func(t *testing.T, d *routing.Directory, _ *clock) {
				must(t, d.SetUserCoexistence("carol", routing.Islands))
			},
			act: assign(numFree, "carol"), code: routing.CodeNotTeamsOnly, names: []string{"user carol", routing.Islands}},
		{name: "not-teams-only/org Islands, user has no mode",
			setup: func(t *testing.T, d *routing.Directory, _ *clock) { must(t, d.SetCoexistence(routing.Islands)) },
			act:   assign(numFree, "carol"), code: routing.CodeNotTeamsOnly, names: []string{"user carol", routing.Islands}},
		{name: "number-assigned/assign", act: assign(numAlice, "carol"),
			code: routing.CodeNumberAssigned, names: []string{"number " + numAlice, "alice"}},
		{name: "number-assigned/release", act: func(d *routing.Directory) error { return d.ReleaseNumber(numAlice) },
			code: routing.CodeNumberAssigned, names: []string{"number " + numAlice, "alice", "Remove user"}},
		{name: "user-has-number", act: assign(numFree, "alice"),
			code: routing.CodeUserHasNumber, names: []string{"user alice", numAlice}},
		{name: "operator-has-numbers/whole operator", act: func(d *routing.Directory) error { return d.RemoveOperator(opFabrikam, "") },
			code: routing.CodeOperatorHasNumbers, names: []string{"operator " + opFabrikam, numAlice}},
		{name: "operator-has-numbers/one country, free number not released",
			act:  func(d *routing.Directory) error { return d.RemoveOperator(opFabrikam, "CA") },
			code: routing.CodeOperatorHasNumbers, names: []string{"operator " + opFabrikam, "CA", numCA}},
		{name: "operator-has-numbers/whole operator, only unassigned numbers left",
			setup: func(t *testing.T, d *routing.Directory, _ *clock) {
				must(t, d.UnassignNumber(numAlice))
				must(t, d.UnassignNumber(numBob))
			},
			act:  func(d *routing.Directory) error { return d.RemoveOperator(opFabrikam, "") },
			code: routing.CodeOperatorHasNumbers, names: []string{"operator " + opFabrikam}},
		{name: "operator-suspended/whole operator",
			setup: func(t *testing.T, d *routing.Directory, _ *clock) { must(t, d.SuspendOperator(opFabrikam, "")) },
			call:  numAlice, status: 403, code: routing.CodeOperatorSuspended, names: []string{numAlice}},
		{name: "operator-suspended/one country",
			setup: func(t *testing.T, d *routing.Directory, _ *clock) {
				must(t, d.SuspendOperator(opFabrikam, "US"))
			},
			call: numBob, status: 403, code: routing.CodeOperatorSuspended, names: []string{numBob}},
		{name: "emergency-address-locked", act: func(d *routing.Directory) error { return d.SetEmergencyAddress(numLocked, "hq2", false) },
			code: routing.CodeEmergencyAddressLocked, names: []string{"number " + numLocked, opLocked, "contact your operator"}},
		{name: "emergency-address-locked/removal", act: func(d *routing.Directory) error { return d.SetEmergencyAddress(numLocked, "", false) },
			code: routing.CodeEmergencyAddressLocked, names: []string{"number " + numLocked}},
		{name: "number-in-use/Calling Plan still assigned", act: startPort(numFrank, routing.CallingPlan),
			code: routing.CodeNumberInUse, names: []string{"number " + numFrank, "frank"}},
		{name: "number-in-use/Operator Connect not released", act: startPort(numGrace, routing.OperatorConnect),
			code: routing.CodeNumberInUse, names: []string{"number " + numGrace, "release"}},
		{name: "number-in-use/Operator Connect unassigned, not released",
			setup: func(t *testing.T, d *routing.Directory, _ *clock) { must(t, d.UnassignNumber(numGrace)) },
			act:   startPort(numGrace, routing.OperatorConnect), code: routing.CodeNumberInUse, names: []string{"number " + numGrace}},
		{name: "number-in-use/upload of a number already in the tenant",
			act: func(d *routing.Directory) error {
				return d.UploadNumbers(opFabrikam, []routing.Upload{{Number: "+14255550198", Country: "US"}, {Number: numFrank, Country: "US"}})
			},
			code: routing.CodeNumberInUse, names: []string{"number " + numFrank, "CallingPlan", "frank"}},
		{name: "number-in-use/upload of a free OCM number again",
			act: func(d *routing.Directory) error {
				return d.UploadNumbers(opFabrikam, []routing.Upload{{Number: numFree, Country: "US"}})
			},
			code: routing.CodeNumberInUse, names: []string{"number " + numFree}},
		{name: "onprem-lineuri-set/port", act: startPort(numDave, routing.DirectRouting),
			code: routing.CodeOnPremLineURISet, names: []string{"number " + numDave, "dave", "-LineURI $null"}},
		{name: "onprem-lineuri-set/assign",
			setup: func(t *testing.T, d *routing.Directory, _ *clock) { daveFree(t, d) },
			act:   assign(numFree, "dave"), code: routing.CodeOnPremLineURISet, names: []string{"user dave", "-LineURI $null"}},
		{name: "sync-pending/port", setup: clearDave(9 * time.Minute), act: startPort(numDave, routing.DirectRouting),
			code: routing.CodeSyncPending, names: []string{"number " + numDave, "dave"}},
		{name: "sync-pending/assign",
			setup: func(t *testing.T, d *routing.Directory, clk *clock) {
				daveFree(t, d)
				clearDave(time.Minute)(t, d, clk)
			},
			act: assign(numFree, "dave"), code: routing.CodeSyncPending, names: []string{"user dave"}},
		{name: "sync-pending/configured delay",
			setup: func(t *testing.T, d *routing.Directory, clk *clock) {
				d.SyncDelay = 24 * time.Hour
				clearDave(23*time.Hour)(t, d, clk)
			},
			act: startPort(numDave, routing.DirectRouting), code: routing.CodeSyncPending, names: []string{"number " + numDave}},
		{name: "voice-routing-policy-assigned", setup: func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.UnassignNumber(numErin))
		}, act: assign(numFree, "erin"), code: routing.CodeVoiceRoutingPolicyAssigned, names: []string{"user erin", drPolicy, "$Null"}},
		{name: "voice-routing-policy-assigned/after on-premises sync",
			setup: func(t *testing.T, d *routing.Directory, clk *clock) {
				daveFree(t, d)
				clearDave(routing.DefaultSyncDelay)(t, d, clk)
			},
			act: assign(numFree, "dave"), code: routing.CodeVoiceRoutingPolicyAssigned, names: []string{"user dave", drPolicy}},
		{name: "number-porting/assign", setup: func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.UnassignNumber(numFrank))
			must(t, d.StartPort(numFrank, routing.CallingPlan))
		}, act: assign(numFrank, "carol"), code: routing.CodeNumberPorting, names: []string{"number " + numFrank, "CallingPlan"}},
		{name: "number-porting/release", setup: func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.UnassignNumber(numFrank))
			must(t, d.StartPort(numFrank, routing.CallingPlan))
		}, act: func(d *routing.Directory) error { return d.ReleaseNumber(numFrank) }, code: routing.CodeNumberPorting, names: []string{"number " + numFrank}},
		{name: "number-porting/port twice", setup: func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.StartPort(numErin, routing.DirectRouting))
		}, act: startPort(numErin, routing.DirectRouting), code: routing.CodeNumberPorting, names: []string{"number " + numErin}},
		{name: "number-porting/call", setup: func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.StartPort(numErin, routing.DirectRouting))
		}, call: numErin, status: 480, code: routing.CodeNumberPorting, names: []string{numErin}},

		{name: "not-found/number", act: assign(numNobody, "carol"), code: routing.CodeNotFound, names: []string{"number " + numNobody}},
		{name: "not-found/number release", act: func(d *routing.Directory) error { return d.ReleaseNumber("tel:+1-999-555-0000") },
			code: routing.CodeNotFound, names: []string{"number " + numNobody}},
		{name: "not-found/user", act: assign(numFree, "nobody"), code: routing.CodeNotFound, names: []string{"user nobody"}},
		{name: "not-found/user of a device", act: func(d *routing.Directory) error {
			return d.AddDevice(routing.Device{ID: "x", User: "nobody", Kind: routing.TeamsDesktop})
		}, code: routing.CodeNotFound, names: []string{"user nobody"}},
		{name: "not-found/operator", act: enable("nope", []string{"US"}, contact, true), code: routing.CodeNotFound, names: []string{"operator nope"}},
		{name: "not-found/operator of an upload", act: func(d *routing.Directory) error {
			return d.UploadNumbers("nope", []routing.Upload{{Number: "+14255550198", Country: "US"}})
		}, code: routing.CodeNotFound, names: []string{"operator nope"}},
		{name: "not-found/policy", act: func(d *routing.Directory) error { return d.GrantMobilityPolicy("alice", "NoSuchPolicy") },
			code: routing.CodeNotFound, names: []string{"mobility policy NoSuchPolicy"}},
		{name: "not-found/policy remove", act: func(d *routing.Directory) error { return d.RemoveMobilityPolicy("NoSuchPolicy") },
			code: routing.CodeNotFound, names: []string{"mobility policy NoSuchPolicy"}},
		{name: "not-found/address", act: func(d *routing.Directory) error { return d.SetEmergencyAddress(numTenant, "nowhere", false) },
			code: routing.CodeNotFound, names: []string{"emergency address nowhere"}},
		{name: "not-found/address of an upload", act: func(d *routing.Directory) error {
			return d.UploadNumbers(opFabrikam, []routing.Upload{{Number: "+14255550198", Country: "US", EmergencyAddress: "nowhere"}})
		}, code: routing.CodeNotFound, names: []string{"emergency address nowhere"}},
		{name: "not-found/group", act: func(d *routing.Directory) error { return d.GrantGroupMobilityPolicy("nogroup", "NativeFirst", 1) },
			code: routing.CodeNotFound, names: []string{"group nogroup"}},
		{name: "not-found/call to an unknown number", call: numNobody, status: 404, code: routing.CodeNotFound, names: []string{numNobody}},

		// Bad input the guide does not name.
		{name: "number-unassigned/call", setup: func(t *testing.T, d *routing.Directory, _ *clock) {}, call: numFree, status: 404,
			code: routing.CodeNumberUnassigned, names: []string{numFree}},
		{name: "operator-not-enabled/upload", act: func(d *routing.Directory) error {
			return d.UploadNumbers(opFabrikam, []routing.Upload{{Number: "+442079460000", Country: "GB"}})
		}, code: routing.CodeOperatorNotEnabled, names: []string{"number +442079460000", opFabrikam}},
		{name: "number-not-assigned/unassign", act: func(d *routing.Directory) error { return d.UnassignNumber(numFree) },
			code: routing.CodeNumberNotAssigned, names: []string{"number " + numFree}},
		{name: "address-not-validated", act: func(d *routing.Directory) error { return d.SetEmergencyAddress(numTenant, "draft", false) },
			code: routing.CodeAddressNotValidated, names: []string{"number " + numTenant, "draft"}},
		{name: "already-exists/upload twice in one batch", act: func(d *routing.Directory) error {
			return d.UploadNumbers(opFabrikam, []routing.Upload{{Number: "+14255550198", Country: "US"}, {Number: "tel:+1-425-555-0198", Country: "US"}})
		}, code: routing.CodeExists, names: []string{"number +14255550198"}},
		{name: "already-exists/user", act: func(d *routing.Directory) error { return d.AddUser(routing.User{ID: "alice"}) },
			code: routing.CodeExists, names: []string{"user alice"}},
		{name: "already-exists/UPN", act: func(d *routing.Directory) error {
			return d.AddUser(routing.User{ID: "bob2", UPN: "BOB@contoso.com"})
		}, code: routing.CodeExists, names: []string{"user bob2"}},
		{name: "already-exists/policy", act: func(d *routing.Directory) error {
			return d.NewMobilityPolicy(routing.MobilityPolicy{Identity: "Tag:nativefirst"})
		}, code: routing.CodeExists, names: []string{"nativefirst"}},
		{name: "invalid/second Teams app on a phone", act: func(d *routing.Directory) error {
			return d.AddDevice(routing.Device{ID: "alice-teams2", User: "alice", Kind: routing.TeamsMobile, Phone: "alice-phone"})
		}, code: routing.CodeInvalid, names: []string{"device alice-teams2", "alice-phone"}},
		{name: "invalid/device kind", act: func(d *routing.Directory) error {
			return d.AddDevice(routing.Device{ID: "alice-fax", User: "alice", Kind: "fax"})
		}, code: routing.CodeInvalid, names: []string{"device alice-fax", "fax"}},
		{name: "invalid/unanswered delay", act: func(d *routing.Directory) error {
			return d.SetCallSettings("alice", routing.CallSettings{UnansweredTarget: routing.TargetVoicemail, UnansweredDelay: 25 * time.Second})
		}, code: routing.CodeInvalid, names: []string{"user alice", "25s"}},
		{name: "invalid/dialer choice", act: func(d *routing.Directory) error { return d.SetDialerChoice("alice", "Pager") },
			code: routing.CodeInvalid, names: []string{"Pager"}},
		{name: "invalid/policy preference", act: func(d *routing.Directory) error {
			p := routing.Preference("Pager")
			return d.SetMobilityPolicy("NativeFirst", routing.PolicyChange{MobileDialerPreference: &p})
		}, code: routing.CodeInvalid, names: []string{"mobility policy NativeFirst"}},
		{name: "invalid/group rank taken", setup: func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.GrantGroupMobilityPolicy("sales", "NativeFirst", 1))
		}, act: func(d *routing.Directory) error { return d.GrantGroupMobilityPolicy("everyone", "TeamsFirst", 1) },
			code: routing.CodeInvalid, names: []string{"group everyone", "sales"}},
		{name: "invalid/port source", act: startPort(numFrank, routing.DirectRouting),
			code: routing.CodeInvalid, names: []string{"number " + numFrank}},
		{name: "operator-not-enabled/suspend", act: func(d *routing.Directory) error { return d.SuspendOperator(opNorth, "") },
			code: routing.CodeOperatorNotEnabled, names: []string{"operator " + opNorth}},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			d, clk := newTenant(t)
			if r.setup != nil {
				r.setup(t, d, clk)
			}
			if r.call != "" {
				var dec routing.Decision
				_ = unchanged(t, d, func() error {
					dec = d.Route(routing.Call{To: "sip:" + r.call + "@contoso.com;user=phone"}, nil)
					return nil
				})
				if dec.Status != r.status || dec.Code != r.code {
					t.Fatalf("call to %s: %d %s (%q), want %d %s", r.call, dec.Status, dec.Code, dec.Reason, r.status, r.code)
				}
				checkDecision(t, d, dec)
				want := r.call
				if r.code == routing.CodeNotFound {
					want = "" // an unknown number is not echoed: the caller has the Request-URI
				}
				if dec.Number != want {
					t.Errorf("decision number %q, want %q", dec.Number, want)
				}
				return
			}
			err := unchanged(t, d, func() error { return r.act(d) })
			wantErr(t, err, r.code, r.names...)
		})
	}
	t.Run("every code of the table is tested", func(t *testing.T) {
		tested := map[routing.Code]bool{}
		for _, r := range rules {
			tested[r.code] = true
		}
		for _, c := range routing.Codes {
			if !tested[c] {
				t.Errorf("code %s has no case", c)
			}
		}
	})
}

// TestActions checks that the happy path of each action changes what it should.
func TestActions(t *testing.T) {
	cases := []struct {
		name  string
		act   func(t *testing.T, d *routing.Directory, clk *clock)
		check func(t *testing.T, d *routing.Directory)
	}{
		{"enable an operator", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.EnableOperator(opNorth, routing.Enablement{Countries: []string{"GB"}, Contact: contact, AcceptDataTransfer: true}))
		}, func(t *testing.T, d *routing.Directory) {
			o, _ := d.Operator(opNorth)
			if !o.Enabled() || o.Countries["GB"] != routing.CountryActive || len(o.Countries) != 1 || !o.DataTransfer || o.Contact != contact {
				t.Errorf("operator after enabling: %+v", o)
			}
		}},
		{"enable an operator in one more country keeps the others", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.SuspendOperator(opFabrikam, "CA"))
			must(t, d.EnableOperator(opFabrikam, routing.Enablement{Countries: []string{"CA", "US"}, Contact: contact, AcceptDataTransfer: true}))
		}, func(t *testing.T, d *routing.Directory) {
			o, _ := d.Operator(opFabrikam)
			if o.Countries["CA"] != routing.CountrySuspended || o.Countries["US"] != routing.CountryActive {
				t.Errorf("countries %v", o.Countries)
			}
		}},
		{"assign to a TeamsOnly user in an Islands org", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.SetCoexistence(routing.Islands))
			must(t, d.SetUserCoexistence("carol", routing.TeamsOnly))
			must(t, d.AssignNumber("14255550199", "carol@contoso.com"))
		}, func(t *testing.T, d *routing.Directory) {
			n, _ := d.Number(numFree)
			u, _ := d.User("carol")
			if n.User != "carol" || u.Number != numFree || u.LineURI != "tel:"+numFree {
				t.Errorf("number %+v, user %+v", n, u)
			}
		}},
		{"assigning a number to its holder again changes nothing", func(t *testing.T, d *routing.Directory, _ *clock) {
			before := d.Snapshot()
			must(t, d.AssignNumber(numAlice, "alice"))
			if !equalSnapshots(before, d.Snapshot()) {
				t.Error("tenant changed")
			}
		}, func(t *testing.T, d *routing.Directory) {}},
		{"unassign then release", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.UnassignNumber(numAlice))
			u, _ := d.User("alice")
			if u.Number != "" || u.LineURI != "" {
				t.Errorf("user after unassign %+v", u)
			}
			must(t, d.ReleaseNumber(numAlice))
		}, func(t *testing.T, d *routing.Directory) {
			if _, ok := d.Number(numAlice); ok {
				t.Error("released number still in the tenant")
			}
		}},
		{"remove an operator from a country after releasing its numbers", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.ReleaseNumber(numCA))
			must(t, d.RemoveOperator(opFabrikam, "CA"))
		}, func(t *testing.T, d *routing.Directory) {
			o, _ := d.Operator(opFabrikam)
			if _, on := o.Countries["CA"]; on || o.Countries["US"] != routing.CountryActive {
				t.Errorf("countries %v", o.Countries)
			}
		}},
		{"remove a whole operator after releasing its numbers", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.ReleaseNumber(numTenant))
			must(t, d.RemoveOperator(opTenant, ""))
		}, func(t *testing.T, d *routing.Directory) {
			o, _ := d.Operator(opTenant)
			if o.Enabled() {
				t.Errorf("still enabled: %v", o.Countries)
			}
		}},
		{"suspend and resume", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.SuspendOperator(opFabrikam, ""))
			must(t, d.ResumeOperator(opFabrikam, "CA"))
		}, func(t *testing.T, d *routing.Directory) {
			o, _ := d.Operator(opFabrikam)
			if o.Countries["US"] != routing.CountrySuspended || o.Countries["CA"] != routing.CountryActive {
				t.Errorf("countries %v", o.Countries)
			}
		}},
		{"emergency address: operator changes a locked one", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.SetEmergencyAddress(numLocked, "hq2", true))
		}, func(t *testing.T, d *routing.Directory) {
			if n, _ := d.Number(numLocked); n.EmergencyAddress != "hq2" {
				t.Errorf("address %q", n.EmergencyAddress)
			}
		}},
		{"emergency address: tenant changes an operator-editable one", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.SetEmergencyAddress(numAlice, "hq2", false))
		}, func(t *testing.T, d *routing.Directory) {
			if n, _ := d.Number(numAlice); n.EmergencyAddress != "hq2" {
				t.Errorf("address %q", n.EmergencyAddress)
			}
		}},
		{"emergency address: tenant assigns in tenant mode, then removes it", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.SetEmergencyAddress(numTenant, "hq", false))
			if n, _ := d.Number(numTenant); n.EmergencyAddress != "hq" {
				t.Errorf("address %q", n.EmergencyAddress)
			}
			must(t, d.SetEmergencyAddress(numTenant, "", false))
		}, func(t *testing.T, d *routing.Directory) {
			if n, _ := d.Number(numTenant); n.EmergencyAddress != "" {
				t.Errorf("address %q", n.EmergencyAddress)
			}
		}},
		{"upload with an address", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.UploadNumbers(opFabrikam, []routing.Upload{{Number: "+1 (425) 555-0198", Country: "US", SIM: true, EmergencyAddress: "hq"}}))
		}, func(t *testing.T, d *routing.Directory) {
			n, ok := d.Number("+14255550198")
			want := routing.Number{E164: "+14255550198", Type: routing.OperatorConnect, Mobile: true, Operator: opFabrikam,
				Country: "US", SIM: true, EmergencyAddress: "hq", Activation: routing.Activated, Source: "Online"}
			if !ok || n != want || !n.OCM() {
				t.Errorf("number %+v, want %+v", n, want)
			}
		}},
		{"clear an online LineURI unassigns the number", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.ClearLineURI("erin"))
		}, func(t *testing.T, d *routing.Directory) {
			u, _ := d.User("erin")
			n, _ := d.Number(numErin)
			if u.LineURI != "" || u.Number != "" || n.User != "" {
				t.Errorf("user %+v number %+v", u, n)
			}
		}},
		{"clear an on-premises LineURI syncs after the delay", func(t *testing.T, d *routing.Directory, clk *clock) {
			must(t, d.ClearLineURI("dave"))
			if u, _ := d.User("dave"); u.OnPremLineURI == "" || !u.SyncUntil.Equal(t0.Add(routing.DefaultSyncDelay)) {
				t.Errorf("before the sync: %+v", u)
			}
			clk.Advance(routing.DefaultSyncDelay)
		}, func(t *testing.T, d *routing.Directory) {
			if u, _ := d.User("dave"); u.OnPremLineURI != "" || u.LineURI != "" {
				t.Errorf("after the sync: %+v", u)
			}
		}},
		{"remove the voice routing policy", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.GrantVoiceRoutingPolicy("erin", ""))
		}, func(t *testing.T, d *routing.Directory) {
			if u, _ := d.User("erin"); u.VoiceRoutingPolicy != "" {
				t.Errorf("policy %q", u.VoiceRoutingPolicy)
			}
		}},
		{"set a policy", func(t *testing.T, d *routing.Directory, _ *clock) {
			desc, pref, mode := "native now", routing.Preference("native"), routing.IPAudioMode("wifionly")
			must(t, d.SetMobilityPolicy("tag:TeamsFirst", routing.PolicyChange{Description: &desc, MobileDialerPreference: &pref, IPAudioMobileMode: &mode}))
		}, func(t *testing.T, d *routing.Directory) {
			p, _ := d.MobilityPolicy("TeamsFirst")
			want := routing.MobilityPolicy{Identity: "TeamsFirst", Description: "native now", MobileDialerPreference: routing.PreferNative,
				IPAudioMobileMode: routing.WifiOnly, IPVideoMobileMode: routing.AllNetworks}
			if p != want {
				t.Errorf("policy %+v, want %+v", p, want)
			}
		}},
		{"remove Global resets it", func(t *testing.T, d *routing.Directory, _ *clock) {
			pref := routing.PreferNative
			must(t, d.SetMobilityPolicy(routing.GlobalPolicy, routing.PolicyChange{MobileDialerPreference: &pref}))
			must(t, d.RemoveMobilityPolicy(routing.GlobalPolicy))
		}, func(t *testing.T, d *routing.Directory) {
			p, ok := d.MobilityPolicy(routing.GlobalPolicy)
			if !ok || p.MobileDialerPreference != routing.PreferTeams {
				t.Errorf("Global %+v", p)
			}
		}},
		{"policies are listed Global first", func(t *testing.T, d *routing.Directory, _ *clock) {}, func(t *testing.T, d *routing.Directory) {
			var ids []string
			for _, p := range d.MobilityPolicies() {
				ids = append(ids, p.Identity)
			}
			want := []string{"Global", "NativeFirst", "Override", "TeamsFirst", "WifiNative", "WifiTeams"}
			if !slices.Equal(ids, want) {
				t.Errorf("policies %v, want %v", ids, want)
			}
		}},
		{"add a device", func(t *testing.T, d *routing.Directory, _ *clock) {
			must(t, d.AddDevice(routing.Device{ID: "carol-desk", User: "carol", Kind: routing.TeamsPhone, Username: "carol-sip", Password: "pw"}))
		}, func(t *testing.T, d *routing.Directory) {
			dev, ok := d.DeviceByUsername("carol-sip")
			u, _ := d.User("carol")
			if !ok || dev.ID != "carol-desk" || u.Devices[len(u.Devices)-1] != "carol-desk" {
				t.Errorf("device %+v, user devices %v", dev, u.Devices)
			}
			if dev, ok := d.DeviceByUsername("carol-teams"); !ok || dev.ID != "carol-teams" {
				t.Errorf("username defaults to the id: %+v", dev)
			}
		}},
		{"counts", func(t *testing.T, d *routing.Directory, _ *clock) {}, func(t *testing.T, d *routing.Directory) {
			o, n, u, dev := d.Counts()
			if o != 5 || n != 10 || u != 7 || dev != 18 {
				t.Errorf("counts %d %d %d %d", o, n, u, dev)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, clk := newTenant(t)
			c.act(t, d, clk)
			c.check(t, d)
		})
	}
}

func equalSnapshots(a, b routing.Snapshot) bool { return reflect.DeepEqual(a, b) }
