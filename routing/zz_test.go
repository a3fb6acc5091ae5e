package routing_test

import (
	"syscall"
	"testing"
	"time"

	"ocmsim/routing"
)

var zzdir *routing.Directory

func zzd(b *testing.B) *routing.Directory {
	if zzdir == nil {
		zzdir = generate(200000).build(b)
	}
	return zzdir
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkZZSmall(b *testing.B) {
	d := zzd(b)
	uris := make([]string, 4096)
	for i := range uris {
		uris[i] = "sip:" + genNumber(i*7919%200000) + "@load.example;user=phone"
	}
	var dec routing.Decision
	b.ReportAllocs()
	c0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		d.RouteTo(&dec, routing.Call{To: uris[i%len(uris)]}, nil)
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}
