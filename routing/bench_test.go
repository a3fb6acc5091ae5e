package routing_test

import (
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"ocmsim/routing"
)

// generated is the input of a generated tenant: n numbers, n users, each
// with a SIM phone (Teams app + native dialer) and a Teams desktop.
type generated struct {
	uploads []routing.Upload
	users   []routing.User
	devices []routing.Device
}

func generate(n int) *generated {
	g := &generated{
		uploads: make([]routing.Upload, n),
		users:   make([]routing.User, n),
		devices: make([]routing.Device, 0, 3*n),
	}
	for i := range n {
		id := "u" + strconv.Itoa(i)
		g.uploads[i] = routing.Upload{Number: genNumber(i), Country: "US", SIM: true}
		g.users[i] = routing.User{ID: id, Licenses: licOCM}
		g.devices = append(g.devices,
			routing.Device{ID: id + "-teams", User: id, Kind: routing.TeamsMobile, Phone: id},
			routing.Device{ID: id + "-native", User: id, Kind: routing.NativeDialer, Phone: id},
			routing.Device{ID: id + "-desktop", User: id, Kind: routing.TeamsDesktop},
		)
	}
	return g
}

// genNumber is the i-th generated number: +1 425 2xx xxxx.
func genNumber(i int) string { return "+1425" + strconv.Itoa(2000000+i) }

// build makes a tenant from g through the admin actions.
func (g *generated) build(tb testing.TB) *routing.Directory {
	d := routing.NewDirectory("load", "load.example")
	must(tb, d.AddOperator(routing.Operator{ID: opFabrikam, OCM: true, Serves: []string{"US"}}))
	must(tb, d.EnableOperator(opFabrikam, enableUS))
	for i := 0; i < len(g.uploads); i += 10000 {
		must(tb, d.UploadNumbers(opFabrikam, g.uploads[i:min(i+10000, len(g.uploads))]))
	}
	for _, u := range g.users {
		must(tb, d.AddUser(u))
	}
	for _, dev := range g.devices {
		must(tb, d.AddDevice(dev))
	}
	for i, u := range g.users {
		must(tb, d.AssignNumber(g.uploads[i].Number, u.ID))
	}
	return d
}

const benchNumbers = 1_000_000

var big struct {
	once  sync.Once
	d     *routing.Directory
	build time.Duration
}

// bigTenant is the 1,000,000-number tenant, built once per process.
func bigTenant(b *testing.B) *routing.Directory {
	if testing.Short() || raceEnabled {
		b.Skip("the 1,000,000-number tenant is not built in -short mode or under the race detector")
	}
	big.once.Do(func() {
		g := generate(benchNumbers)
		start := time.Now()
		big.d = g.build(b)
		big.build = time.Since(start)
		runtime.GC() // finish the build's garbage collection before timing routes
	})
	if big.d == nil {
		b.Fatal("building the tenant failed")
	}
	b.Logf("1,000,000 numbers, users and 3,000,000 devices built through the admin actions in %v", big.build.Round(time.Millisecond))
	return big.d
}

// spreadURIs writes 4096 of the 1,000,000 numbers, a prime stride apart, as
// the Request-URIs a proxy sees.
func spreadURIs() []string {
	uris := make([]string, 4096)
	for i := range uris {
		n := genNumber(i * 7919 % benchNumbers)
		switch i % 3 {
		case 0:
			uris[i] = "sip:" + n + "@load.example;user=phone"
		case 1:
			uris[i] = "tel:" + n
		default:
			uris[i] = n[1:] + ";user=phone"
		}
	}
	return uris
}

// BenchmarkRoute routes calls to a spread of the 1,000,000 numbers, written
// as Request-URIs, reusing one Decision: the common path must not allocate.
func BenchmarkRoute(b *testing.B) {
	d := bigTenant(b)
	uris := spreadURIs()
	var dec routing.Decision
	d.RouteTo(&dec, routing.Call{To: uris[0]}, nil)
	if dec.Refused() || len(dec.Targets) != 2 || len(dec.Skipped) != 1 {
		b.Fatalf("unexpected decision %+v", dec)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		d.RouteTo(&dec, routing.Call{To: uris[i%len(uris)]}, nil)
		if dec.Refused() {
			b.Fatalf("%s refused: %s", uris[i%len(uris)], dec.Reason)
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the process's CPU time so far. On a shared machine the CPU time
// per operation is steadier than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	if since > 0 {
		b.ReportMetric(float64(cpuTime()-since)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkRouteReach is BenchmarkRoute with a Reachability that says the
// Teams app is on cellular under a WifiOnly policy, so the fallback path runs.
func BenchmarkRouteReach(b *testing.B) {
	d := bigTenant(b)
	mode := routing.WifiOnly
	must(b, d.SetMobilityPolicy("Global", routing.PolicyChange{IPAudioMobileMode: &mode}))
	defer func() {
		all := routing.AllNetworks
		must(b, d.SetMobilityPolicy("Global", routing.PolicyChange{IPAudioMobileMode: &all}))
	}()
	r := routing.ReachFunc(func(dev string) routing.Reach { return routing.Reach{Registered: true, Network: routing.Cellular} })
	uris := spreadURIs()
	var dec routing.Decision
	b.ReportAllocs()
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		d.RouteTo(&dec, routing.Call{To: uris[i%len(uris)]}, r)
		if !dec.Fallback {
			b.Fatalf("no fallback: %+v", dec)
		}
	}
	reportCPU(b, cpu)
}

var build100k = sync.OnceValue(func() *generated { return generate(100_000) })

// BenchmarkBuild100kUsers builds a tenant of 100,000 numbers and users with
// 3 devices each, and assigns every number, through the admin actions.
func BenchmarkBuild100kUsers(b *testing.B) {
	g := build100k()
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		d := g.build(b)
		if _, n, u, devs := d.Counts(); n != 100_000 || u != 100_000 || devs != 300_000 {
			b.Fatalf("counts %d %d %d", n, u, devs)
		}
	}
	reportCPU(b, cpu)
}
