// Package kubernetes is the state backend that keeps a state in the
// cluster: gzipped JSON in Secrets (split when it outgrows one), written
// with optimistic concurrency, and locked with a coordination.k8s.io
// Lease that the holder renews (lease.go).
package kubernetes
