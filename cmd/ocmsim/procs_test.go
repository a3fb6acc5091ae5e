package main

import "testing"

func TestProcsFor(t *testing.T) {
	tests := []struct {
		name   string
		flag   int
		envSet bool
		def    int
		want   int
	}{
		{"flag wins", 3, true, 1, 3},
		{"environment kept", 0, true, 1, 0},
		{"default", 0, false, 1, 1},
		{"Go's default", 0, false, 0, 0},
		{"negative flag ignored", -2, false, 4, 4},
	}
	for _, tt := range tests {
		if got := procsFor(tt.flag, tt.envSet, tt.def); got != tt.want {
			t.Errorf("%s: procsFor(%d, %v, %d) = %d, want %d", tt.name, tt.flag, tt.envSet, tt.def, got, tt.want)
		}
	}
	for cpus, want := range map[int]int{1: 1, 2: 1, 3: 1, 8: 4} {
		if got := sharedProcs(cpus); got != want {
			t.Errorf("sharedProcs(%d) = %d, want %d", cpus, got, want)
		}
	}
}
