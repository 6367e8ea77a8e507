// Package state is the in-memory model of what certform knows it has done:
// certificates, CA bundles and outputs, by address. It depends on no
// client library, so the planner can use it without linking one.
//
// The model is not a wire format: statefile encodes it (versioned, with a
// lineage and a serial, as Terraform's statefile does), and the backends
// under backend/ keep it somewhere. State never holds private key
// material: a key is identified by the SHA-256 of its
// SubjectPublicKeyInfo.
package state
