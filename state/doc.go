// Package state holds what certform knows it has done: the in-memory model,
// its versioned JSON wire format, and the local backend with locking.
//
// The wire format is separate from the model and carries a version, a
// lineage (a UUID set once, when a state is created) and a serial (raised
// only when content changes), as Terraform's statefile does. State never
// holds private key material: a key is identified by the SHA-256 of its
// SubjectPublicKeyInfo.
package state
