package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestTune: without GOGC and GOMEMLIMIT the collector runs at 400 % under
// the soft limit; either variable keeps its own setting untouched; restore
// puts back what was there.
func TestTune(t *testing.T) {
	cases := map[string]struct {
		gogc, memlimit   string
		wantGC           int
		wantLimitChanged bool
	}{
		"neither set":    {wantGC: 400, wantLimitChanged: true},
		"GOGC set":       {gogc: "50", wantGC: 77, wantLimitChanged: true},
		"GOMEMLIMIT set": {memlimit: "1GiB", wantGC: 400},
		"both set":       {gogc: "50", memlimit: "1GiB", wantGC: 77},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc)
			t.Setenv("GOMEMLIMIT", tc.memlimit)
			oldGC := debug.SetGCPercent(77)
			oldLimit := debug.SetMemoryLimit(1 << 40)
			defer debug.SetGCPercent(oldGC)
			defer debug.SetMemoryLimit(oldLimit)

			restore := Tune()
			if got := debug.SetGCPercent(-1); got != tc.wantGC {
				t.Errorf("GC percent %d, want %d", got, tc.wantGC)
			}
			debug.SetGCPercent(tc.wantGC)
			limit := debug.SetMemoryLimit(-1)
			if changed := limit == SoftMemoryLimit; changed != tc.wantLimitChanged {
				t.Errorf("memory limit %d; want the soft limit: %v", limit, tc.wantLimitChanged)
			}
			restore()
			if got := debug.SetGCPercent(-1); got != 77 {
				t.Errorf("after restore GC percent %d, want 77", got)
			}
			if got := debug.SetMemoryLimit(-1); got != 1<<40 {
				t.Errorf("after restore memory limit %d, want %d", got, int64(1<<40))
			}
		})
	}
}

// TestFit: the limit rises to four times the live heap when that is more
// than the soft limit, and stays at the soft limit otherwise.
func TestFit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	old := debug.SetMemoryLimit(SoftMemoryLimit)
	defer debug.SetMemoryLimit(old)
	runtime.GC()
	Fit()
	if got := debug.SetMemoryLimit(-1); got != SoftMemoryLimit {
		t.Fatalf("small heap: limit %d, want %d", got, SoftMemoryLimit)
	}
	keep := make([]byte, 40<<20) // 40 MiB live: four times is 160 MiB
	for i := range keep {
		keep[i] = byte(i)
	}
	runtime.GC() // the live heap is what the last cycle marked
	Fit()
	if got := debug.SetMemoryLimit(-1); got < 4*(40<<20) {
		t.Fatalf("40 MiB live: limit %d, want at least %d", got, 4*(40<<20))
	}
	runtime.KeepAlive(keep)
}
