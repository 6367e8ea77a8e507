// Package keystore keeps private keys whose CSR is in flight: generated and
// submitted, certificate not yet written. A run that is interrupted, times
// out or uses --no-wait leaves the key here, so the next run collects the
// certificate with the same key instead of leaking the CSR.
//
// The store is a 0700 directory of 0600 files named by the key's
// SubjectPublicKeyInfo fingerprint; nothing else about the key is recorded.
package keystore
