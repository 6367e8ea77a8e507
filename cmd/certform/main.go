// Command certform declares TLS certificates in HCL and issues them through
// the Kubernetes CertificateSigningRequest API.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
)

func main() {
	tuneGC()
	// CERTFORM_CPUPROFILE=FILE writes a CPU profile of the run, for
	// performance work (docs/performance.md).
	if path := os.Getenv("CERTFORM_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "certform: error: CERTFORM_CPUPROFILE: %v\n", err)
			os.Exit(exitError)
		}
		code := runMain()
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(runMain())
}

// runMain runs the command; CERTFORM_MEMPROFILE=FILE then writes a heap
// profile of it (what it allocated, and what was live at the end).
func runMain() int {
	code := Main(os.Args[1:], Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	if path := os.Getenv("CERTFORM_MEMPROFILE"); path != "" {
		runtime.GC() // the profile then counts every allocation of the run
		f, err := os.Create(path)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "certform: error: CERTFORM_MEMPROFILE: %v\n", err)
			return exitError
		}
	}
	return code
}

// tuneGC trades memory for CPU, unless GOGC or GOMEMLIMIT say otherwise: a
// run lasts seconds, and at the default GOGC=100 the collector takes about
// 7 % of an apply's CPU, on machines where that CPU is taken from the API
// server and the signer. Collecting when the heap has grown fivefold, and
// more often only as it nears a soft limit of 112 MiB, keeps that to a few
// per cent for the runs that fit, and the peak memory of a run of 10,000
// certificates under 150 MiB instead of five times what it keeps
// (docs/performance.md). fitMemoryLimit raises the limit for
// configurations too large for it.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
}

// softMemoryLimit is the size of the Go runtime's memory at which the
// collector runs whatever GOGC says, unless GOMEMLIMIT is set. The
// process's peak RSS is about this plus 28 MiB it maps beside it (the
// binary's pages): at 128 MiB a plan of 10,000 certificates peaked at
// 153 MiB, at 112 MiB at 137 MiB.
const softMemoryLimit = 112 << 20

// fitMemoryLimit, called once the configuration is loaded, raises the
// soft memory limit to four times the heap live then, when that is more:
// a configuration so large that what it keeps nears the limit would make
// the collector run all the time (the runtime lets it take up to half the
// CPU), which is worse than the memory it saves.
func fitMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	if live[0].Value.Kind() == metrics.KindUint64 {
		debug.SetMemoryLimit(max(softMemoryLimit, 4*int64(live[0].Value.Uint64())))
	}
}
