// Package kube is the narrow client-go surface certform needs: building a
// client from a kubeconfig, and the CertificateSigningRequest operations of
// the seed's workflow (create idempotently, approve, watch until issued),
// written after client-go's util/certificate/csr.
package kube
