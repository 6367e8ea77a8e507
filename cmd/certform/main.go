// Command certform declares TLS certificates in HCL and issues them through
// the Kubernetes CertificateSigningRequest API.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

func main() {
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
		code := Main(os.Args[1:], Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(Main(os.Args[1:], Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
