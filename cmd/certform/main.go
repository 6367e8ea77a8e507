// Command certform declares TLS certificates in HCL and issues them through
// the Kubernetes CertificateSigningRequest API.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
