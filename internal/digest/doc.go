// Package digest computes the digests state records and refresh compares:
// the SHA-256 of data and files, of a TLS Secret's data, and the
// fingerprints of what a TLS Secret holds. It is shared by the refresh and
// apply stages, so apply can record what it wrote without importing
// refresh.
package digest
