package load

import (
	"syscall"
	"time"
)

// busyShare is the share of its threads' time above which the summary
// warns that the process itself may be what limits the run.
const busyShare = 0.9

// processCPU returns the CPU time (user + system) the process has used, 0
// where that is not available.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Busy is the share of its threads' time the process used during the
// calls: CPU / (threads × duration); 0 when unknown.
func (s *Summary) Busy() float64 {
	if s.Threads <= 0 || s.DurationS <= 0 {
		return 0
	}
	return s.CPUSeconds / (float64(s.Threads) * s.DurationS)
}
