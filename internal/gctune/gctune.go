package gctune

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
)

// SoftMemoryLimit is the size of the Go runtime's memory at which the
// collector runs whatever GOGC says, unless GOMEMLIMIT is set. The
// process's peak RSS is about this plus 28 MiB it maps beside it (the
// binary's pages): at 128 MiB a plan of 10,000 certificates peaked at
// 153 MiB, at 112 MiB at 137 MiB.
const SoftMemoryLimit = 112 << 20

// Tune trades memory for CPU, unless GOGC or GOMEMLIMIT say otherwise: at
// the default GOGC=100 the collector takes about 7 % of an apply's CPU, on
// machines where that CPU is taken from the API server and the signer.
// Collecting when the heap has grown fivefold, and more often only as it
// nears SoftMemoryLimit, keeps that to a few per cent for the runs that
// fit, and the peak memory of a run of 10,000 certificates under 150 MiB
// instead of five times what it keeps (docs/performance.md). It returns a
// function that puts back the settings it found.
func Tune() (restore func()) {
	gcPercent, limit := -2, int64(-1)
	if os.Getenv("GOGC") == "" {
		gcPercent = debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit = debug.SetMemoryLimit(SoftMemoryLimit)
	}
	return func() {
		if gcPercent != -2 {
			debug.SetGCPercent(gcPercent)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}

// Fit, called once the configuration is loaded, raises the soft memory
// limit to four times the heap live then, when that is more: a
// configuration so large that what it keeps nears the limit would make
// the collector run all the time (the runtime lets it take up to half the
// CPU), which is worse than the memory it saves.
func Fit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	if live[0].Value.Kind() == metrics.KindUint64 {
		debug.SetMemoryLimit(max(SoftMemoryLimit, 4*int64(live[0].Value.Uint64())))
	}
}
