package routing_test

import (
	"testing"
	"time"

	"ocmsim/routing"
)

// step is one admin action of a migration and the code it must give ("" for
// success). A refused step must change nothing.
type step struct {
	name string
	do   func(d *routing.Directory) error
	code routing.Code
}

func runSteps(t *testing.T, d *routing.Directory, steps []step) {
	t.Helper()
	for _, s := range steps {
		var err error
		if s.code == "" {
			err = s.do(d)
		} else {
			err = unchanged(t, d, func() error { return s.do(d) })
		}
		if got := routing.ErrorCode(err); got != s.code || (s.code == "" && err != nil) {
			t.Fatalf("%s: error %v (code %q), want code %q", s.name, err, got, s.code)
		}
	}
}

// wantCall routes a call to number and checks its status and code (0 and ""
// for a call that rings), and that it rings device when one is named.
func wantCall(t *testing.T, d *routing.Directory, number string, status int, code routing.Code, device string) {
	t.Helper()
	dec := d.Route(routing.Call{To: "sip:" + number + "@contoso.com;user=phone"}, nil)
	checkDecision(t, d, dec)
	if dec.Status != status || dec.Code != code {
		t.Fatalf("call to %s: %d %s %q, want %d %q", number, dec.Status, dec.Code, dec.Reason, status, code)
	}
	if device == "" {
		return
	}
	for _, tg := range dec.Targets {
		if tg.Device == device {
			return
		}
	}
	t.Fatalf("call to %s rings %v, not %s", number, dec.Targets, device)
}

// wantOCM checks that number is a free, in-service OCM number of operator.
func wantOCM(t *testing.T, d *routing.Directory, number, operator string) {
	t.Helper()
	n, ok := d.Number(number)
	if !ok || !n.OCM() || n.Operator != operator || n.Port != nil || n.User != "" || !n.SIM {
		t.Fatalf("number %s after the port: %+v", number, n)
	}
}

func upload(number string) func(d *routing.Directory) error {
	return func(d *routing.Directory) error {
		return d.UploadNumbers(opFabrikam, []routing.Upload{{Number: number, Country: "US", SIM: true}})
	}
}

func assignTo(number, user string) func(d *routing.Directory) error {
	return func(d *routing.Directory) error { return d.AssignNumber(number, user) }
}

func port(number string, from routing.NumberType) func(d *routing.Directory) error {
	return func(d *routing.Directory) error { return d.StartPort(number, from) }
}

// TestMigration walks the guide's four ways to move a number to Operator
// Connect Mobile, checking each refusal on the way and that the number is
// out of service (480 number-porting) during the port.
func TestMigration(t *testing.T) {
	t.Run("Calling Plan", func(t *testing.T) {
		d, _ := newTenant(t)
		wantCall(t, d, numFrank, 0, "", "frank-teams")
		runSteps(t, d, []step{
			{"port while assigned", port(numFrank, routing.CallingPlan), routing.CodeNumberInUse},
			{"upload while assigned", upload(numFrank), routing.CodeNumberInUse},
			{"remove the number from the user", func(d *routing.Directory) error { return d.UnassignNumber(numFrank) }, ""},
			{"upload before the port", upload(numFrank), routing.CodeNumberInUse},
			{"port as Direct Routing", port(numFrank, routing.DirectRouting), routing.CodeInvalid},
		})
		wantCall(t, d, numFrank, 404, routing.CodeNumberUnassigned, "")
		runSteps(t, d, []step{{"contact the operator to port", port(numFrank, routing.CallingPlan), ""}})
		wantCall(t, d, numFrank, 480, routing.CodeNumberPorting, "")
		runSteps(t, d, []step{
			{"assign during the port", assignTo(numFrank, "frank"), routing.CodeNumberPorting},
			{"release during the port", func(d *routing.Directory) error { return d.ReleaseNumber(numFrank) }, routing.CodeNumberPorting},
			{"the operator uploads it", upload(numFrank), ""},
		})
		wantOCM(t, d, numFrank, opFabrikam)
		wantCall(t, d, numFrank, 404, routing.CodeNumberUnassigned, "")
		runSteps(t, d, []step{{"assign", assignTo(numFrank, "frank"), ""}})
		wantCall(t, d, numFrank, 0, "", "frank-teams")
	})

	t.Run("Operator Connect", func(t *testing.T) {
		d, _ := newTenant(t)
		runSteps(t, d, []step{
			{"port while assigned", port(numGrace, routing.OperatorConnect), routing.CodeNumberInUse},
			{"old provider releases while assigned", func(d *routing.Directory) error { return d.ReleaseNumber(numGrace) }, routing.CodeNumberAssigned},
			{"remove the number from the user", func(d *routing.Directory) error { return d.UnassignNumber(numGrace) }, ""},
			{"port before the old provider releases it", port(numGrace, routing.OperatorConnect), routing.CodeNumberInUse},
			{"upload before the old provider releases it", upload(numGrace), routing.CodeNumberInUse},
			{"remove the old operator while it holds the number", func(d *routing.Directory) error { return d.RemoveOperator(opOldTel, "") },
				routing.CodeOperatorNotEnabled}, // oldtel is in the directory only, never enabled as an OCM operator
			{"old provider releases it", func(d *routing.Directory) error { return d.ReleaseNumber(numGrace) }, ""},
		})
		wantCall(t, d, numGrace, 404, routing.CodeNotFound, "")
		runSteps(t, d, []step{{"contact the operator to port", port(numGrace, routing.OperatorConnect), ""}})
		wantCall(t, d, numGrace, 480, routing.CodeNumberPorting, "")
		runSteps(t, d, []step{
			{"assign during the port", assignTo(numGrace, "grace"), routing.CodeNumberPorting},
			{"complete the port", func(d *routing.Directory) error { return d.CompletePort(numGrace, opFabrikam, "US", true) }, ""},
			{"complete it twice", func(d *routing.Directory) error { return d.CompletePort(numGrace, opFabrikam, "US", true) }, routing.CodeInvalid},
		})
		wantOCM(t, d, numGrace, opFabrikam)
		runSteps(t, d, []step{{"assign", assignTo(numGrace, "grace"), ""}})
		wantCall(t, d, numGrace, 0, "", "grace-teams")
	})

	t.Run("Direct Routing online", func(t *testing.T) {
		d, _ := newTenant(t)
		if u, _ := d.User("erin"); u.OnPremLineURI != "" || u.Number != numErin {
			t.Fatalf("erin is not an online Direct Routing user: %+v", u)
		}
		runSteps(t, d, []step{
			{"upload before the migration", upload(numErin), routing.CodeNumberInUse},
			{"the operator migrates it", port(numErin, routing.DirectRouting), ""},
		})
		wantCall(t, d, numErin, 480, routing.CodeNumberPorting, "")
		runSteps(t, d, []step{
			{"assign to someone else during the port", assignTo(numErin, "carol"), routing.CodeNumberPorting},
			{"the operator uploads it", upload(numErin), ""},
		})
		wantOCM(t, d, numErin, opFabrikam)
		if u, _ := d.User("erin"); u.Number != "" || u.LineURI != "" {
			t.Fatalf("erin still holds the number after the upload: %+v", u)
		}
		runSteps(t, d, []step{
			{"assign with the voice routing policy", assignTo(numErin, "erin"), routing.CodeVoiceRoutingPolicyAssigned},
			{"Grant-CsOnlineVoiceRoutingPolicy -PolicyName $Null", func(d *routing.Directory) error { return d.GrantVoiceRoutingPolicy("erin", "") }, ""},
			{"assign", assignTo(numErin, "erin"), ""},
		})
		wantCall(t, d, numErin, 0, "", "erin-teams")
	})

	t.Run("Direct Routing on-premises", func(t *testing.T) {
		d, clk := newTenant(t)
		d.SyncDelay = 30 * time.Minute
		runSteps(t, d, []step{
			{"port with OnPremLineURI set", port(numDave, routing.DirectRouting), routing.CodeOnPremLineURISet},
			{"upload with OnPremLineURI set", upload(numDave), routing.CodeNumberInUse},
			{"Set-CsUser -LineURI $null", func(d *routing.Directory) error { return d.ClearLineURI("dave@contoso.com") }, ""},
			{"Set-CsUser -LineURI $null again", func(d *routing.Directory) error { return d.ClearLineURI("dave") }, ""},
			{"port before the sync", port(numDave, routing.DirectRouting), routing.CodeSyncPending},
		})
		if u, _ := d.User("dave"); u.OnPremLineURI == "" || !u.SyncUntil.Equal(t0.Add(30*time.Minute)) {
			t.Fatalf("before the sync Get-CsOnlineUser shows %+v", u)
		}
		clk.Advance(29 * time.Minute)
		runSteps(t, d, []step{{"port a minute before the sync", port(numDave, routing.DirectRouting), routing.CodeSyncPending}})
		clk.Advance(time.Minute)
		if u, _ := d.User("dave"); u.OnPremLineURI != "" || u.LineURI != "" {
			t.Fatalf("after the sync Get-CsOnlineUser shows %+v", u)
		}
		wantCall(t, d, numDave, 0, "", "dave-teams") // in service until the port starts
		runSteps(t, d, []step{{"the operator ports it", port(numDave, routing.DirectRouting), ""}})
		wantCall(t, d, numDave, 480, routing.CodeNumberPorting, "")
		clk.Advance(time.Hour)
		wantCall(t, d, numDave, 480, routing.CodeNumberPorting, "")
		runSteps(t, d, []step{
			{"assign during the port", assignTo(numDave, "carol"), routing.CodeNumberPorting},
			{"the operator uploads it", func(d *routing.Directory) error { return d.CompletePort("tel:+1-425-555-0150", opFabrikam, "US", true) }, ""},
			{"assign with the voice routing policy", assignTo(numDave, "dave"), routing.CodeVoiceRoutingPolicyAssigned},
			{"Grant-CsOnlineVoiceRoutingPolicy -PolicyName $Null", func(d *routing.Directory) error { return d.GrantVoiceRoutingPolicy("dave", "") }, ""},
			{"assign", assignTo(numDave, "dave"), ""},
		})
		u, _ := d.User("dave")
		if u.Number != numDave || u.LineURI != "tel:"+numDave || u.OnPremLineURI != "" || !u.SyncUntil.IsZero() {
			t.Fatalf("after the migration Get-CsOnlineUser shows %+v", u)
		}
		n, _ := d.Number(numDave)
		if !n.OCM() || n.User != "dave" || n.Source != "Online" {
			t.Fatalf("after the migration the number is %+v", n)
		}
		wantCall(t, d, numDave, 0, "", "dave-teams")
	})

	t.Run("Direct Routing on-premises, number not in the tenant", func(t *testing.T) {
		d, clk := newTenant(t)
		const num = "+14255550155"
		must(t, d.AddUser(routing.User{ID: "hank", Licenses: licOCM, OnPremLineURI: num}))
		runSteps(t, d, []step{
			{"port with OnPremLineURI set", port(num, routing.DirectRouting), routing.CodeOnPremLineURISet},
			{"Set-CsUser -LineURI $null", func(d *routing.Directory) error { return d.ClearLineURI("hank") }, ""},
		})
		clk.Advance(routing.DefaultSyncDelay)
		runSteps(t, d, []step{{"port", port(num, routing.DirectRouting), ""}})
		wantCall(t, d, num, 480, routing.CodeNumberPorting, "")
		runSteps(t, d, []step{{"upload", upload(num), ""}, {"assign", assignTo(num, "hank"), ""}})
		wantCall(t, d, num, 0, "", "")
	})
}
