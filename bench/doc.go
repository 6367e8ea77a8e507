// Package bench measures certform at scale against the real local cluster:
// planning thousands of up-to-date certificates, and issuing hundreds next
// to a plain client-go loop. Run with make bench; the figures are in
// docs/performance.md. Nothing here runs in make test.
package bench
