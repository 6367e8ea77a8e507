// Command certform declares TLS certificates in HCL and issues them through
// the Kubernetes CertificateSigningRequest API.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/certform/certform/internal/gctune"
)

func main() {
	gctune.Tune()
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
