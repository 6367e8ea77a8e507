// Package pki holds the pure cryptographic helpers certform needs: key
// generation and encoding, PKCS#10 requests, PEM parsing, host
// classification, fingerprints and the checks an issued certificate must pass
// before it is written anywhere.
//
// Nothing here does I/O, and no function returns or formats private key
// material except EncodePrivateKey, whose output goes only to a 0600 file.
package pki
