package routing_test

import (
	"slices"
	"testing"
	"time"

	"ocmsim/routing"
)

// rung and skipped write a decision's targets and skipped devices as
// "device:why" ("device:why>fallback" when a target names its fallback).
func rung(dec routing.Decision) []string {
	var out []string
	for _, tg := range dec.Targets {
		s := tg.Device + ":" + tg.Why.Code()
		if tg.Fallback != "" {
			s += ">" + tg.Fallback
		}
		out = append(out, s)
	}
	return out
}

func skipped(dec routing.Decision) []string {
	var out []string
	for _, s := range dec.Skipped {
		out = append(out, s.Device+":"+s.Why.Code())
	}
	return out
}

// alice's endpoints other than her SIM phone, in device order.
var aliceOthers = []string{"alice-desktop", "alice-web", "alice-deskphone", "alice-tablet"}

func others(why string) []string {
	out := make([]string, len(aliceOthers))
	for i, dev := range aliceOthers {
		out[i] = dev + ":" + why
	}
	return out
}

func join(lists ...[]string) []string { return slices.Concat(lists...) }

var (
	direct = routing.PolicySource{Kind: routing.SourceDirect}
	global = routing.PolicySource{Kind: routing.SourceGlobal}
)

func group(id string, rank int) routing.PolicySource {
	return routing.PolicySource{Kind: routing.SourceGroup, Group: id, Rank: rank}
}

func grant(user, policy string) func(t *testing.T, d *routing.Directory) {
	return func(t *testing.T, d *routing.Directory) { must(t, d.GrantMobilityPolicy(user, policy)) }
}

func steps(fs ...func(t *testing.T, d *routing.Directory)) func(t *testing.T, d *routing.Directory) {
	return func(t *testing.T, d *routing.Directory) {
		for _, f := range fs {
			f(t, d)
		}
	}
}

func groupGrant(g, policy string, rank int) func(t *testing.T, d *routing.Directory) {
	return func(t *testing.T, d *routing.Directory) { must(t, d.GrantGroupMobilityPolicy(g, policy, rank)) }
}

func TestRoute(t *testing.T) {
	type routeCase struct {
		name       string
		setup      func(t *testing.T, d *routing.Directory)
		number     string // numAlice when ""
		fmc        bool
		reach      reachMap
		noFallback bool

		status int
		code   routing.Code

		policy     string
		source     routing.PolicySource
		pref       routing.Preference // the policy's preference; dialer when ""
		dialer     routing.Preference
		userChoice bool
		ipAudio    routing.IPAudioMode // AllNetworks when ""
		fallback   bool
		targets    []string
		skipped    []string
		unanswered *routing.CallSettings
	}
	teamsRings := join([]string{"alice-teams:preferred-teams>alice-native"}, others("other-endpoint"))
	nativeSkipped := []string{"alice-native:other-app"}
	nativeRings := join([]string{"alice-native:preferred-native>alice-teams"}, others("other-endpoint"))
	teamsSkipped := []string{"alice-teams:other-app"}

	cases := []routeCase{
		{name: "Global default prefers Teams", policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: teamsRings, skipped: nativeSkipped},
		{name: "Teams", setup: grant("alice", "TeamsFirst"), policy: "TeamsFirst", source: direct, dialer: routing.PreferTeams,
			targets: teamsRings, skipped: nativeSkipped},
		{name: "Native", setup: grant("alice", "NativeFirst"), policy: "NativeFirst", source: direct, dialer: routing.PreferNative,
			targets: nativeRings, skipped: teamsSkipped},
		{name: "granted by UPN, case-insensitive policy name", setup: grant("ALICE@contoso.com", "tag:nativefirst"),
			policy: "NativeFirst", source: direct, dialer: routing.PreferNative, targets: nativeRings, skipped: teamsSkipped},
		{name: "UserOverride defaults to Teams", setup: grant("alice", "Override"), policy: "Override", source: direct,
			pref: routing.PreferUserOverride, dialer: routing.PreferTeams, userChoice: true, targets: teamsRings, skipped: nativeSkipped},
		{name: "UserOverride, user chose Native", setup: steps(grant("alice", "Override"), func(t *testing.T, d *routing.Directory) {
			must(t, d.SetDialerChoice("alice", "native"))
		}), policy: "Override", source: direct, pref: routing.PreferUserOverride, dialer: routing.PreferNative, userChoice: true,
			targets: nativeRings, skipped: teamsSkipped},
		{name: "UserOverride, user chose Teams", setup: steps(grant("alice", "Override"), func(t *testing.T, d *routing.Directory) {
			must(t, d.SetDialerChoice("alice", routing.PreferNative))
			must(t, d.SetDialerChoice("alice", routing.PreferTeams))
		}), policy: "Override", source: direct, pref: routing.PreferUserOverride, dialer: routing.PreferTeams, userChoice: true,
			targets: teamsRings, skipped: nativeSkipped},
		{name: "user's choice ignored without UserOverride", setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.SetDialerChoice("alice", routing.PreferNative))
		}, policy: "Global", source: global, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},
		{name: "$null grant falls back to Global", setup: steps(grant("alice", "NativeFirst"), grant("alice", "")),
			policy: "Global", source: global, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},
		{name: "granting Global is $null", setup: steps(grant("alice", "NativeFirst"), grant("alice", "Global")),
			policy: "Global", source: global, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},
		{name: "Global changed to Native", setup: func(t *testing.T, d *routing.Directory) {
			p := routing.PreferNative
			must(t, d.SetMobilityPolicy("Global", routing.PolicyChange{MobileDialerPreference: &p}))
		}, policy: "Global", source: global, dialer: routing.PreferNative, targets: nativeRings, skipped: teamsSkipped},
		{name: "group grant", setup: groupGrant("sales", "NativeFirst", 3), policy: "NativeFirst", source: group("sales", 3),
			dialer: routing.PreferNative, targets: nativeRings, skipped: teamsSkipped},
		{name: "direct beats group", setup: steps(groupGrant("sales", "NativeFirst", 1), grant("alice", "TeamsFirst")),
			policy: "TeamsFirst", source: direct, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},
		{name: "rank 1 beats rank 2", setup: steps(groupGrant("sales", "NativeFirst", 1), groupGrant("everyone", "TeamsFirst", 2)),
			policy: "NativeFirst", source: group("sales", 1), dialer: routing.PreferNative, targets: nativeRings, skipped: teamsSkipped},
		{name: "rank 1 beats rank 2, other way round", setup: steps(groupGrant("sales", "NativeFirst", 2), groupGrant("everyone", "TeamsFirst", 1)),
			policy: "TeamsFirst", source: group("everyone", 1), dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},
		{name: "group granted at creation", setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.AddGroup(routing.Group{ID: "vip", Members: []string{"alice@contoso.com"}, MobilityPolicy: "NativeFirst", Rank: 5}))
			must(t, d.GrantGroupMobilityPolicy("everyone", "TeamsFirst", 6))
		}, policy: "NativeFirst", source: group("vip", 5), dialer: routing.PreferNative, targets: nativeRings, skipped: teamsSkipped},
		{name: "removing the direct policy falls back to the group", setup: steps(
			groupGrant("everyone", "TeamsFirst", 1), grant("alice", "NativeFirst"),
			func(t *testing.T, d *routing.Directory) { must(t, d.RemoveMobilityPolicy("NativeFirst")) }),
			policy: "TeamsFirst", source: group("everyone", 1), dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},
		{name: "removing the group's policy falls back to the next group", setup: steps(
			groupGrant("sales", "NativeFirst", 1), groupGrant("everyone", "Override", 2),
			func(t *testing.T, d *routing.Directory) { must(t, d.RemoveMobilityPolicy("NativeFirst")) }),
			policy: "Override", source: group("everyone", 2), pref: routing.PreferUserOverride, dialer: routing.PreferTeams, userChoice: true,
			targets: teamsRings, skipped: nativeSkipped},
		{name: "removing the group grant falls back to Global", setup: steps(
			groupGrant("sales", "NativeFirst", 1), groupGrant("sales", "", 0)),
			policy: "Global", source: global, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},

		{name: "Teams app unregistered: native dialer rings instead", reach: reachMap{"alice-teams": offline},
			policy: "Global", source: global, dialer: routing.PreferTeams, fallback: true,
			targets: join([]string{"alice-native:fallback"}, others("other-endpoint")), skipped: []string{"alice-teams:not-registered"}},
		{name: "native dialer unregistered under Native: Teams app rings instead", setup: grant("alice", "NativeFirst"),
			reach: reachMap{"alice-native": offline}, policy: "NativeFirst", source: direct, dialer: routing.PreferNative, fallback: true,
			targets: join([]string{"alice-teams:fallback"}, others("other-endpoint")), skipped: []string{"alice-native:not-registered"}},
		{name: "both apps unregistered", reach: reachMap{"alice-native": offline, "alice-teams": offline},
			policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: others("other-endpoint"), skipped: []string{"alice-teams:not-registered", "alice-native:not-registered"}},
		{name: "native dialer unregistered under Teams: no fallback named", reach: reachMap{"alice-native": offline},
			policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: join([]string{"alice-teams:preferred-teams"}, others("other-endpoint")), skipped: []string{"alice-native:other-app"}},
		{name: "WifiOnly on cellular: native dialer rings instead", setup: grant("alice", "WifiTeams"),
			reach: reachMap{"alice-teams": cellular, "alice-native": cellular}, policy: "WifiTeams", source: direct,
			dialer: routing.PreferTeams, ipAudio: routing.WifiOnly, fallback: true,
			targets: join([]string{"alice-native:fallback"}, others("other-endpoint")), skipped: []string{"alice-teams:wifi-only"}},
		{name: "WifiOnly on wifi: Teams app rings", setup: grant("alice", "WifiTeams"),
			reach: reachMap{"alice-teams": wifi}, policy: "WifiTeams", source: direct, dialer: routing.PreferTeams, ipAudio: routing.WifiOnly,
			targets: teamsRings, skipped: nativeSkipped},
		{name: "WifiOnly, network unknown: Teams app rings", setup: grant("alice", "WifiTeams"),
			reach: reachMap{"alice-teams": {Registered: true}}, policy: "WifiTeams", source: direct, dialer: routing.PreferTeams, ipAudio: routing.WifiOnly,
			targets: teamsRings, skipped: nativeSkipped},
		{name: "AllNetworks on cellular: Teams app rings", reach: reachMap{"alice-teams": cellular},
			policy: "Global", source: global, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},
		{name: "WifiOnly under Native on cellular: native rings, Teams app is no fallback", setup: grant("alice", "WifiNative"),
			reach: reachMap{"alice-teams": cellular}, policy: "WifiNative", source: direct, dialer: routing.PreferNative, ipAudio: routing.WifiOnly,
			targets: join([]string{"alice-native:preferred-native"}, others("other-endpoint")), skipped: teamsSkipped},
		{name: "WifiOnly: a Teams app without a SIM phone on cellular is skipped", setup: grant("alice", "WifiTeams"),
			reach: reachMap{"alice-tablet": cellular, "alice-desktop": cellular}, policy: "WifiTeams", source: direct,
			dialer: routing.PreferTeams, ipAudio: routing.WifiOnly,
			targets: []string{"alice-teams:preferred-teams>alice-native", "alice-desktop:other-endpoint", "alice-web:other-endpoint", "alice-deskphone:other-endpoint"},
			skipped: []string{"alice-native:other-app", "alice-tablet:wifi-only"}},
		{name: "other endpoints unregistered are skipped",
			reach:  reachMap{"alice-desktop": offline, "alice-web": offline, "alice-deskphone": offline, "alice-tablet": offline},
			policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: []string{"alice-teams:preferred-teams>alice-native"}, skipped: join(nativeSkipped, others("not-registered"))},
		{name: "X-MS-FMC rings only the native dialer", fmc: true, policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: []string{"alice-native:fmc-native"}, skipped: join([]string{"alice-teams:fmc-teams"}, others("fmc-teams"))},
		{name: "X-MS-FMC under Native", fmc: true, setup: grant("alice", "NativeFirst"), policy: "NativeFirst", source: direct,
			dialer: routing.PreferNative, targets: []string{"alice-native:fmc-native"}, skipped: join([]string{"alice-teams:fmc-teams"}, others("fmc-teams"))},
		{name: "X-MS-FMC, native dialer unregistered: nothing rings", fmc: true, reach: reachMap{"alice-native": offline},
			policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: nil, skipped: join([]string{"alice-native:not-registered", "alice-teams:fmc-teams"}, others("fmc-teams"))},
		{name: "NoFallback: preferred app unreachable, the other is not rung", noFallback: true, reach: reachMap{"alice-teams": offline},
			policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: others("other-endpoint"), skipped: []string{"alice-teams:not-registered", "alice-native:fallback-off"}},
		{name: "NoFallback: preferred app names no fallback", noFallback: true, policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: join([]string{"alice-teams:preferred-teams"}, others("other-endpoint")), skipped: nativeSkipped},
		{name: "phone apps in any device order", number: numBob, policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: []string{"bob-teams:preferred-teams>bob-native"}, skipped: []string{"bob-native:other-app"}},
		{name: "phone apps in any device order, Native", number: numBob, setup: grant("bob", "NativeFirst"), policy: "NativeFirst",
			source: direct, dialer: routing.PreferNative, targets: []string{"bob-native:preferred-native>bob-teams"}, skipped: []string{"bob-teams:other-app"}},
		{name: "a native dialer without a Teams app rings under Teams", number: numFree, setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.AddUser(routing.User{ID: "ivan", Licenses: licOCM}))
			must(t, d.AddDevice(routing.Device{ID: "ivan-native", User: "ivan", Kind: routing.NativeDialer}))
			must(t, d.AddDevice(routing.Device{ID: "ivan-desktop", User: "ivan", Kind: routing.TeamsDesktop}))
			must(t, d.AssignNumber(numFree, "ivan"))
		}, policy: "Global", source: global, dialer: routing.PreferTeams, fallback: true,
			targets: []string{"ivan-native:fallback", "ivan-desktop:other-endpoint"}},
		{name: "a user with no devices", number: numFree, setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.AddUser(routing.User{ID: "ivan", Licenses: licOCM}))
			must(t, d.AssignNumber(numFree, "ivan"))
		}, policy: "Global", source: global, dialer: routing.PreferTeams},

		{name: "operator suspended: 403", setup: func(t *testing.T, d *routing.Directory) { must(t, d.SuspendOperator(opFabrikam, "")) },
			status: 403, code: routing.CodeOperatorSuspended},
		{name: "operator suspended in the number's country: 403", setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.SuspendOperator(opFabrikam, "US"))
		}, status: 403, code: routing.CodeOperatorSuspended},
		{name: "operator suspended in another country: rings", setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.SuspendOperator(opFabrikam, "CA"))
		}, policy: "Global", source: global, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},
		{name: "operator resumed: rings", setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.SuspendOperator(opFabrikam, ""))
			must(t, d.ResumeOperator(opFabrikam, ""))
		}, policy: "Global", source: global, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},
		{name: "country resumed: rings", setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.SuspendOperator(opFabrikam, "US"))
			must(t, d.ResumeOperator(opFabrikam, "US"))
		}, policy: "Global", source: global, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped},
		{name: "porting: 480", number: numErin, setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.StartPort(numErin, routing.DirectRouting))
		}, status: 480, code: routing.CodeNumberPorting},
		{name: "unassigned number: 404", number: numFree, status: 404, code: routing.CodeNumberUnassigned},
		{name: "unknown number: 404", number: numNobody, status: 404, code: routing.CodeNotFound},
		{name: "Calling Plan number rings its user", number: numFrank, policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: []string{"frank-teams:preferred-teams>frank-native"}, skipped: []string{"frank-native:other-app"}},

		{name: "unanswered delay defaults to 20s", policy: "Global", source: global, dialer: routing.PreferTeams,
			targets: teamsRings, skipped: nativeSkipped, unanswered: &routing.CallSettings{UnansweredDelay: 20 * time.Second}},
		{name: "unanswered settings", setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.SetCallSettings("alice", routing.CallSettings{UnansweredTarget: routing.TargetUser, UnansweredTo: "bob", UnansweredDelay: 30 * time.Second,
				SimultaneousRing: numFree}))
		}, policy: "Global", source: global, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped,
			unanswered: &routing.CallSettings{UnansweredTarget: routing.TargetUser, UnansweredTo: "bob", UnansweredDelay: 30 * time.Second, SimultaneousRing: numFree}},
		{name: "unanswered to voicemail, default delay", setup: func(t *testing.T, d *routing.Directory) {
			must(t, d.SetCallSettings("alice", routing.CallSettings{UnansweredTarget: routing.TargetVoicemail}))
		}, policy: "Global", source: global, dialer: routing.PreferTeams, targets: teamsRings, skipped: nativeSkipped,
			unanswered: &routing.CallSettings{UnansweredTarget: routing.TargetVoicemail, UnansweredDelay: routing.DefaultUnansweredDelay}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, _ := newTenant(t)
			d.NoFallback = c.noFallback
			if c.setup != nil {
				c.setup(t, d)
			}
			number := c.number
			if number == "" {
				number = numAlice
			}
			call := routing.Call{To: "sip:" + number + "@contoso.com;user=phone", From: "sip:+12065550100@pstn", FMC: c.fmc}
			var r routing.Reachability
			if c.reach != nil {
				r = c.reach
			}
			dec := d.Route(call, r)
			checkDecision(t, d, dec)

			// RouteTo into a used Decision gives the same answer.
			reused := routing.Decision{Targets: make([]routing.Target, 9), Skipped: make([]routing.Skip, 9), Status: 500, Fallback: true, Policy: "x"}
			d.RouteTo(&reused, call, r)
			if !slices.Equal(rung(reused), rung(dec)) || !slices.Equal(skipped(reused), skipped(dec)) ||
				reused.Status != dec.Status || reused.Fallback != dec.Fallback || reused.Policy != dec.Policy {
				t.Errorf("RouteTo into a used Decision differs:\n%+v\n%+v", reused, dec)
			}

			if dec.Status != c.status || dec.Code != c.code {
				t.Fatalf("status %d %s (%q), want %d %q", dec.Status, dec.Code, dec.Reason, c.status, c.code)
			}
			if c.status != 0 {
				return
			}
			if dec.Number != number {
				t.Errorf("number %q, want %q", dec.Number, number)
			}
			pref, ipAudio := c.pref, c.ipAudio
			if pref == "" {
				pref = c.dialer
			}
			if ipAudio == "" {
				ipAudio = routing.AllNetworks
			}
			if dec.Policy != c.policy || dec.Source != c.source || dec.Preference != pref || dec.Dialer != c.dialer ||
				dec.UserChoice != c.userChoice || dec.IPAudio != ipAudio {
				t.Errorf("policy %s from %+v, preference %s, dialer %s, user choice %v, IP audio %s;\nwant %s from %+v, %s, %s, %v, %s",
					dec.Policy, dec.Source, dec.Preference, dec.Dialer, dec.UserChoice, dec.IPAudio,
					c.policy, c.source, pref, c.dialer, c.userChoice, ipAudio)
			}
			if dec.Fallback != c.fallback {
				t.Errorf("Fallback = %v, want %v", dec.Fallback, c.fallback)
			}
			if got := rung(dec); !slices.Equal(got, c.targets) {
				t.Errorf("rings\n  %v\nwant\n  %v", got, c.targets)
			}
			if got := skipped(dec); !slices.Equal(got, c.skipped) {
				t.Errorf("skips\n  %v\nwant\n  %v", got, c.skipped)
			}
			if c.unanswered != nil && dec.Unanswered != *c.unanswered {
				t.Errorf("unanswered %+v, want %+v", dec.Unanswered, *c.unanswered)
			}
			if p, src, err := d.EffectivePolicy(dec.User); err != nil || p.Identity != dec.Policy || src != dec.Source {
				t.Errorf("EffectivePolicy = %s %+v %v, the decision says %s %+v", p.Identity, src, err, dec.Policy, dec.Source)
			}
		})
	}
}

// TestRouteNumberForms routes every accepted way of writing a number the same.
func TestRouteNumberForms(t *testing.T) {
	d, _ := newTenant(t)
	want := d.Route(routing.Call{To: numAlice}, nil)
	if want.Refused() || want.User != "alice" {
		t.Fatalf("call to %s: %+v", numAlice, want)
	}
	for _, to := range []string{
		"+14255550100",
		"14255550100",
		"14255550100;user=phone",
		"sip:+14255550100@contoso.com;user=phone",
		"sip:14255550100@contoso.com",
		"SIP:+14255550100@10.0.0.1:5060;transport=tcp",
		"sips:+14255550100@contoso.com",
		"tel:+1-425-555-0100",
		"tel:+14255550100;phone-context=+1",
		"<sip:+14255550100@x>",
		" <tel:+1.425.555.0100> ",
		"+1 (425) 555-0100",
	} {
		t.Run(to, func(t *testing.T) {
			got := d.Route(routing.Call{To: to}, nil)
			if got.Refused() || got.Number != numAlice || !slices.Equal(rung(got), rung(want)) || !slices.Equal(skipped(got), skipped(want)) {
				t.Errorf("%q routes %d %s to %v, want %v", to, got.Status, got.Code, rung(got), rung(want))
			}
		})
	}
	for _, to := range []string{
		"", "garbage", "sip:alice@contoso.com", "tel:", "+", "+12", "sip:@host", "+1425555010012345678",
		"14255550100x", "sip:+1425+5550100@host", "mailto:+14255550100", "+1-425-555-01OO",
	} {
		t.Run("garbage "+to, func(t *testing.T) {
			got := d.Route(routing.Call{To: to}, nil)
			if got.Status != 404 || got.Code != routing.CodeNotFound || len(got.Targets) != 0 {
				t.Errorf("%q: %d %s %v, want 404 not-found", to, got.Status, got.Code, rung(got))
			}
		})
	}
}

// TestWhy checks that every reason has a code and a sentence.
func TestWhy(t *testing.T) {
	seen := map[string]bool{}
	for w := routing.WhyUnknown; w <= routing.WhyFallbackOff; w++ {
		code, text := w.Code(), w.String()
		if code == "" || text == "" || (w != routing.WhyUnknown && (code == "unknown" || seen[code])) {
			t.Errorf("Why(%d): code %q, text %q", w, code, text)
		}
		seen[code] = true
		if b, err := w.MarshalText(); err != nil || string(b) != code {
			t.Errorf("Why(%d).MarshalText() = %q, %v", w, b, err)
		}
	}
	if w := routing.Why(200); w.Code() != "unknown" || w.String() != "unknown" {
		t.Errorf("out of range: %q %q", w.Code(), w.String())
	}
}

// TestRouteToDoesNotAllocate holds the common path to zero allocations.
func TestRouteToDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	d, _ := newTenant(t)
	must(t, d.GrantGroupMobilityPolicy("sales", "WifiTeams", 1))
	r := reachMap{"alice-teams": cellular}
	calls := []routing.Call{
		{To: "sip:+14255550100@contoso.com;user=phone"},
		{To: "tel:+1-425-555-0101"},
		{To: "14255550100;user=phone", FMC: true},
		{To: numFree}, {To: numNobody}, {To: "garbage"},
	}
	var dec routing.Decision
	for _, c := range calls {
		d.RouteTo(&dec, c, r) // grow the slices once
	}
	i := 0
	if n := testing.AllocsPerRun(1000, func() { d.RouteTo(&dec, calls[i%len(calls)], r); i++ }); n != 0 {
		t.Errorf("RouteTo allocates %v times per call", n)
	}
}
