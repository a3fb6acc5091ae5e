package routing_test

import (
	"strconv"
	"sync"
	"testing"

	"ocmsim/routing"
)

// TestConcurrentRouteAndAdmin routes calls while admin actions change the
// tenant; run it with -race. Every decision must still hold the invariants
// of a single moment.
func TestConcurrentRouteAndAdmin(t *testing.T) {
	d, _ := newTenant(t)
	iterations := 300
	if testing.Short() {
		iterations = 50
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for g := range 4 {
		wg.Go(func() {
			var dec routing.Decision
			numbers := []string{numAlice, "sip:" + numBob + "@x;user=phone", "tel:" + numFree, numErin, numFrank}
			r := reachMap{"alice-teams": offline}
			for i := range iterations * 5 {
				d.RouteTo(&dec, routing.Call{To: numbers[(i+g)%len(numbers)], FMC: i%7 == 0}, r)
				phones := map[string]bool{}
				for _, tg := range dec.Targets {
					if tg.Kind == routing.TeamsMobile || tg.Kind == routing.NativeDialer {
						dev, _ := d.Device(tg.Device)
						if dev.Phone != "" && phones[dev.Phone] {
							report(&routing.Error{Code: "both-apps", Object: dev.Phone, Message: "both apps ring"})
						}
						phones[dev.Phone] = true
					}
				}
				if dec.Refused() && len(dec.Targets) > 0 {
					report(&routing.Error{Code: "refusal-rings", Object: dec.Number, Message: dec.Reason})
				}
			}
		})
	}
	admin := []func(i int){
		func(i int) { // suspend and resume
			_ = d.SuspendOperator(opFabrikam, "US")
			_ = d.ResumeOperator(opFabrikam, "US")
		},
		func(i int) { // flip policies and group grants
			policies := []string{"NativeFirst", "TeamsFirst", "Override", "WifiTeams", ""}
			_ = d.GrantMobilityPolicy("alice", policies[i%len(policies)])
			_ = d.GrantGroupMobilityPolicy("sales", policies[(i+1)%(len(policies)-1)], 1+i%2)
			p := routing.PreferNative
			if i%2 == 0 {
				p = routing.PreferTeams
			}
			_ = d.SetMobilityPolicy("Global", routing.PolicyChange{MobileDialerPreference: &p})
			_ = d.SetDialerChoice("alice", p)
		},
		func(i int) { // move a number between users, add users and devices
			id := "load" + strconv.Itoa(i)
			_ = d.AddUser(routing.User{ID: id, Licenses: licOCM})
			_ = d.AddDevice(routing.Device{ID: id + "-teams", User: id, Kind: routing.TeamsMobile, Phone: id})
			_ = d.AddDevice(routing.Device{ID: id + "-native", User: id, Kind: routing.NativeDialer, Phone: id})
			_ = d.UnassignNumber(numFree)
			_ = d.AssignNumber(numFree, id)
			_ = d.UnassignNumber(numBob)
			_ = d.AssignNumber(numBob, "bob")
		},
		func(i int) { // port and re-upload; read everything
			num := "+1425556" + strconv.Itoa(1000+i)
			_ = d.StartPort(num, routing.CallingPlan)
			_ = d.UploadNumbers(opFabrikam, []routing.Upload{{Number: num, Country: "US", SIM: true}})
			_ = d.Snapshot()
			_, _, _ = d.EffectivePolicy("alice")
			_ = d.MobilityPolicies()
			_, _ = d.User("bob@contoso.com")
			_ = d.Groups("alice")
		},
	}
	for _, act := range admin {
		wg.Go(func() {
			for i := range iterations {
				act(i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, numbers, users, _ := d.Counts()
	if users != 7+iterations || numbers != 10+iterations {
		t.Errorf("after the run: %d users, %d numbers", users, numbers)
	}
}
